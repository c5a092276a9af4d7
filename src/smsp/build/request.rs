//! The SOAP 1.1 request envelope for the five interactions (SMSP SPEC §2.3–§2.5, §4).

use chrono::Duration;

use super::writer::Xml;
use crate::smsp::interaction::{ns, oid};
use crate::smsp::{EnvelopeContext, Interaction, Query, QueryError};

/// A request is ~2.3 KB; one allocation covers it plus long names and URLs.
const REQUEST_CAPACITY: usize = 4096;

/// Writes the complete SOAP 1.1 request envelope for `interaction`.
/// `query.check(interaction)` runs first, so only parameter sets the interaction's schema
/// allows are ever written (SMSP SPEC §4.1–4.5).
pub fn request_envelope(
    interaction: Interaction,
    query: &Query,
    ctx: &EnvelopeContext,
) -> Result<String, QueryError> {
    query.check(interaction)?;
    let mut x = Xml::with_capacity(REQUEST_CAPACITY);
    x.raw(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
        .raw("\n<soap:Envelope xmlns:soap=\"")
        .raw(ns::SOAP)
        .raw("\" xmlns:wsa=\"")
        .raw(ns::WSA)
        .raw("\" xmlns:itk=\"")
        .raw(ns::ITK)
        .raw("\">");
    soap_header(&mut x, interaction, ctx);
    x.raw("<soap:Body>");
    distribution_envelope(&mut x, interaction, query, ctx);
    x.raw("</soap:Body></soap:Envelope>");
    Ok(x.finish())
}

/// WS-Addressing + WS-Security headers as in every official request (SMSP SPEC §2.4):
/// UsernameToken carries only the username; Created/Expires are whole UTC seconds.
fn soap_header(x: &mut Xml, interaction: Interaction, ctx: &EnvelopeContext) {
    let expires = ctx
        .created
        .checked_add_signed(Duration::seconds(ctx.ttl_seconds.max(0)))
        .unwrap_or(ctx.created);
    x.raw("<soap:Header><wsa:MessageID>")
        .uuid(&ctx.message_id)
        .raw("</wsa:MessageID><wsa:Action>")
        .raw(interaction.service())
        .raw("</wsa:Action>")
        .text_element("wsa:To", &ctx.to)
        .raw("<wsa:From>")
        .text_element("wsa:Address", &ctx.from)
        .raw("</wsa:From><wsse:Security xmlns:wsse=\"")
        .raw(ns::WSSE)
        .raw("\"><wsu:Timestamp xmlns:wsu=\"")
        .raw(ns::WSU)
        .raw("\"")
        // wsu:Id is an xs:ID, which must not start with a digit as a bare UUID may.
        .uuid_attr("wsu:Id", "TS-", &ctx.message_id)
        .raw("><wsu:Created>")
        .utc_seconds(&ctx.created)
        .raw("</wsu:Created><wsu:Expires>")
        .utc_seconds(&expires)
        .raw("</wsu:Expires></wsu:Timestamp><wsse:UsernameToken>")
        .text_element("wsse:Username", &ctx.username)
        .raw("</wsse:UsernameToken></wsse:Security></soap:Header>");
}

/// ITK Distribution Envelope v2.0 with one manifest item and one payload sharing the id
/// `uuid_<UPPER UUID>` (xs:ID must not start with a digit) — SMSP SPEC §2.5.
fn distribution_envelope(
    x: &mut Xml,
    interaction: Interaction,
    query: &Query,
    ctx: &EnvelopeContext,
) {
    x.raw("<itk:DistributionEnvelope><itk:header service=\"")
        .raw(interaction.service())
        .raw("\"")
        .uuid_attr("trackingid", "", &ctx.tracking_id)
        .raw("><itk:auditIdentity><itk:id");
    if !ctx.audit_identity.type_oid.is_empty() {
        x.attr("type", &ctx.audit_identity.type_oid);
    }
    x.attr("uri", &ctx.audit_identity.uri)
        .raw("/></itk:auditIdentity><itk:manifest count=\"1\"><itk:manifestitem")
        .uuid_attr("id", "uuid_", &ctx.payload_id)
        .raw(" mimetype=\"text/xml\" profileid=\"urn:nhs-en:profile:")
        .raw(interaction.request_code())
        .raw("\" base64=\"false\" compressed=\"false\" encrypted=\"false\"/></itk:manifest>");
    if let Some(sender) = &ctx.sender_address {
        x.raw("<itk:senderAddress").attr("uri", sender).raw("/>");
    }
    x.raw("</itk:header><itk:payloads count=\"1\"><itk:payload")
        .uuid_attr("id", "uuid_", &ctx.payload_id)
        .raw(">");
    payload(x, interaction, query, &ctx.act_id);
    x.raw("</itk:payload></itk:payloads></itk:DistributionEnvelope>");
}

/// The HL7 V3 query act (SMSP SPEC §4). All five content models list their parameters in the
/// same relative order — DOB, Gender, LocalIdentifier, NHSNumber, Name, Postcode — so one
/// writer serves them all once `Query::check` has ruled out parameters an interaction forbids.
fn payload(x: &mut Xml, interaction: Interaction, query: &Query, act_id: &uuid::Uuid) {
    let root = interaction.request_root();
    x.raw("<")
        .raw(root)
        .raw(" xmlns=\"")
        .raw(ns::HL7)
        .raw("\" classCode=\"CACT\" moodCode=\"EVN\"><id")
        .uuid_attr("root", "", act_id)
        .raw("/><code code=\"")
        .raw(interaction.request_code())
        .raw("\" codeSystem=\"")
        .raw(oid::MESSAGE_TYPE)
        .raw("\"/><queryEvent>");

    x.raw("<Person.DateOfBirth><value value=\"")
        .hl7_date(&query.birth_date)
        .raw("\"/>");
    close_parameter(x, "Person.DateOfBirth");

    if let Some(gender) = query.gender {
        x.raw("<Person.Gender><value code=\"")
            .raw(gender.code())
            .raw("\" codeSystem=\"")
            .raw(oid::SEX)
            .raw("\"/>");
        close_parameter(x, "Person.Gender");
    }
    if let Some(local) = &query.local_identifier {
        x.raw("<Person.LocalIdentifier><value")
            .attr("root", &local.root)
            .attr("extension", &local.extension)
            .raw("/>");
        close_parameter(x, "Person.LocalIdentifier");
    }
    if let Some(nhs) = &query.nhs_number {
        x.raw("<Person.NHSNumber><value root=\"")
            .raw(oid::NHS_NUMBER)
            .raw("\" extension=\"")
            .raw(nhs.as_str())
            .raw("\"/>");
        close_parameter(x, "Person.NHSNumber");
    }
    if let Some(name) = &query.name {
        // One given and one family, never `use` (prohibited in PersonNameType3) — §3, §0.4.
        x.raw("<Person.Name><value>");
        if let Some(given) = name.given.as_deref().filter(|g| !g.is_empty()) {
            x.text_element("given", given);
        }
        if let Some(family) = name.family.as_deref().filter(|f| !f.is_empty()) {
            x.text_element("family", family);
        }
        x.raw("</value>");
        close_parameter(x, "Person.Name");
    }
    if let Some(postcode) = &query.postcode {
        x.raw("<Person.Postcode><value><postalCode>")
            .text(postcode)
            .raw("</postalCode></value>");
        close_parameter(x, "Person.Postcode");
    }
    x.raw("</queryEvent></").raw(root).raw(">");
}

/// `<semanticsText>` is fixed to the parameter's element name (SMSP SPEC §4).
fn close_parameter(x: &mut Xml, name: &str) {
    x.raw("<semanticsText>")
        .raw(name)
        .raw("</semanticsText></")
        .raw(name)
        .raw(">");
}
