//! One SMSP exchange without HTTP: `SOAPAction` + request body in, status + XML out.
//! Shared by the HTTPS server and [`crate::sim::InProcessClient`].
//!
//! Error classes (SPEC §2.6; which conditions a real SMSP faults on is undocumented, §11.3, so
//! this follows the ITK Toolkit Workbench rules): anything that stops the message being
//! understood — not XML, not SOAP, no ITK envelope, unknown payload, missing or mismatched
//! `SOAPAction`/`wsa:Action`/`itk:header/@service` — is an ITK 1000 SOAP fault with HTTP 500;
//! bad values inside a well-formed request are HTTP 200 with SMSP-0001, and an NHS number that is
//! not new-style is DEMOG-0042.

use uuid::Uuid;

use super::magic::ItkCode;
use super::matching::{self, Outcome};
use super::state::SimState;
use crate::domain::ResponseCode;
use crate::smsp::build::{self, ResponseIds};
use crate::smsp::parse::{self, RequestError};
use crate::smsp::{upper_uuid, Interaction, ResponseBody, SmspResponse, ToolkitFault};

/// What to send back.
#[derive(Debug, Clone)]
pub struct Reply {
    /// 200 for business responses, 500 for ITK faults (SPEC §2.1).
    pub status: u16,
    pub body: String,
    pub interaction: Option<Interaction>,
    pub kind: ReplyKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyKind {
    Response(ResponseCode),
    Fault(ItkCode),
}

/// Answers one request and counts its outcome (arrivals are counted by the caller, before any
/// knob can intervene).
pub fn respond(state: &SimState, soap_action: Option<&str>, body: &[u8]) -> Reply {
    let reply = answer(state, soap_action, body);
    match &reply.kind {
        ReplyKind::Response(code) => state.counters().response(code),
        ReplyKind::Fault(itk) => state.counters().fault(itk.code()),
    }
    // Only the interaction name and the outcome: never a value from the request.
    tracing::info!(
        interaction = reply.interaction.map_or("unknown", Interaction::name),
        outcome = %match &reply.kind {
            ReplyKind::Response(c) => c.as_str().to_string(),
            ReplyKind::Fault(f) => format!("ITK-{}", f.code()),
        },
        status = reply.status,
        "sim answered"
    );
    reply
}

fn answer(state: &SimState, soap_action: Option<&str>, body: &[u8]) -> Reply {
    let by_action = soap_action.and_then(Interaction::from_service);
    let parsed = match parse::request(body) {
        Ok(p) => p,
        Err(RequestError::NotXml(why)) => {
            return fault(
                ItkCode::InvalidMessage,
                by_action,
                &format!("not well-formed XML: {why}"),
            )
        }
        Err(RequestError::Structure(why)) => {
            return fault(
                ItkCode::InvalidMessage,
                by_action,
                &format!("invalid structure: {why}"),
            )
        }
        // Content errors need the interaction to shape the payload: only SOAPAction names it.
        Err(e @ (RequestError::Invalid { .. } | RequestError::NotNewStyleNhsNumber)) => {
            let Some(i) = by_action else {
                return fault(
                    ItkCode::InvalidMessage,
                    None,
                    "SOAPAction is missing or unknown",
                );
            };
            let code = match e {
                RequestError::NotNewStyleNhsNumber => ResponseCode::NotNewStyle,
                _ => ResponseCode::InputValidation,
            };
            return response(i, empty(i, code), None);
        }
    };
    state.record_audit_identity(parsed.audit_identity.clone());
    let i = parsed.interaction;
    let service = i.service();
    if by_action != Some(i) {
        return fault(
            ItkCode::InvalidMessage,
            Some(i),
            "SOAPAction is missing or does not name the payload's interaction",
        );
    }
    if parsed.action.as_deref().map(str::trim) != Some(service) {
        return fault(
            ItkCode::InvalidMessage,
            Some(i),
            "wsa:Action is missing or does not match SOAPAction",
        );
    }
    if parsed.service.as_deref().map(str::trim) != Some(service) {
        return fault(
            ItkCode::InvalidMessage,
            Some(i),
            "itk:header/@service is missing or does not match SOAPAction",
        );
    }
    match matching::decide(state.dataset(), i, &parsed.query) {
        Outcome::Fault(itk) => fault(itk, Some(i), "forced by a simulator magic value"),
        outcome => {
            let resp = outcome.into_response(i).expect("answers have a response");
            response(i, resp, parsed.tracking_id.as_deref())
        }
    }
}

/// A response with no subject, shaped for the interaction.
fn empty(i: Interaction, code: ResponseCode) -> SmspResponse {
    let body = match i {
        Interaction::VerifyNhsNumber => ResponseBody::Verify {
            valid: None,
            identifier: None,
        },
        Interaction::GetNhsNumber => ResponseBody::NhsNumber {
            nhs_number: None,
            local_identifier: None,
        },
        _ => ResponseBody::PatientDetails(None),
    };
    SmspResponse {
        message_id: None,
        code,
        body,
    }
}

fn response(i: Interaction, mut resp: SmspResponse, tracking_id: Option<&str>) -> Reply {
    let mut ids = ResponseIds::new();
    // Echoing the tracking id is what the official verify example does (SPEC §2.5).
    if let Some(t) = tracking_id.and_then(|t| Uuid::parse_str(t.trim()).ok()) {
        ids.tracking_id = t;
    }
    resp.message_id = Some(upper_uuid(&ids.message_id));
    Reply {
        status: 200,
        body: build::response_envelope(i, &resp, &ids),
        interaction: Some(i),
        kind: ReplyKind::Response(resp.code),
    }
}

/// An ITK SOAP fault, HTTP 500 (SPEC §2.6).
pub fn fault(itk: ItkCode, interaction: Option<Interaction>, diagnostic: &str) -> Reply {
    let message_id = Uuid::new_v4();
    let f = ToolkitFault {
        fault_code: if itk.is_client() {
            "soap:Client"
        } else {
            "soap:Server"
        }
        .into(),
        fault_string: String::new(),
        error_id: Some(upper_uuid(&Uuid::new_v4())),
        error_code: itk.code().into(),
        error_text: Some(itk.text().into()),
        diagnostic_text: Some(diagnostic.into()),
    };
    Reply {
        status: 500,
        body: build::fault_envelope(&f, &message_id),
        interaction,
        kind: ReplyKind::Fault(itk),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Gender, NhsNumber, PartialDate};
    use crate::sim::{Dataset, Knobs};
    use crate::smsp::{AuditIdentity, EnvelopeContext, Query, QueryName};
    use crate::telemetry::captured::CapturedLog;

    /// Logs carry the interaction and outcome, never a value from the request or the record.
    #[test]
    fn logs_hold_no_patient_data() {
        let state = SimState::new(Dataset::builtin(), Knobs::default());
        let mut q = Query::new(PartialDate::parse_hl7("19800115").unwrap());
        q.gender = Some(Gender::Male);
        q.name = Some(QueryName {
            given: Some("OLIVER".into()),
            family: Some("FAIRWEATHER".into()),
        });
        q.postcode = Some("LS11 5PZ".into());
        let i = Interaction::GetPatientDetailsBySearch;
        let ctx = EnvelopeContext::new(
            "https://sim",
            "test",
            "test",
            AuditIdentity::local_user("Z1", "u"),
        );
        let body = build::request_envelope(i, &q, &ctx).unwrap();
        let mut by_number = Query::new(PartialDate::parse_hl7("19800116").unwrap());
        by_number.nhs_number = Some(NhsNumber::parse("9990001006").unwrap());
        let body2 =
            build::request_envelope(Interaction::VerifyNhsNumber, &by_number, &ctx).unwrap();

        let out = CapturedLog::default();
        let writer = out.clone();
        // No timestamps: their fractions of a second can hold "1980" by chance (a CI run
        // failed on `14.198086Z`), and they are not what the test looks for.
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .without_time()
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let r = respond(&state, Some(i.service()), body.as_bytes());
            assert_eq!(r.kind, ReplyKind::Response(ResponseCode::Success));
            let r = respond(
                &state,
                Some(Interaction::VerifyNhsNumber.service()),
                body2.as_bytes(),
            );
            assert_eq!(r.kind, ReplyKind::Response(ResponseCode::NotVerified));
            respond(&state, Some(i.service()), b"<not-xml");
        });
        let logs = out.text();
        assert!(
            logs.contains("sim answered") && logs.contains("DEMOG-0040"),
            "{logs}"
        );
        for secret in [
            "9990001006",
            "FAIRWEATHER",
            "OLIVER",
            "19800115",
            "1980",
            "LS11",
            "19800116",
        ] {
            assert!(!logs.contains(secret), "{secret} leaked into logs: {logs}");
        }
    }
}
