//! The outcome table (`mappings/outcomes.toml`): for every SMSP response code, ITK fault and
//! transport failure, what the bridge answers in each call context. Rows are resolved and
//! checked once at load, so a lookup is a map access that always succeeds.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use crate::domain::ResponseCode;
use crate::fhir::operation_outcome::{IssueSeverity, OperationOutcome, ISSUE_TYPES};
use crate::fhir::origin::origin_coding;
use crate::fhir::spine_code::{SpineCode, SPINE_SYSTEM, SPINE_VERSION};
use crate::fhir::Coding;

/// The embedded default table.
pub const EMBEDDED_OUTCOMES: &str = include_str!("../../mappings/outcomes.toml");

/// ITK error codes (SMSP SPEC §2.6), keyed `itk-<code>`.
pub const ITK_KEYS: [&str; 4] = ["itk-1000", "itk-2100", "itk-2200", "itk-3000"];

/// Every `SmspError::outcome_key()` other than `itk-*` (a unit test keeps this in step).
pub const TRANSPORT_KEYS: [&str; 9] = [
    "transport-connect",
    "transport-tls",
    "transport-timeout",
    "transport-io",
    "transport-http-status",
    "transport-malformed",
    "transport-oversize",
    "transport-circuit-open",
    "transport-overloaded",
];

/// Catch-all rows for codes the table does not list.
pub const RESPONSE_OTHER: &str = "response-other";
pub const ITK_OTHER: &str = "itk-other";
pub const TRANSPORT_OTHER: &str = "transport-other";

/// Which FHIR interaction the SMSP call served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallContext {
    /// `GET /Patient/{id}`.
    Read,
    /// `GET /Patient?…`.
    Search,
    /// `$verify-nhs-number`.
    Verify,
}

impl CallContext {
    pub const ALL: [CallContext; 3] = [Self::Read, Self::Search, Self::Verify];

    pub fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Search => "search",
            Self::Verify => "verify",
        }
    }
}

/// What kind of answer a row gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeResult {
    /// Answer from the data SMSP returned (Patient, one-entry searchset, or verify Parameters).
    #[serde(alias = "patient")]
    Data,
    /// A searchset with `total: 0` and no `entry`.
    EmptyBundle,
    /// An OperationOutcome built from the row.
    Outcome,
}

/// One resolved row: every default filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeRow {
    /// The table key the row came from (a `*-other` key for a fallback).
    pub key: String,
    pub result: OutcomeResult,
    /// 200 for data and empty-bundle rows.
    pub http_status: u16,
    /// Set for outcome rows.
    pub spine_code: Option<SpineCode>,
    pub severity: IssueSeverity,
    pub issue_code: String,
    pub display: String,
    pub retry_after: Option<u32>,
    pub diagnostics: Option<String>,
    pub warning: Option<String>,
    pub valid: Option<bool>,
}

impl OutcomeRow {
    /// The `valid` answer of a verify data row: the row's `valid` if it sets one, otherwise
    /// SMSP's VI observation, otherwise false (SMSP SPEC §5.1: do not derive one from the
    /// other, so an explicit row wins).
    pub fn verify_valid(&self, smsp_valid: Option<bool>) -> bool {
        self.valid.or(smsp_valid).unwrap_or(false)
    }

    /// The OperationOutcome for an outcome row: the Spine coding (with the row's display),
    /// then the coding of `origin_key` — the actual response code / `itk-…` / `transport-…`
    /// key, which for a fallback row differs from `self.key`. `None` for data and
    /// empty-bundle rows.
    pub fn operation_outcome(&self, origin_key: &str) -> Option<OperationOutcome> {
        let code = self
            .spine_code
            .filter(|_| self.result == OutcomeResult::Outcome)?;
        let spine =
            Coding::new(SPINE_SYSTEM, code.code(), &self.display).with_version(SPINE_VERSION);
        Some(OperationOutcome::from_parts(
            self.severity,
            &self.issue_code,
            spine,
            self.diagnostics.clone(),
            Some(origin_coding(origin_key)),
        ))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    outcome: BTreeMap<String, RawRow>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    result: Option<OutcomeResult>,
    http_status: Option<u16>,
    spine_code: Option<String>,
    severity: Option<String>,
    issue_code: Option<String>,
    display: Option<String>,
    retry_after: Option<u32>,
    diagnostics: Option<String>,
    warning: Option<String>,
    valid: Option<bool>,
    read: Option<Box<RawRow>>,
    search: Option<Box<RawRow>>,
    verify: Option<Box<RawRow>>,
}

/// The checked table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcomes {
    rows: HashMap<(CallContext, String), OutcomeRow>,
}

