//! One audit record (issue 5 "Audit trail"): who asked what about which patient, what SMSP said
//! and what the caller got. The audit trail is the ONLY place patient data is recorded.
//!
//! On disk each record is one JSON line, `seq` and `prev` first (see `chain`). Every field is
//! documented in README.md, section Security ("Audit record").

use serde::{Deserialize, Serialize};

/// The facts of one request, before the writer gives it its place in the chain.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When the answer was ready (RFC 3339, UTC, milliseconds).
    pub time: String,
    /// `X-Request-ID` as sent (PDS de-duplicates on it; truncated to 200 characters).
    pub request_id: Option<String>,
    /// `X-Correlation-ID` as sent (truncated to 200 characters).
    pub correlation_id: Option<String>,
    /// The authenticated local user; `None` when authentication failed.
    pub user: Option<String>,
    /// The user name a failed Basic authentication claimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_user: Option<String>,
    /// How the user authenticated: `open`, `basic`, `bearer` or `client-cert`.
    pub auth: Option<String>,
    pub roles: Vec<String>,
    /// `NHSD-End-User-Organisation-ODS`, when well-formed.
    pub ods: Option<String>,
    /// The TCP peer (`ip:port`).
    pub client: Option<String>,
    pub method: String,
    /// The matched route pattern.
    pub route: Option<String>,
    /// `read`, `search`, `verify`, `admin`, `compare`, `trace` or `write`.
    pub interaction: String,
    /// The FHIR parameters as sent, in order (`[name, value]` pairs).
    pub parameters: Vec<(String, String)>,
    /// `allowed`, `unauthenticated`, `forbidden` or `rate-limited`.
    pub decision: Decision,
    /// The SMSP exchange, when one was made (or attempted).
    pub smsp: Option<SmspEntry>,
    /// NHS numbers the answer disclosed.
    pub nhs_numbers: Vec<String>,
    /// `HIT`, `MISS` or `BYPASS`.
    pub cache: String,
    /// HTTP status sent to the caller.
    pub status: u16,
    /// From the request reaching the security layer to the record being queued.
    pub latency_ms: f64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    #[default]
    Allowed,
    Unauthenticated,
    Forbidden,
    RateLimited,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmspEntry {
    /// The SMSP interaction name, e.g. `getPatientDetailsByNHSNumber`.
    pub interaction: String,
    /// The request's `wsa:MessageID` (SMSP SPEC §8: clients audit message ids).
    pub message_id: Option<String>,
    /// SMSP's response code (`SMSP-0000`…), or `itk-…`/`transport-…` for failures.
    pub outcome: String,
}

impl From<&crate::bridge::SmspTrace> for SmspEntry {
    fn from(t: &crate::bridge::SmspTrace) -> Self {
        Self {
            interaction: t.interaction.name().to_string(),
            message_id: t.message_id.clone(),
            outcome: t.outcome.clone(),
        }
    }
}

/// A record as written: its place in the chain, then the entry.
#[derive(Debug, Serialize)]
pub struct AuditLine<'a> {
    /// 1, 2, 3, … across files, never reused.
    pub seq: u64,
    /// SHA-256 (lower-case hex) of the previous record's line, without its newline; 64 zeros
    /// for record 1.
    pub prev: &'a str,
    #[serde(flatten)]
    pub entry: &'a AuditEntry,
}

/// What `audit verify` needs of a line.
#[derive(Debug, Deserialize)]
pub struct Link {
    pub seq: u64,
    pub prev: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_start_with_seq_and_prev() {
        let entry = AuditEntry {
            method: "GET".into(),
            interaction: "read".into(),
            parameters: vec![("id".into(), "9990001006".into())],
            cache: "MISS".into(),
            status: 200,
            ..Default::default()
        };
        let text = serde_json::to_string(&AuditLine {
            seq: 7,
            prev: "ab",
            entry: &entry,
        })
        .unwrap();
        assert!(
            text.starts_with(r#"{"seq":7,"prev":"ab","time":"#),
            "{text}"
        );
        assert!(
            text.contains(r#""parameters":[["id","9990001006"]]"#),
            "{text}"
        );
        assert!(text.contains(r#""decision":"allowed""#));
        assert!(!text.contains("claimed_user"));
        let back: AuditEntry = serde_json::from_str(&text).unwrap();
        assert_eq!(back, entry);
    }
}
