//! What one side answered, as a case outcome (issue 6): found (one patient), not found, too many
//! matches, or an error. The same reading applies to the bridge and to PDS, since both speak PDS
//! FHIR (PDS FHIR SPEC §4, §5.2, §5.3, §7).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One side's raw answer: an HTTP status and body, or a failure before any status.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    pub status: Option<u16>,
    pub body: bytes::Bytes,
    /// Why there is no status (transport failure, token failure …). Never holds a URL.
    pub failure: Option<String>,
}

impl Fetched {
    pub fn answer(status: u16, body: impl Into<bytes::Bytes>) -> Self {
        Self {
            status: Some(status),
            body: body.into(),
            failure: None,
        }
    }

    pub fn failed(why: impl Into<String>) -> Self {
        Self {
            status: None,
            body: bytes::Bytes::new(),
            failure: Some(why.into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeKind {
    Found,
    NotFound,
    TooMany,
    Error,
}

impl OutcomeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Found => "found",
            OutcomeKind::NotFound => "not-found",
            OutcomeKind::TooMany => "too-many",
            OutcomeKind::Error => "error",
        }
    }
}

/// One side's answer, read.
#[derive(Debug, Clone)]
pub struct SideOutcome {
    pub kind: OutcomeKind,
    pub status: Option<u16>,
    /// The Spine code of an OperationOutcome (`RESOURCE_NOT_FOUND`, `TOO_MANY_MATCHES` …).
    pub code: Option<String>,
    /// The Patient when found.
    pub patient: Option<Value>,
    /// For errors: what went wrong (a failure, or a body that is not PDS-shaped).
    pub detail: Option<String>,
}

impl SideOutcome {
    fn new(kind: OutcomeKind, status: Option<u16>) -> Self {
        Self {
            kind,
            status,
            code: None,
            patient: None,
            detail: None,
        }
    }

    fn error(status: Option<u16>, detail: impl Into<String>) -> Self {
        let mut s = Self::new(OutcomeKind::Error, status);
        s.detail = Some(detail.into());
        s
    }
}

pub fn classify(fetched: &Fetched) -> SideOutcome {
    let Some(status) = fetched.status else {
        return SideOutcome::error(None, fetched.failure.clone().unwrap_or_default());
    };
    let Ok(body) = serde_json::from_slice::<Value>(&fetched.body) else {
        return SideOutcome::error(Some(status), "the body is not JSON");
    };
    let resource_type = body["resourceType"].as_str().unwrap_or("");
    let code = spine_code(&body);
    let mut out = match (status, resource_type) {
        (200, "Patient") => {
            let mut s = SideOutcome::new(OutcomeKind::Found, Some(status));
            s.patient = Some(body);
            s
        }
        // A searchset: none, one, or (healthcare-worker mode) several (SPEC §5.2).
        (200, "Bundle") => match body["entry"].as_array().map(Vec::len).unwrap_or(0) {
            0 => SideOutcome::new(OutcomeKind::NotFound, Some(status)),
            1 => {
                let mut s = SideOutcome::new(OutcomeKind::Found, Some(status));
                s.patient = Some(body["entry"][0]["resource"].clone());
                s
            }
            _ => SideOutcome::new(OutcomeKind::TooMany, Some(status)),
        },
        // App-restricted search with more than one match: 200 + TOO_MANY_MATCHES (SPEC §5.3).
        (200, "OperationOutcome") if code.as_deref() == Some("TOO_MANY_MATCHES") => {
            SideOutcome::new(OutcomeKind::TooMany, Some(status))
        }
        // Not found, or invalidated (never returned by PDS, SPEC §4).
        (404, "OperationOutcome")
            if matches!(
                code.as_deref(),
                Some("RESOURCE_NOT_FOUND") | Some("INVALIDATED_RESOURCE")
            ) =>
        {
            SideOutcome::new(OutcomeKind::NotFound, Some(status))
        }
        (_, "OperationOutcome") => SideOutcome::error(
            Some(status),
            format!(
                "OperationOutcome {}",
                code.as_deref().unwrap_or("without a Spine code")
            ),
        ),
        _ => SideOutcome::error(
            Some(status),
            format!(
                "unexpected {} with status {status}",
                none_if_empty(resource_type)
            ),
        ),
    };
    out.code = code;
    out
}

fn none_if_empty(s: &str) -> &str {
    if s.is_empty() {
        "body"
    } else {
        s
    }
}

/// `issue[0].details.coding[system = Spine-ErrorOrWarningCode].code`.
fn spine_code(body: &Value) -> Option<String> {
    body["issue"][0]["details"]["coding"]
        .as_array()?
        .iter()
        .find(|c| {
            c["system"].as_str()
                == Some("https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode")
        })
        .and_then(|c| c["code"].as_str())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outcome(status: u16, code: &str) -> Fetched {
        Fetched::answer(
            status,
            serde_json::to_vec(&json!({"resourceType": "OperationOutcome", "issue": [{"severity": "information",
                "details": {"coding": [{"system": "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode", "code": code}]}}]}))
            .unwrap(),
        )
    }

    #[test]
    fn reads_every_kind_of_answer() {
        let p = Fetched::answer(200, r#"{"resourceType":"Patient","id":"9990001006"}"#);
        let s = classify(&p);
        assert_eq!(s.kind, OutcomeKind::Found);
        assert_eq!(s.patient.unwrap()["id"], "9990001006");
        let empty = Fetched::answer(
            200,
            r#"{"resourceType":"Bundle","type":"searchset","timestamp":"t","total":0}"#,
        );
        assert_eq!(classify(&empty).kind, OutcomeKind::NotFound);
        let one = Fetched::answer(
            200,
            r#"{"resourceType":"Bundle","total":1,"entry":[{"resource":{"resourceType":"Patient","id":"1"}}]}"#,
        );
        assert_eq!(classify(&one).patient.unwrap()["id"], "1");
        assert_eq!(
            classify(&outcome(200, "TOO_MANY_MATCHES")).kind,
            OutcomeKind::TooMany
        );
        let nf = classify(&outcome(404, "RESOURCE_NOT_FOUND"));
        assert_eq!(nf.kind, OutcomeKind::NotFound);
        assert_eq!(nf.code.as_deref(), Some("RESOURCE_NOT_FOUND"));
        let e = classify(&outcome(500, "UNKNOWN_ERROR"));
        assert_eq!(e.kind, OutcomeKind::Error);
        assert_eq!(e.status, Some(500));
        assert_eq!(
            classify(&Fetched::failed("connect")).kind,
            OutcomeKind::Error
        );
        assert_eq!(
            classify(&Fetched::answer(502, "<html>")).kind,
            OutcomeKind::Error
        );
    }
}
