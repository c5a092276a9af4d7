//! `[cache]` settings (issue 4). Every key, its default and its meaning: README.md, section Cache.

use serde::{Deserialize, Serialize};

/// The longest TTL accepted: a cached answer stands for an SMSP verification, which must stay
/// recent (issue 4: "refuse values above 900 at start-up").
pub const MAX_TTL_SECONDS: u64 = 900;

/// moka weighs entries in `u32`: one entry may weigh at most this.
const MAX_BYTES_LIMIT: u64 = u32::MAX as u64;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheSettings {
    /// `false` turns the cache off entirely: every answer is `X-Cache: BYPASS` and every
    /// request reaches SMSP.
    pub enabled: bool,
    /// How long a verified result is reused, and how long the principal who traced a patient
    /// may read it without a date of birth. 1–900.
    pub ttl_seconds: u64,
    /// The most entries held (a patient record, its number index, a search).
    pub max_entries: u64,
    /// The most bytes of cached bodies held (estimated per entry, with overheads).
    pub max_bytes: u64,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            ttl_seconds: 60,
            max_entries: 10_000,
            max_bytes: 64 * 1024 * 1024,
        }
    }
}

impl CacheSettings {
    /// Every problem with these settings, keyed by its full setting name (`cache.…`). Checked
    /// even when the cache is disabled, so turning it on later cannot fail at start-up.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.ttl_seconds == 0 || self.ttl_seconds > MAX_TTL_SECONDS {
            out.push((
                "cache.ttl_seconds",
                format!(
                    "must be between 1 and {MAX_TTL_SECONDS} (got {}); use cache.enabled = false to turn the cache off",
                    self.ttl_seconds
                ),
            ));
        }
        if self.max_entries == 0 {
            out.push(("cache.max_entries", "must be at least 1".into()));
        }
        if self.max_bytes == 0 || self.max_bytes > MAX_BYTES_LIMIT {
            out.push((
                "cache.max_bytes",
                format!("must be between 1 and {MAX_BYTES_LIMIT}"),
            ));
        } else if self.max_bytes < self.max_entries {
            out.push((
                "cache.max_bytes",
                "must be at least cache.max_entries (each entry weighs at least one byte)".into(),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let s = CacheSettings::default();
        assert!(s.problems().is_empty());
        assert_eq!(s.ttl_seconds, 60);
        assert!(s.enabled);
    }

    #[test]
    fn ttl_above_900_or_zero_is_refused_naming_the_key() {
        for ttl in [0, 901, 3600] {
            let s = CacheSettings {
                ttl_seconds: ttl,
                ..CacheSettings::default()
            };
            let p = s.problems();
            assert_eq!(p.len(), 1, "{p:?}");
            assert_eq!(p[0].0, "cache.ttl_seconds");
        }
        let s = CacheSettings {
            ttl_seconds: 900,
            ..CacheSettings::default()
        };
        assert!(s.problems().is_empty());
    }

    #[test]
    fn bounds_must_be_usable() {
        let s = CacheSettings {
            max_entries: 0,
            max_bytes: 0,
            ..CacheSettings::default()
        };
        let keys: Vec<_> = s.problems().into_iter().map(|p| p.0).collect();
        assert_eq!(keys, ["cache.max_entries", "cache.max_bytes"]);
    }
}