impl Outcomes {
    /// Parses and checks an outcome file; `Err` lists every problem found.
    pub fn parse(text: &str, source: &str) -> Result<Self, Vec<String>> {
        let raw: RawTable =
            toml::from_str(text).map_err(|e| vec![format!("{source}: {}", e.message())])?;
        let mut problems = Vec::new();

        let required = ResponseCode::KNOWN
            .iter()
            .chain(&ITK_KEYS)
            .chain(&TRANSPORT_KEYS)
            .chain(&[RESPONSE_OTHER, ITK_OTHER, TRANSPORT_OTHER]);
        for key in required {
            if !raw.outcome.contains_key(*key) {
                problems.push(format!("{source}: no outcome row for '{key}'"));
            }
        }

        let mut rows = HashMap::new();
        for (key, row) in &raw.outcome {
            for (name, sub) in [
                ("read", &row.read),
                ("search", &row.search),
                ("verify", &row.verify),
            ] {
                if sub
                    .as_ref()
                    .is_some_and(|s| s.read.is_some() || s.search.is_some() || s.verify.is_some())
                {
                    problems.push(format!(
                        "{source}: [outcome.\"{key}\".{name}] cannot nest contexts"
                    ));
                }
            }
            for ctx in CallContext::ALL {
                let sub = match ctx {
                    CallContext::Read => &row.read,
                    CallContext::Search => &row.search,
                    CallContext::Verify => &row.verify,
                };
                let (effective, label) = match sub {
                    Some(s) => (s.as_ref(), format!("[outcome.\"{key}\".{}]", ctx.name())),
                    None => (row, format!("[outcome.\"{key}\"]")),
                };
                match resolve(key, ctx, effective) {
                    Ok(r) => {
                        rows.insert((ctx, key.clone()), r);
                    }
                    Err(errs) => {
                        for e in errs {
                            let msg = format!("{source}: {label} ({} context): {e}", ctx.name());
                            if !problems.contains(&msg) {
                                problems.push(msg);
                            }
                        }
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(Self { rows })
        } else {
            Err(problems)
        }
    }

    /// The row for `key` in `context`: exact key, else the matching `*-other` row.
    pub fn get(&self, context: CallContext, key: &str) -> &OutcomeRow {
        let fallback = if key.starts_with("itk-") {
            ITK_OTHER
        } else if key.starts_with("transport-") {
            TRANSPORT_OTHER
        } else {
            RESPONSE_OTHER
        };
        self.rows
            .get(&(context, key.to_string()))
            .or_else(|| self.rows.get(&(context, fallback.to_string())))
            .expect("checked at load: every *-other row exists in every context")
    }
}

/// Fills defaults and checks one row as it applies to `ctx`.
fn resolve(key: &str, ctx: CallContext, raw: &RawRow) -> Result<OutcomeRow, Vec<String>> {
    let mut errs = Vec::new();
    let result = raw.result.unwrap_or(OutcomeResult::Outcome);
    let spine_code = match raw.spine_code.as_deref() {
        None => None,
        Some(name) => match SpineCode::from_name(name) {
            Some(c) => Some(c),
            None => {
                errs.push(format!("spine_code '{name}' is not a Spine code"));
                None
            }
        },
    };
    match result {
        OutcomeResult::Outcome => {
            if raw.spine_code.is_none() {
                errs.push("an outcome row needs a spine_code".to_string());
            }
            if raw.warning.is_some() || raw.valid.is_some() {
                errs.push("warning and valid apply only to result = \"data\"".to_string());
            }
        }
        OutcomeResult::Data | OutcomeResult::EmptyBundle => {
            let outcome_only = [
                ("spine_code", raw.spine_code.is_some()),
                ("http_status", raw.http_status.is_some()),
                ("severity", raw.severity.is_some()),
                ("issue_code", raw.issue_code.is_some()),
                ("display", raw.display.is_some()),
                ("retry_after", raw.retry_after.is_some()),
                ("diagnostics", raw.diagnostics.is_some()),
            ];
            for (field, present) in outcome_only {
                if present {
                    errs.push(format!("{field} applies only to result = \"outcome\""));
                }
            }
        }
    }
    if result == OutcomeResult::EmptyBundle && ctx != CallContext::Search {
        errs.push("result = \"empty-bundle\" can only answer a search: add a context row".into());
    }
    if raw.valid.is_some() && ctx != CallContext::Verify {
        errs.push("valid applies only to the verify context".into());
    }
    let severity = match raw.severity.as_deref() {
        None => spine_code.map_or(IssueSeverity::Information, SpineCode::severity),
        Some(s) => IssueSeverity::parse(s).unwrap_or_else(|| {
            errs.push(format!(
                "severity '{s}' is not fatal | error | warning | information"
            ));
            IssueSeverity::Error
        }),
    };
    let issue_code = match raw.issue_code.as_deref() {
        None => spine_code
            .map_or("informational", SpineCode::issue_code)
            .to_string(),
        Some(c) => {
            if !ISSUE_TYPES.contains(&c) {
                errs.push(format!("issue_code '{c}' is not a FHIR IssueType"));
            }
            c.to_string()
        }
    };
    let http_status = match (result, raw.http_status) {
        (OutcomeResult::Outcome, Some(s)) => {
            if !(200..=599).contains(&s) {
                errs.push(format!("http_status {s} is not an HTTP status"));
            }
            s
        }
        (OutcomeResult::Outcome, None) => spine_code.map_or(500, SpineCode::http_status),
        _ => 200,
    };
    if errs.is_empty() {
        Ok(OutcomeRow {
            key: key.to_string(),
            result,
            http_status,
            spine_code,
            severity,
            issue_code,
            display: raw.display.clone().unwrap_or_else(|| {
                spine_code
                    .map(SpineCode::display)
                    .unwrap_or_default()
                    .to_string()
            }),
            retry_after: raw
                .retry_after
                .or_else(|| spine_code.and_then(SpineCode::retry_after)),
            diagnostics: raw.diagnostics.clone().or_else(|| {
                spine_code
                    .and_then(SpineCode::standard_diagnostics)
                    .map(str::to_string)
            }),
            warning: raw.warning.clone(),
            valid: raw.valid,
        })
    } else {
        Err(errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smsp::{SmspError, ToolkitFault};
    use CallContext::*;

    fn embedded() -> Outcomes {
        Outcomes::parse(EMBEDDED_OUTCOMES, "embedded").unwrap()
    }

    #[test]
    fn transport_keys_match_smsp_error_outcome_keys() {
        let fault = ToolkitFault {
            fault_code: "soap:Client".into(),
            fault_string: String::new(),
            error_id: None,
            error_code: "2100".into(),
            error_text: None,
            diagnostic_text: None,
        };
        let errors = [
            SmspError::Connect(String::new()),
            SmspError::Tls(String::new()),
            SmspError::Timeout,
            SmspError::Io(String::new()),
            SmspError::HttpStatus(503),
            SmspError::Malformed(String::new()),
            SmspError::Oversize { limit: 1 },
            SmspError::CircuitOpen,
            SmspError::Overloaded,
        ];
        let keys: Vec<String> = errors.iter().map(SmspError::outcome_key).collect();
        assert_eq!(keys, TRANSPORT_KEYS.map(String::from));
        assert_eq!(SmspError::Fault(Box::new(fault)).outcome_key(), "itk-2100");
    }

    #[test]
    fn embedded_table_decisions() {
        let t = embedded();
        let row = |c, k| t.get(c, k).clone();

        assert_eq!(row(Read, "SMSP-0000").result, OutcomeResult::Data);
        assert_eq!(row(Search, "SMSP-0000").http_status, 200);

        let nf = row(Read, "DEMOG-0001");
        assert_eq!(nf.result, OutcomeResult::Outcome);
        assert_eq!(
            (nf.http_status, nf.spine_code),
            (404, Some(SpineCode::ResourceNotFound))
        );
        assert_eq!(nf.severity, IssueSeverity::Information);
        assert_eq!(nf.diagnostics, None);
        assert_eq!(row(Search, "DEMOG-0001").result, OutcomeResult::EmptyBundle);
        let v = row(Verify, "DEMOG-0001");
        assert_eq!((v.result, v.valid), (OutcomeResult::Data, Some(false)));

        let many = row(Search, "DEMOG-0007");
        assert_eq!(
            (many.http_status, many.spine_code),
            (200, Some(SpineCode::TooManyMatches))
        );
        assert_eq!(many.issue_code, "multiple-matches");
        assert_eq!(row(Read, "DEMOG-0007").http_status, 500);

        for c in CallContext::ALL {
            assert_eq!(row(c, "DEMOG-0017").result, OutcomeResult::Data);
        }
        let inv = row(Read, "DEMOG-0022");
        assert_eq!(
            (inv.http_status, inv.spine_code),
            (404, Some(SpineCode::InvalidatedResource))
        );
        assert_eq!(row(Search, "DEMOG-0022").result, OutcomeResult::EmptyBundle);
        assert_eq!(row(Read, "DEMOG-0040").http_status, 404);
        assert_eq!(row(Verify, "DEMOG-0040").valid, Some(false));
        assert_eq!(
            row(Read, "SMSP-0001").spine_code,
            Some(SpineCode::InvalidValue)
        );
        assert_eq!(row(Read, "SMSP-0001").http_status, 400);
        let cached = row(Read, "SMSP-0003");
        assert_eq!(cached.result, OutcomeResult::Data);
        assert!(cached.warning.is_some());
        for k in [
            "SMSP-0002",
            "SMSP-9999",
            "DEMOG-9999",
            "itk-1000",
            "itk-2200",
            "itk-3000",
        ] {
            let r = row(Read, k);
            assert_eq!(
                (r.http_status, r.spine_code),
                (500, Some(SpineCode::UnknownError)),
                "{k}"
            );
        }
        let busy = row(Search, "itk-2100");
        assert_eq!((busy.http_status, busy.retry_after), (503, Some(5)));
        let to = row(Read, "transport-timeout");
        assert_eq!(
            (to.http_status, to.spine_code),
            (408, Some(SpineCode::UnableToCallService))
        );
        assert_eq!(to.retry_after, None);
        let conn = row(Read, "transport-connect");
        assert_eq!((conn.http_status, conn.retry_after), (503, Some(5)));
        // fallbacks
        assert_eq!(t.get(Read, "XYZ-0001").key, RESPONSE_OTHER);
        assert_eq!(t.get(Read, "itk-9999").key, ITK_OTHER);
        assert_eq!(t.get(Read, "transport-new").key, TRANSPORT_OTHER);
    }

    #[test]
    fn outcome_rows_build_pds_bodies_with_the_origin_coding() {
        let t = embedded();
        let oo = t
            .get(Search, "DEMOG-0007")
            .operation_outcome("DEMOG-0007")
            .unwrap();
        let v = serde_json::to_value(&oo).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"resourceType": "OperationOutcome", "issue": [{
                "severity": "information", "code": "multiple-matches",
                "details": {"coding": [
                    {"system": "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode", "version": "1",
                     "code": "TOO_MANY_MATCHES", "display": "Too Many Matches"},
                    {"system": "urn:oid:2.16.840.1.113883.2.1.3.2.4.17.285", "code": "DEMOG-0007",
                     "display": "Multiple matches found"}]}}]})
        );
        let oo = t
            .get(Read, "itk-9999")
            .operation_outcome("itk-9999")
            .unwrap();
        let v = serde_json::to_value(&oo).unwrap();
        assert_eq!(
            v["issue"][0]["details"]["coding"][1]["system"],
            "urn:oid:2.16.840.1.113883.2.1.3.2.4.17.268"
        );
        assert_eq!(v["issue"][0]["details"]["coding"][1]["code"], "9999");
        let oo = t
            .get(Read, "transport-timeout")
            .operation_outcome("transport-timeout")
            .unwrap();
        let v = serde_json::to_value(&oo).unwrap();
        assert_eq!(v["issue"][0]["code"], "timeout");
        assert_eq!(
            v["issue"][0]["details"]["coding"][0]["code"],
            "UNABLE_TO_CALL_SERVICE"
        );
        assert_eq!(
            v["issue"][0]["details"]["coding"][1]["system"],
            "https://github.com/smsp-bridge/CodeSystem/transport-failure"
        );
        assert!(t
            .get(Read, "SMSP-0000")
            .operation_outcome("SMSP-0000")
            .is_none());
    }

    #[test]
    fn overrides_of_severity_issue_code_display_and_status_apply() {
        let text = EMBEDDED_OUTCOMES.replace(
            "[outcome.\"SMSP-0002\"]\nspine_code = \"UNKNOWN_ERROR\"",
            "[outcome.\"SMSP-0002\"]\nspine_code = \"UNKNOWN_ERROR\"\nhttp_status = 502\nseverity = \"fatal\"\nissue_code = \"exception\"\ndisplay = \"Bad gateway\"",
        );
        let t = Outcomes::parse(&text, "o").unwrap();
        let r = t.get(Search, "SMSP-0002");
        assert_eq!(r.http_status, 502);
        assert_eq!(r.severity, IssueSeverity::Fatal);
        let v = serde_json::to_value(r.operation_outcome("SMSP-0002").unwrap()).unwrap();
        assert_eq!(v["issue"][0]["code"], "exception");
        assert_eq!(
            v["issue"][0]["details"]["coding"][0]["display"],
            "Bad gateway"
        );
        assert_eq!(
            v["issue"][0]["details"]["coding"][0]["code"],
            "UNKNOWN_ERROR"
        );
    }

    #[test]
    fn a_broken_table_lists_every_problem() {
        let text = r#"
[outcome."SMSP-0000"]
result = "data"
spine_code = "UNKNOWN_ERROR"

[outcome."DEMOG-0001"]
result = "empty-bundle"

[outcome."DEMOG-0007"]
spine_code = "TOO_MANY_HITS"

[outcome."DEMOG-0022"]
http_status = 404

[outcome."DEMOG-0040"]
spine_code = "RESOURCE_NOT_FOUND"
severity = "bad"
issue_code = "oops"
[outcome."DEMOG-0040".search]
result = "data"
valid = false
"#;
        let problems = Outcomes::parse(text, "broken.toml").unwrap_err();
        let all = problems.join("\n");
        for needle in [
            "no outcome row for 'SMSP-0001'",
            "no outcome row for 'DEMOG-9999'",
            "no outcome row for 'itk-1000'",
            "no outcome row for 'itk-3000'",
            "no outcome row for 'transport-connect'",
            "no outcome row for 'transport-oversize'",
            "no outcome row for 'response-other'",
            "no outcome row for 'itk-other'",
            "[outcome.\"SMSP-0000\"] (read context): spine_code applies only to result = \"outcome\"",
            "[outcome.\"DEMOG-0001\"] (read context): result = \"empty-bundle\" can only answer a search",
            "[outcome.\"DEMOG-0001\"] (verify context)",
            "spine_code 'TOO_MANY_HITS' is not a Spine code",
            "[outcome.\"DEMOG-0022\"] (read context): an outcome row needs a spine_code",
            "severity 'bad'",
            "issue_code 'oops' is not a FHIR IssueType",
            "[outcome.\"DEMOG-0040\".search] (search context): valid applies only to the verify context",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
        // one missing-row problem per missing key, not one in total
        assert!(
            problems
                .iter()
                .filter(|p| p.contains("no outcome row"))
                .count()
                >= 20
        );
    }

    #[test]
    fn syntax_errors_and_unknown_fields_are_reported() {
        assert!(Outcomes::parse("[outcome", "x").is_err());
        let typo = EMBEDDED_OUTCOMES.replace("retry_after = 5", "retry_afterr = 5");
        let e = Outcomes::parse(&typo, "x").unwrap_err();
        assert!(e[0].contains("retry_afterr"), "{e:?}");
    }
}
