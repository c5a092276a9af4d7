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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
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

impl AuditEntry {
    /// The entry as JSON, made on the request's own worker so that the one writer thread, which
    /// every request shares, only puts `seq` and `prev` in front of it (`line`).
    pub fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(self)
    }
}

/// A record as written: its place in the chain, then the entry's fields. `seq` is 1, 2, 3, …
/// across files, never reused; `prev` is the SHA-256 (lower-case hex) of the previous record's
/// line without its newline, 64 zeros for record 1. Made from the entry's own JSON
/// (`AuditEntry::to_json`): the line is `{"seq":…,"prev":…,` and then the entry's JSON after its
/// opening brace, byte for byte what serde gives for the entry flattened after `seq` and `prev`
/// (the tests hold it to that).
pub fn line(seq: u64, prev: &str, entry_json: &[u8]) -> serde_json::Result<Vec<u8>> {
    let fields = entry_json
        .strip_prefix(b"{")
        .and_then(|rest| rest.strip_suffix(b"}"))
        .ok_or_else(|| serde::ser::Error::custom("an audit entry is a JSON object"))?;
    let mut out = Vec::with_capacity(entry_json.len() + prev.len() + 32);
    out.extend_from_slice(b"{\"seq\":");
    serde_json::to_writer(&mut out, &seq)?;
    out.extend_from_slice(b",\"prev\":");
    serde_json::to_writer(&mut out, prev)?;
    if !fields.is_empty() {
        out.push(b',');
        out.extend_from_slice(fields);
    }
    out.push(b'}');
    Ok(out)
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

    /// serde's own rendering of a line, which `line` must equal.
    #[derive(Serialize)]
    struct AuditLine<'a> {
        seq: u64,
        prev: &'a str,
        #[serde(flatten)]
        entry: &'a AuditEntry,
    }

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
        let text = String::from_utf8(line(7, "ab", &entry.to_json().unwrap()).unwrap()).unwrap();
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

    #[test]
    fn a_line_spliced_from_the_entry_json_is_the_serialised_line() {
        let full = AuditEntry {
            time: "2026-11-22T15:00:00.123Z".into(),
            request_id: Some("60E0B220-8136-4CA5-AE46-1D97EF59D068".into()),
            correlation_id: Some("a \"quoted\" \\ id\n".into()),
            user: Some("alice".into()),
            claimed_user: Some("mallory".into()),
            auth: Some("basic".into()),
            roles: vec!["reader".into(), "tracer".into()],
            ods: Some("Y12345".into()),
            client: Some("127.0.0.1:4321".into()),
            method: "GET".into(),
            route: Some("/Patient/{id}".into()),
            interaction: "read".into(),
            parameters: vec![("family".into(), "O'Brien & Zoë <x>".into())],
            decision: Decision::RateLimited,
            smsp: Some(SmspEntry {
                interaction: "getPatientDetailsByNHSNumber".into(),
                message_id: Some("1A2B".into()),
                outcome: "SMSP-0000".into(),
            }),
            nhs_numbers: vec!["9990001006".into()],
            cache: "HIT".into(),
            status: 429,
            latency_ms: 0.25,
        };
        for entry in [full, AuditEntry::default()] {
            for (seq, prev) in [(1, "0".repeat(64)), (u64::MAX, "ab".to_string())] {
                let expected = serde_json::to_vec(&AuditLine {
                    seq,
                    prev: &prev,
                    entry: &entry,
                })
                .unwrap();
                let spliced = line(seq, &prev, &entry.to_json().unwrap()).unwrap();
                assert_eq!(
                    String::from_utf8(spliced).unwrap(),
                    String::from_utf8(expected).unwrap()
                );
            }
        }
        assert!(line(1, "ab", b"[1]").is_err());
        assert_eq!(line(1, "ab", b"{}").unwrap(), br#"{"seq":1,"prev":"ab"}"#);
    }
}
