//! `reply`: a response envelope, a SOAP fault, or (as some providers' samples are) a bare
//! HL7 response payload — SMSP SPEC §2.4–§2.6, §5.

use super::fault::toolkit_fault;
use super::patient::{nhs_number_ids, patient};
use super::reader::{parse_document, Element, Ns};
use super::ParseError;
use crate::domain::ResponseCode;
use crate::smsp::interaction::oid;
use crate::smsp::{ResponseBody, SmspReply, SmspResponse};

const VERIFY: &str = "verifyNHSNumberResponse-v1-0";
const GET_NHS_NUMBER: &str = "getNHSNumberResponse-v1-0";
const PATIENT_DETAILS: &str = "getPatientDetailsResponse-v1-0";

pub(crate) fn reply(body: &[u8]) -> Result<SmspReply, ParseError> {
    let doc = parse_document(body)?;
    let root = doc.root();
    let mut message_id = None;
    let mut content = root;
    if root.is(Ns::Soap, "Envelope") {
        // A client must not require To/From/Security: the live service sends only MessageID
        // and Action (§2.4).
        message_id = root
            .child(Ns::Soap, "Header")
            .and_then(|h| h.child(Ns::Wsa, "MessageID"))
            .and_then(Element::text_value)
            .map(str::to_string);
        content = root
            .child(Ns::Soap, "Body")
            .ok_or_else(|| shape("SOAP envelope has no Body"))?
            .first_child()
            .ok_or_else(|| shape("SOAP Body is empty"))?;
        if content.is(Ns::Soap, "Fault") {
            return toolkit_fault(content).map(SmspReply::Fault);
        }
    }
    if content.is(Ns::Itk, "DistributionEnvelope") {
        // Manifest attributes are not needed to read the answer and third-party SMSPs omit
        // some, so only the payload is looked at (§2.5).
        content = content
            .child(Ns::Itk, "payloads")
            .and_then(|p| p.child(Ns::Itk, "payload"))
            .and_then(Element::first_child)
            .ok_or_else(|| shape("ITK envelope has no payload"))?;
    }
    response_payload(content, message_id).map(SmspReply::Response)
}

fn response_payload(
    p: Element<'_>,
    message_id: Option<String>,
) -> Result<SmspResponse, ParseError> {
    if p.ns() != Ns::Hl7 {
        return Err(shape("payload is not an HL7 V3 element"));
    }
    let root = match p.name() {
        r @ (VERIFY | GET_NHS_NUMBER | PATIENT_DETAILS) => r,
        _ => return Err(shape("payload is not an SMSP PDS response")),
    };
    // `code` is fixed to the root's name (§5); a different one means a different message.
    if let Some(code) = p.child(Ns::Hl7, "code").and_then(|c| c.attr_value("code")) {
        if code != root {
            return Err(shape("payload code does not match its root element"));
        }
    }
    let value = p
        .child(Ns::Hl7, "value")
        .ok_or_else(|| shape("response has no value"))?;
    let code = value
        .attr_value("code")
        .ok_or_else(|| shape("response value has no code"))?;
    let body = match root {
        VERIFY => verify(p)?,
        GET_NHS_NUMBER => match p.path(Ns::Hl7, &["subject", "patient"]) {
            Some(pat) => {
                let (nhs, local) = nhs_number_ids(pat)?;
                ResponseBody::NhsNumber {
                    nhs_number: Some(nhs),
                    local_identifier: local,
                }
            }
            None => ResponseBody::NhsNumber {
                nhs_number: None,
                local_identifier: None,
            },
        },
        _ => ResponseBody::PatientDetails(match p.path(Ns::Hl7, &["subject", "patient"]) {
            Some(pat) => Some(Box::new(patient(pat)?)),
            None => None,
        }),
    };
    Ok(SmspResponse {
        message_id,
        code: ResponseCode::parse(code),
        body,
    })
}

/// §5.1: the VI observation. The identifier is kept raw — the official "invalid" example
/// carries `444444444444`, which is no NHS number at all.
fn verify(p: Element<'_>) -> Result<ResponseBody, ParseError> {
    let Some(vi) = p.path(Ns::Hl7, &["component", "validIdentifier"]) else {
        return Ok(ResponseBody::Verify {
            valid: None,
            identifier: None,
        });
    };
    let valid = match vi
        .child(Ns::Hl7, "value")
        .and_then(|v| v.attr_value("value"))
    {
        None => None,
        Some("true" | "1") => Some(true),
        Some("false" | "0") => Some(false),
        Some(_) => return Err(shape("validIdentifier value is not a boolean")),
    };
    let ids: Vec<Element<'_>> = vi
        .path(Ns::Hl7, &["subject", "patient"])
        .map(|pat| pat.children_named(Ns::Hl7, "id").collect())
        .unwrap_or_default();
    let id = ids
        .iter()
        .find(|id| id.attr_value("root") == Some(oid::NHS_NUMBER))
        .or(ids.first());
    Ok(ResponseBody::Verify {
        valid,
        identifier: id
            .and_then(|id| id.attr_value("extension"))
            .map(str::to_string),
    })
}

pub(super) fn shape(what: &str) -> ParseError {
    ParseError::Shape(what.into())
}
