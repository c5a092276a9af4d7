//! `request`: what the bridge (or any client) sent, for the simulator (SMSP SPEC §2.4, §2.5, §4).
//!
//! Two classes of problem, because an SMSP answers them differently:
//! - **structure** (→ ITK 1000 fault): not a SOAP/ITK envelope, no HL7 payload, an unknown
//!   payload root, a `code` that is not the root's fixed code, no `queryEvent`, a parameter the
//!   interaction does not define, a repeated or out-of-order parameter (every content model is
//!   an `xs:sequence`, §0.10 — we flag order rather than ignore it), a missing mandatory
//!   parameter, or a parameter without its `value`/`semanticsText`;
//! - **content** (→ SMSP-0001 payload, or DEMOG-0042 for old-style numbers): the values inside
//!   well-placed parameters.

use super::reader::{parse_document, Element, Ns};
use super::{ParseError, ParsedRequest, RequestError};
use crate::domain::{Gender, LocalIdentifier, NhsNumber, NhsNumberError, PartialDate};
use crate::smsp::interaction::oid;
use crate::smsp::{AuditIdentity, Interaction, Query, QueryName};

const DOB: &str = "Person.DateOfBirth";
const GENDER: &str = "Person.Gender";
const LOCAL_ID: &str = "Person.LocalIdentifier";
const NHS: &str = "Person.NHSNumber";
const NAME: &str = "Person.Name";
const POSTCODE: &str = "Person.Postcode";

/// Each interaction's `queryEvent` content model: (parameter, mandatory), in schema order
/// (SMSP SPEC §4.1–4.5).
fn parameters(i: Interaction) -> &'static [(&'static str, bool)] {
    match i {
        Interaction::VerifyNhsNumber => &[(DOB, true), (NHS, true), (NAME, false)],
        Interaction::GetNhsNumber | Interaction::GetPatientDetailsBySearch => &[
            (DOB, true),
            (GENDER, true),
            (LOCAL_ID, false),
            (NAME, true),
            (POSTCODE, false),
        ],
        Interaction::GetPatientDetailsByNhsNumber => {
            &[(DOB, true), (LOCAL_ID, false), (NHS, true), (NAME, false)]
        }
        Interaction::GetPatientDetails => &[
            (DOB, true),
            (GENDER, false),
            (LOCAL_ID, false),
            (NHS, false),
            (NAME, false),
            (POSTCODE, false),
        ],
    }
}

pub(crate) fn request(body: &[u8]) -> Result<ParsedRequest, RequestError> {
    let doc = parse_document(body).map_err(|e| match e {
        ParseError::NotXml(m) | ParseError::Shape(m) => RequestError::NotXml(m),
        other => RequestError::NotXml(other.to_string()),
    })?;
    let root = doc.root();
    if !root.is(Ns::Soap, "Envelope") {
        return Err(structure("not a SOAP 1.1 envelope"));
    }
    let header = root.child(Ns::Soap, "Header");
    let wsa = |name| {
        header
            .and_then(|h| h.child(Ns::Wsa, name))
            .and_then(Element::text_value)
            .map(str::to_string)
    };
    let envelope = root
        .child(Ns::Soap, "Body")
        .and_then(|b| b.child(Ns::Itk, "DistributionEnvelope"))
        .ok_or_else(|| structure("SOAP Body has no itk:DistributionEnvelope"))?;
    let itk_header = envelope.child(Ns::Itk, "header");
    let payload = envelope
        .child(Ns::Itk, "payloads")
        .and_then(|p| p.child(Ns::Itk, "payload"))
        .and_then(Element::first_child)
        .ok_or_else(|| structure("ITK envelope has no payload"))?;
    let (interaction, query) = payload_query(payload)?;
    Ok(ParsedRequest {
        interaction,
        service: itk_header
            .and_then(|h| h.attr_value("service"))
            .map(str::to_string),
        action: wsa("Action"),
        message_id: wsa("MessageID"),
        tracking_id: itk_header
            .and_then(|h| h.attr_value("trackingid"))
            .map(str::to_string),
        audit_identity: itk_header
            .and_then(|h| h.path(Ns::Itk, &["auditIdentity", "id"]))
            .and_then(|id| {
                Some(AuditIdentity {
                    type_oid: id
                        .attr_value("type")
                        .unwrap_or(oid::AUDIT_IDENTITY_DEFAULT)
                        .to_string(),
                    uri: id.attr_value("uri")?.to_string(),
                })
            }),
        query,
    })
}

