//! The compare rules (`mappings/compare.toml`, issue 6): which fields are not comparable and
//! why, how list elements pair up, and which named normalisations apply where. Loading checks
//! every rule name and reports every problem at once.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

use super::normalise::Normalisation;

/// The embedded rules, so the binary needs no files beside it.
pub const EMBEDDED: &str = include_str!("../../mappings/compare.toml");

#[derive(Debug, Clone)]
pub struct Rules {
    ignore: Vec<String>,
    atomic: Vec<String>,
    keys: Vec<(String, Vec<String>)>,
    not_comparable: Vec<NotComparable>,
    normalise: Vec<(String, Vec<Normalisation>)>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotComparable {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    atomic: Vec<String>,
    #[serde(default)]
    keys: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    not_comparable: Vec<NotComparable>,
    #[serde(default)]
    normalise: Vec<NormaliseRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NormaliseRule {
    paths: Vec<String>,
    rules: Vec<String>,
}

impl Rules {
    pub fn embedded() -> anyhow::Result<Self> {
        Self::parse(EMBEDDED)
    }

    /// `path` when given, else the embedded rules.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        match path {
            None => Self::embedded(),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| {
                    anyhow::anyhow!("compare rules: cannot read {}: {e}", p.display())
                })?;
                Self::parse(&text)
                    .map_err(|e| anyhow::anyhow!("compare rules {}: {e}", p.display()))
            }
        }
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let file: RulesFile = toml::from_str(text)?;
        let mut problems = Vec::new();
        let mut normalise = Vec::new();
        for rule in &file.normalise {
            let mut named = Vec::new();
            for name in &rule.rules {
                match Normalisation::from_name(name) {
                    Some(n) => named.push(n),
                    None => problems.push(format!(
                        "unknown normalisation '{name}' (known: {})",
                        Normalisation::ALL.map(|n| n.name()).join(", ")
                    )),
                }
            }
            if rule.paths.is_empty() {
                problems.push("a [[normalise]] rule names no paths".to_string());
            }
            for path in &rule.paths {
                normalise.push((path.clone(), named.clone()));
            }
        }
        for (path, keys) in &file.keys {
            if keys.is_empty() {
                problems.push(format!("keys for '{path}' is empty"));
            }
        }
        for nc in &file.not_comparable {
            if nc.reason.trim().is_empty() {
                problems.push(format!("not_comparable '{}' has no reason", nc.path));
            }
        }
        if !problems.is_empty() {
            anyhow::bail!("{}", problems.join("; "));
        }
        Ok(Self {
            ignore: file.ignore,
            atomic: file.atomic,
            keys: file.keys.into_iter().collect(),
            not_comparable: file.not_comparable,
            normalise,
        })
    }

    pub fn ignored(&self, path: &str) -> bool {
        self.ignore.iter().any(|p| glob(p, path))
    }

    pub fn atomic(&self, path: &str) -> bool {
        self.atomic.iter().any(|p| glob(p, path))
    }

    /// The reason a field at `path` cannot be compared, if a rule says so.
    pub fn not_comparable(&self, path: &str) -> Option<&str> {
        self.not_comparable
            .iter()
            .find(|r| glob(&r.path, path))
            .map(|r| r.reason.as_str())
    }

    /// The keys pairing the elements of the list at `path` (e.g. `name` → `use`).
    pub fn keys(&self, path: &str) -> Option<&[String]> {
        self.keys
            .iter()
            .find(|(p, _)| glob(p, path))
            .map(|(_, k)| k.as_slice())
    }

    /// Normalisations for a leaf at `path`, in order (every matching rule contributes).
    pub fn normalisations(&self, path: &str) -> Vec<Normalisation> {
        self.normalise
            .iter()
            .filter(|(p, _)| glob(p, path))
            .flat_map(|(_, n)| n.iter().copied())
            .collect()
    }
}

/// `*` matches any run of characters; everything else literally.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_suffixes_and_literals() {
        assert!(glob("*.period", "name[].period"));
        assert!(glob("*.period", "generalPractitioner[].identifier.period"));
        assert!(!glob("*.period", "period"));
        assert!(glob("*.id", "telecom[].id"));
        assert!(!glob("*.id", "id"));
        assert!(!glob("*.id", "meta.versionId"));
        assert!(glob("contact", "contact"));
        assert!(!glob("contact", "contacts"));
        assert!(glob("*coding", "a.valueCodeableConcept.coding"));
    }

    #[test]
    fn embedded_rules_load_and_answer() {
        let r = Rules::embedded().unwrap();
        assert!(r.ignored("resourceType"));
        assert!(r.not_comparable("meta.versionId").is_some());
        assert!(r.not_comparable("name[].id").is_some());
        assert!(r.not_comparable("address[].period").is_some());
        assert!(r.not_comparable("extension[]").is_some());
        assert!(
            r.not_comparable("id").is_none(),
            "the NHS number is compared"
        );
        assert!(r.not_comparable("name[].family").is_none());
        assert_eq!(r.keys("telecom").unwrap(), ["system", "use"]);
        assert!(r.atomic("meta.security[]"));
        let names: Vec<_> = r
            .normalisations("address[].postalCode")
            .iter()
            .map(|n| n.name())
            .collect();
        assert_eq!(names, ["postcode"]);
    }

    #[test]
    fn every_problem_is_reported() {
        let err = Rules::parse(
            "[[normalise]]\npaths = []\nrules = [\"shout\"]\n[[not_comparable]]\npath = \"x\"\nreason = \"\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown normalisation 'shout'"), "{err}");
        assert!(err.contains("names no paths"), "{err}");
        assert!(err.contains("'x' has no reason"), "{err}");
    }
}
