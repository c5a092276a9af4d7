//! OperationOutcome as PDS shapes every error (PDS FHIR SPEC §7):
//! `{"resourceType":"OperationOutcome","issue":[{"severity","code","details":{"coding":[…]},
//! "diagnostics"?}]}`. The first coding is always the Spine one; when the answer came from
//! SMSP, the bridge adds the SMSP/ITK/transport code it mapped from as a second coding
//! (`fhir::origin`), so a caller can see the upstream cause without reading logs.

use serde::{Deserialize, Serialize};

use super::datatypes::{CodeableConcept, Coding};
use super::spine_code::{SpineCode, SPINE_SYSTEM, SPINE_VERSION};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueSeverity {
    Fatal,
    Error,
    Warning,
    Information,
}

impl IssueSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fatal => "fatal",
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Information => "information",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Fatal, Self::Error, Self::Warning, Self::Information]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// R4 IssueType codes (`http://hl7.org/fhir/issue-type`), plus `token`, which the PDS proxy
/// emits for the app-restricted `_max-results` 403 (PDS FHIR SPEC §7, "sic").
pub const ISSUE_TYPES: &[&str] = &[
    "invalid",
    "structure",
    "required",
    "value",
    "invariant",
    "security",
    "login",
    "unknown",
    "expired",
    "forbidden",
    "suppressed",
    "processing",
    "not-supported",
    "duplicate",
    "multiple-matches",
    "not-found",
    "deleted",
    "too-long",
    "code-invalid",
    "extension",
    "too-costly",
    "business-rule",
    "conflict",
    "transient",
    "lock-error",
    "no-store",
    "exception",
    "timeout",
    "incomplete",
    "throttled",
    "informational",
    "token",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationOutcome {
    #[serde(rename = "resourceType")]
    pub resource_type: super::datatypes::OperationOutcomeType,
    pub issue: Vec<Issue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    pub severity: IssueSeverity,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<String>,
}

impl OperationOutcome {
    /// The PDS Spine coding for `code`: system, version "1", code, display.
    pub fn spine_coding(code: SpineCode) -> Coding {
        Coding::new(SPINE_SYSTEM, code.code(), code.display()).with_version(SPINE_VERSION)
    }

    /// One issue shaped exactly as PDS sends `code`. `diagnostics` defaults to the fixed text
    /// PDS always sends with this code, if it has one (`SpineCode::standard_diagnostics`).
    /// `origin` (the SMSP response code, ITK code or transport failure it was mapped from)
    /// becomes a second coding.
    pub fn from_spine(
        code: SpineCode,
        diagnostics: Option<String>,
        origin: Option<Coding>,
    ) -> Self {
        let diagnostics = diagnostics.or_else(|| code.standard_diagnostics().map(str::to_string));
        Self::from_parts(
            code.severity(),
            code.issue_code(),
            Self::spine_coding(code),
            diagnostics,
            origin,
        )
    }

    /// One issue from explicit parts, for outcome-table rows that override the defaults.
    pub fn from_parts(
        severity: IssueSeverity,
        issue_code: &str,
        spine: Coding,
        diagnostics: Option<String>,
        origin: Option<Coding>,
    ) -> Self {
        let coding = std::iter::once(spine).chain(origin).collect();
        Self {
            resource_type: Default::default(),
            issue: vec![Issue {
                severity,
                code: issue_code.to_string(),
                details: Some(CodeableConcept { coding, text: None }),
                diagnostics,
            }],
        }
    }

    /// The first issue's Spine code, if any (tests and the compare mode).
    pub fn spine_code(&self) -> Option<&str> {
        self.issue
            .first()?
            .details
            .as_ref()?
            .coding
            .iter()
            .find(|c| c.system.as_deref() == Some(SPINE_SYSTEM))?
            .code
            .as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn not_found_is_exactly_the_pds_body() {
        // PDS FHIR SPEC §7: RESOURCE_NOT_FOUND, severity information, no diagnostics.
        let oo = OperationOutcome::from_spine(SpineCode::ResourceNotFound, None, None);
        assert_eq!(
            serde_json::to_value(&oo).unwrap(),
            json!({"resourceType": "OperationOutcome", "issue": [{
                "severity": "information", "code": "not-found",
                "details": {"coding": [{"system": "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode",
                    "version": "1", "code": "RESOURCE_NOT_FOUND", "display": "Resource not found"}]}}]})
        );
        let text = serde_json::to_string(&oo).unwrap();
        assert!(text.starts_with(r#"{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"not-found","details""#));
    }

    #[test]
    fn too_many_matches_matches_pds_spec_5_3() {
        let oo = OperationOutcome::from_spine(SpineCode::TooManyMatches, None, None);
        assert_eq!(
            serde_json::to_value(&oo).unwrap(),
            json!({"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"multiple-matches",
                "details":{"coding":[{"system":"https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode","version":"1",
                "code":"TOO_MANY_MATCHES","display":"Too Many Matches"}]}}]})
        );
    }

    #[test]
    fn max_results_403_carries_the_proxy_text() {
        let oo = OperationOutcome::from_spine(SpineCode::InvalidValueMaxResults, None, None);
        let v = serde_json::to_value(&oo).unwrap();
        assert_eq!(v["issue"][0]["code"], "token");
        assert_eq!(
            v["issue"][0]["details"]["coding"][0]["code"],
            "INVALID_VALUE"
        );
        assert_eq!(
            v["issue"][0]["diagnostics"],
            "Your app has insufficient permissions to perform this search. Please contact support."
        );
    }

    #[test]
    fn origin_is_a_second_coding_and_round_trips() {
        let origin = Coding::new(
            "urn:oid:2.16.840.1.113883.2.1.3.2.4.17.285",
            "DEMOG-0022",
            "NHS Number of response record has been invalidated",
        );
        let oo = OperationOutcome::from_spine(SpineCode::InvalidatedResource, None, Some(origin));
        let v = serde_json::to_value(&oo).unwrap();
        assert_eq!(v["issue"][0]["details"]["coding"][1]["code"], "DEMOG-0022");
        let back: OperationOutcome = serde_json::from_value(v).unwrap();
        assert_eq!(back, oo);
        assert_eq!(back.spine_code(), Some("INVALIDATED_RESOURCE"));
    }

    /// Compares each body the bridge can emit with NHS's own stub for the same Spine code,
    /// when the shared reference copy sits beside the crate (skipped otherwise).
    #[test]
    fn matches_nhs_stubs_when_present() {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/pds-fhir");
        let dirs = [
            root.join("sandbox-stubs/errorResponses"),
            root.join("sandbox-stubs/searchResponses"),
            root.join("functional-test-responses"),
        ];
        let mut compared = 0;
        for dir in dirs.iter().filter(|d| d.is_dir()) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let Ok(stub) = serde_json::from_str::<serde_json::Value>(&text) else {
                    continue;
                };
                if stub["resourceType"] != "OperationOutcome" {
                    continue;
                }
                let issue = &stub["issue"][0];
                let coding = &issue["details"]["coding"][0];
                let Some(code) = coding["code"].as_str().and_then(SpineCode::from_name) else {
                    continue; // codes the bridge never emits (e.g. INSERT_BIRTH_DEATH_…)
                };
                let ours =
                    serde_json::to_value(OperationOutcome::from_spine(code, None, None)).unwrap();
                let our_issue = &ours["issue"][0];
                let what = path.display();
                assert_eq!(our_issue["code"], issue["code"], "{what}");
                assert_eq!(our_issue["severity"], issue["severity"], "{what}");
                let our_coding = &our_issue["details"]["coding"][0];
                assert_eq!(our_coding["system"], coding["system"], "{what}");
                assert_eq!(our_coding["version"], coding["version"], "{what}");
                assert_eq!(our_coding["code"], coding["code"], "{what}");
                if !coding["display"].as_str().unwrap_or("#").starts_with('#') {
                    assert_eq!(our_coding["display"], coding["display"], "{what}");
                }
                if issue.get("diagnostics").is_none() {
                    assert!(our_issue.get("diagnostics").is_none(), "{what}");
                }
                compared += 1;
            }
        }
        if dirs.iter().any(|d| d.is_dir()) {
            assert!(compared >= 15, "only {compared} stubs compared");
        }
    }

    #[test]
    fn every_issue_code_is_a_known_issue_type() {
        for c in SpineCode::ALL {
            assert!(ISSUE_TYPES.contains(&c.issue_code()), "{c:?}");
        }
        assert_eq!(
            IssueSeverity::parse("information"),
            Some(IssueSeverity::Information)
        );
        assert_eq!(IssueSeverity::parse("info"), None);
    }
}