fn payload_query(p: Element<'_>) -> Result<(Interaction, Query), RequestError> {
    let interaction = Interaction::ALL
        .into_iter()
        .find(|i| p.ns() == Ns::Hl7 && p.name() == i.request_root())
        .ok_or_else(|| structure("payload root is not an SMSP PDS request"))?;
    let code = p.child(Ns::Hl7, "code").and_then(|c| c.attr_value("code"));
    if code != Some(interaction.request_code()) {
        return Err(structure(
            "payload code is missing or not the root's fixed code",
        ));
    }
    let event = p
        .child(Ns::Hl7, "queryEvent")
        .ok_or_else(|| structure("payload has no queryEvent"))?;
    let found = collect_parameters(interaction, event)?;
    let value = |name: &str| found.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);

    let mut query = Query::new(birth_date(interaction, value(DOB))?);
    if let Some(v) = value(GENDER) {
        query.gender = Some(gender(v)?);
    }
    if let Some(v) = value(LOCAL_ID) {
        query.local_identifier = Some(local_identifier(v)?);
    }
    if let Some(v) = value(NHS) {
        query.nhs_number = Some(nhs_number(v)?);
    }
    if let Some(v) = value(NAME) {
        query.name = Some(name(interaction, v)?);
    }
    if let Some(v) = value(POSTCODE) {
        query.postcode = Some(postcode(v)?);
    }
    query
        .check(interaction)
        .map_err(|e| RequestError::Structure(e.to_string()))?;
    Ok((interaction, query))
}

/// Walks `queryEvent` against the content model; returns each present parameter's `value`.
fn collect_parameters(
    interaction: Interaction,
    event: Element<'_>,
) -> Result<Vec<(&'static str, Element<'_>)>, RequestError> {
    let model = parameters(interaction);
    let mut next = 0;
    let mut found = Vec::with_capacity(model.len());
    for param in event.children() {
        let position = model
            .iter()
            .position(|(name, _)| param.is(Ns::Hl7, name))
            .ok_or_else(|| {
                structure("queryEvent has a parameter this interaction does not define")
            })?;
        if position < next {
            return Err(structure(
                "queryEvent parameters are repeated or out of schema order",
            ));
        }
        let name = model[position].0;
        if let Some((missing, _)) = model[next..position].iter().find(|(_, m)| *m) {
            return Err(RequestError::Structure(format!("{missing} is missing")));
        }
        let value = param
            .child(Ns::Hl7, "value")
            .ok_or_else(|| RequestError::Structure(format!("{name} has no value")))?;
        let semantics = param.child(Ns::Hl7, "semanticsText").map(Element::text);
        if semantics != Some(name) {
            return Err(RequestError::Structure(format!(
                "{name} has no semanticsText naming it"
            )));
        }
        found.push((name, value));
        next = position + 1;
    }
    if let Some((missing, _)) = model[next..].iter().find(|(_, m)| *m) {
        return Err(RequestError::Structure(format!("{missing} is missing")));
    }
    Ok(found)
}

/// TS.NHS.TimestampType1 is documented as YYYYMMDD (§0.2). getNHSNumber's TimestampType4 is
/// also sent as YYYYMMDDHHMM in public examples, so a 12- or 14-digit value is accepted there
/// (the time is not part of the query). Anything else — e.g. OpenTest's `2014051200`, `201405` —
/// is a validation error (SMSP-0001).
fn birth_date(i: Interaction, value: Option<Element<'_>>) -> Result<PartialDate, RequestError> {
    let v = value.and_then(|v| v.attr_value("value")).unwrap_or("");
    let widths: &[usize] = if i == Interaction::GetNhsNumber {
        &[8, 12, 14]
    } else {
        &[8]
    };
    let invalid = || invalid(DOB, "not a YYYYMMDD date");
    if !v.bytes().all(|b| b.is_ascii_digit()) || !widths.contains(&v.len()) {
        return Err(invalid());
    }
    PartialDate::parse_hl7(v).map_err(|_| invalid())
}

