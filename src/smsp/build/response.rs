//! Response envelopes as an SMSP sends them, for the simulator (SMSP SPEC §2.4, §2.5, §5).
//! The header follows the live NHS Digital response: only `wsa:MessageID` and `wsa:Action`.

use super::patient::patient_subject;
use super::writer::Xml;
use super::ResponseIds;
use crate::domain::{LocalIdentifier, NhsNumber};
use crate::smsp::interaction::{ns, oid};
use crate::smsp::{Interaction, ResponseBody, SmspResponse};

const RESPONSE_CAPACITY: usize = 4096;

/// Writes the complete SOAP response envelope for `interaction`.
///
/// The payload root follows the interaction (SMSP SPEC §1). The body is written only when it is
/// the kind that root carries (a mismatched body is a caller bug: asserted in debug builds and
/// written without a body otherwise). NHS-number and patient subjects are written only for codes
/// that carry data (`ResponseCode::carries_data`): failures carry no subject (§5.3). The verify
/// observation is written whenever both its value and identifier are known, whatever the code,
/// as third-party SMSPs pair e.g. DEMOG-0040 with VI (§5.1).
pub fn response_envelope(
    interaction: Interaction,
    response: &SmspResponse,
    ids: &ResponseIds,
) -> String {
    let mut x = Xml::with_capacity(RESPONSE_CAPACITY);
    let service = interaction.response_service();
    x.raw(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
        .raw("\n<soap:Envelope xmlns:soap=\"")
        .raw(ns::SOAP)
        .raw("\" xmlns:wsa=\"")
        .raw(ns::WSA)
        .raw("\" xmlns:itk=\"")
        .raw(ns::ITK)
        .raw("\"><soap:Header><wsa:MessageID>")
        .uuid(&ids.message_id)
        .raw("</wsa:MessageID><wsa:Action>")
        .raw(&service)
        .raw("</wsa:Action></soap:Header><soap:Body><itk:DistributionEnvelope>")
        .raw("<itk:header service=\"")
        .raw(&service)
        .raw("\"")
        .uuid_attr("trackingid", "", &ids.tracking_id)
        .raw("><itk:manifest count=\"1\"><itk:manifestitem")
        .uuid_attr("id", "uuid_", &ids.payload_id)
        .raw(" mimetype=\"text/xml\" profileid=\"urn:nhs-en:profile:")
        .raw(interaction.response_root())
        .raw("\" base64=\"false\" compressed=\"false\" encrypted=\"false\"/></itk:manifest>")
        .raw("</itk:header><itk:payloads count=\"1\"><itk:payload")
        .uuid_attr("id", "uuid_", &ids.payload_id)
        .raw(">");
    payload(&mut x, interaction, response, &ids.act_id);
    x.raw("</itk:payload></itk:payloads></itk:DistributionEnvelope></soap:Body></soap:Envelope>");
    x.finish()
}

/// The common response act (SMSP SPEC §5): id, code = root name, value = response code.
fn payload(x: &mut Xml, interaction: Interaction, response: &SmspResponse, act_id: &uuid::Uuid) {
    let root = interaction.response_root();
    x.raw("<")
        .raw(root)
        .raw(" xmlns=\"")
        .raw(ns::HL7)
        .raw("\" classCode=\"OBS\" moodCode=\"EVN\"><id")
        .uuid_attr("root", "", act_id)
        .raw("/><code code=\"")
        .raw(root)
        .raw("\" codeSystem=\"")
        .raw(oid::MESSAGE_TYPE)
        .raw("\"/><value")
        .attr("code", response.code.as_str())
        .raw(" codeSystem=\"")
        .raw(oid::RESPONSE_CODE)
        .raw("\"/>");
    let data = response.code.carries_data();
    match (interaction, &response.body) {
        (Interaction::VerifyNhsNumber, ResponseBody::Verify { valid, identifier }) => {
            if let (Some(valid), Some(identifier)) = (valid, identifier) {
                verify_component(x, *valid, identifier);
            }
        }
        (
            Interaction::GetNhsNumber,
            ResponseBody::NhsNumber {
                nhs_number,
                local_identifier,
            },
        ) => {
            if let (Some(nhs), true) = (nhs_number, data) {
                nhs_number_subject(x, nhs, local_identifier.as_ref());
            }
        }
        (
            Interaction::GetPatientDetailsByNhsNumber
            | Interaction::GetPatientDetailsBySearch
            | Interaction::GetPatientDetails,
            ResponseBody::PatientDetails(patient),
        ) => {
            if let (Some(patient), true) = (patient, data) {
                patient_subject(x, patient);
            }
        }
        _ => debug_assert!(false, "response body does not match {}", interaction.name()),
    }
    x.raw("</").raw(root).raw(">");
}

/// verifyNHSNumberResponse `component/validIdentifier` (SMSP SPEC §5.1).
fn verify_component(x: &mut Xml, valid: bool, identifier: &str) {
    x.raw("<component typeCode=\"COMP\"><validIdentifier classCode=\"OBS\" moodCode=\"EVN\">")
        .raw("<code code=\"VI\" codeSystem=\"")
        .raw(oid::OBSERVATION_TYPE)
        .raw("\"/><value value=\"")
        .raw(if valid { "true" } else { "false" })
        .raw("\"/><subject typeCode=\"SBJ\"><patient classCode=\"PAT\"><id root=\"")
        .raw(oid::NHS_NUMBER)
        .raw("\"")
        .attr("extension", identifier)
        .raw("/></patient></subject></validIdentifier></component>");
}

/// getNHSNumberResponse subject: NHS number then the echoed local identifier (SMSP SPEC §5.2).
fn nhs_number_subject(x: &mut Xml, nhs: &NhsNumber, local: Option<&LocalIdentifier>) {
    x.raw("<subject typeCode=\"SBJ\"><patient classCode=\"PAT\">");
    ids(x, nhs, local);
    x.raw("</patient></subject>");
}

/// `id[1]` NHS number (Type1), `id[2]` local identifier (Type3) — SMSP SPEC §5.2, §5.3.
pub(super) fn ids(x: &mut Xml, nhs: &NhsNumber, local: Option<&LocalIdentifier>) {
    x.raw("<id root=\"")
        .raw(oid::NHS_NUMBER)
        .raw("\" extension=\"")
        .raw(nhs.as_str())
        .raw("\"/>");
    if let Some(local) = local {
        x.raw("<id")
            .attr("root", &local.root)
            .attr("extension", &local.extension)
            .raw("/>");
    }
}