fn gender(v: Element<'_>) -> Result<Gender, RequestError> {
    if v.attr_value("codeSystem") != Some(Gender::CODE_SYSTEM) {
        return Err(invalid(GENDER, "codeSystem is not the Sex vocabulary"));
    }
    v.attr_value("code")
        .and_then(Gender::from_code)
        .ok_or_else(|| invalid(GENDER, "code is not 0, 1, 2 or 9"))
}

fn local_identifier(v: Element<'_>) -> Result<LocalIdentifier, RequestError> {
    let root = v
        .attr_value("root")
        .filter(|r| is_oid(r))
        .ok_or_else(|| invalid(LOCAL_ID, "root is not an OID"))?;
    let extension = v
        .attr_value("extension")
        .ok_or_else(|| invalid(LOCAL_ID, "extension is missing"))?;
    Ok(LocalIdentifier {
        root: root.to_string(),
        extension: extension.to_string(),
    })
}

/// II.NHS.IdentifierType1 fixes the root; the extension must be a new-style 10-digit number
/// (anything else → DEMOG-0042, §7) with a valid Modulus 11 check digit.
fn nhs_number(v: Element<'_>) -> Result<NhsNumber, RequestError> {
    if v.attr_value("root") != Some(oid::NHS_NUMBER) {
        return Err(invalid(NHS, "root is not the NHS number OID"));
    }
    let ext = v
        .attr_value("extension")
        .ok_or_else(|| invalid(NHS, "extension is missing"))?;
    NhsNumber::parse(ext).map_err(|e| match e {
        NhsNumberError::Format => RequestError::NotNewStyleNhsNumber,
        NhsNumberError::CheckDigit => invalid(NHS, "check digit is wrong"),
    })
}

/// PN.NHS.PersonNameType1/3: `given?` then `family?`, nothing else; `use` is prohibited in
/// getNHSNumber and getPatientDetailsBySearch (§3).
fn name(i: Interaction, v: Element<'_>) -> Result<QueryName, RequestError> {
    let use_prohibited = matches!(
        i,
        Interaction::GetNhsNumber | Interaction::GetPatientDetailsBySearch
    );
    if use_prohibited && v.attr("use").is_some() {
        return Err(invalid(NAME, "use attribute is not allowed here"));
    }
    let mut name = QueryName::default();
    let mut seen_family = false;
    for part in v.children() {
        match (part.ns(), part.name()) {
            (Ns::Hl7, "given") if name.given.is_none() && !seen_family => {
                name.given = Some(part.text().to_string());
            }
            (Ns::Hl7, "family") if !seen_family => {
                seen_family = true;
                name.family = Some(part.text().to_string());
            }
            _ => {
                return Err(invalid(
                    NAME,
                    "only one given then one family name are allowed",
                ))
            }
        }
    }
    name.given = name.given.filter(|g| !g.is_empty());
    name.family = name.family.filter(|f| !f.is_empty());
    Ok(name)
}

/// AD.NHS.AddressType1: exactly one `postalCode`, no lines, no `use` (§3).
fn postcode(v: Element<'_>) -> Result<String, RequestError> {
    if v.attr("use").is_some() {
        return Err(invalid(POSTCODE, "use attribute is not allowed"));
    }
    let mut children = v.children();
    match (children.next(), children.next()) {
        (Some(pc), None) if pc.is(Ns::Hl7, "postalCode") => pc
            .text_value()
            .map(str::to_string)
            .ok_or_else(|| invalid(POSTCODE, "postalCode is empty")),
        _ => Err(invalid(POSTCODE, "value must hold exactly one postalCode")),
    }
}

/// The HL7 OID pattern `([0-9][0-9]*)(\.[0-9][0-9]*)*`.
fn is_oid(s: &str) -> bool {
    s.split('.')
        .all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()))
}

fn structure(what: &str) -> RequestError {
    RequestError::Structure(what.into())
}

fn invalid(field: &'static str, reason: &str) -> RequestError {
    RequestError::Invalid {
        field,
        reason: reason.into(),
    }
}
