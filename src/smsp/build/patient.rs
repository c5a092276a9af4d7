//! The getPatientDetailsResponse subject, every `Patient` field in schema order (SMSP SPEC §5.3).

use super::response::ids;
use super::writer::Xml;
use crate::domain::{Address, GpPractice, Patient, PersonName, Telecom, TelecomSystem};
use crate::smsp::interaction::oid;

/// PN.NHS.PersonNameType2 allows two givens; AD.NHS.AddressType2 exactly five lines; the
/// patient at most three addresses (SMSP SPEC §3, §5.3). Extra values cannot be expressed.
const MAX_GIVEN: usize = 2;
const ADDRESS_LINES: usize = 5;
const MAX_ADDRESSES: usize = 3;

pub(super) fn patient_subject(x: &mut Xml, p: &Patient) {
    x.raw("<subject typeCode=\"SBJ\"><patient classCode=\"PAT\">");
    ids(x, &p.nhs_number, p.local_identifier.as_ref());
    if let Some(name) = &p.name {
        person_name(x, name);
    }
    for address in p.addresses.iter().take(MAX_ADDRESSES) {
        addr(x, address);
    }
    for telecom in &p.telecoms {
        tel(x, telecom);
    }
    let has_person =
        p.gender.is_some() || p.birth_date.is_some() || p.deceased.is_some() || p.gp.is_some();
    if has_person {
        x.raw("<patientPerson classCode=\"PSN\" determinerCode=\"INSTANCE\">");
        if let Some(g) = p.gender {
            x.raw("<administrativeGenderCode code=\"")
                .raw(g.code())
                .raw("\" codeSystem=\"")
                .raw(oid::SEX)
                .raw("\"/>");
        }
        if let Some(b) = &p.birth_date {
            x.raw("<birthTime value=\"").hl7_date(b).raw("\"/>");
        }
        if let Some((d, t)) = &p.deceased {
            x.raw("<deceasedTime value=\"")
                .hl7_date_time(d, t.as_ref())
                .raw("\"/>");
        }
        if let Some(gp) = &p.gp {
            gp_practice(x, gp);
        }
        x.raw("</patientPerson>");
    }
    x.raw("</patient></subject>");
}

fn person_name(x: &mut Xml, n: &PersonName) {
    x.raw("<name");
    if let Some(u) = n.use_code.as_deref().filter(|u| !u.is_empty()) {
        x.attr("use", u);
    }
    x.raw(">");
    if let Some(prefix) = n.prefix.as_deref().filter(|s| !s.is_empty()) {
        x.text_element("prefix", prefix);
    }
    for given in n.given.iter().filter(|g| !g.is_empty()).take(MAX_GIVEN) {
        x.text_element("given", given);
    }
    if let Some(family) = n.family.as_deref().filter(|s| !s.is_empty()) {
        x.text_element("family", family);
    }
    x.raw("</name>");
}

/// postalCode, then exactly five positional `streetAddressLine`s, padded with empty elements.
fn addr(x: &mut Xml, a: &Address) {
    x.raw("<addr");
    if let Some(u) = a.use_code.as_deref().filter(|u| !u.is_empty()) {
        x.attr("use", u);
    }
    x.raw(">");
    if let Some(pc) = &a.postal_code {
        x.text_element("postalCode", pc);
    }
    for i in 0..ADDRESS_LINES {
        x.text_element(
            "streetAddressLine",
            a.lines.get(i).map(String::as_str).unwrap_or(""),
        );
    }
    x.raw("</addr>");
}

/// TEL: `@use` is the space-separated use list, `@value` a URL with a lower-case scheme.
fn tel(x: &mut Xml, t: &Telecom) {
    x.raw("<telecom");
    if !t.use_codes.is_empty() {
        x.attr("use", &t.use_codes.join(" "));
    }
    // No scheme: written as a phone number, TEL's usual case.
    let scheme = if t.scheme.is_empty() {
        TelecomSystem::Phone.scheme()
    } else {
        t.scheme.as_str()
    };
    x.attr(
        "value",
        &format!("{}:{}", scheme.to_ascii_lowercase(), t.value),
    );
    if t.periods.is_empty() {
        x.raw("/>");
        return;
    }
    x.raw(">");
    for period in &t.periods {
        x.raw("<useablePeriod>");
        if let Some(low) = &period.low {
            x.raw("<low value=\"").hl7_date(low).raw("\"/>");
        }
        if let Some(high) = &period.high {
            x.raw("<high value=\"").hl7_date(high).raw("\"/>");
        }
        x.raw("</useablePeriod>");
    }
    x.raw("</telecom>");
}

fn gp_practice(x: &mut Xml, gp: &GpPractice) {
    x.raw("<gPPractice classCode=\"SDLOC\">");
    if let Some(a) = &gp.address {
        addr(x, a);
    }
    if let Some(t) = &gp.telecom {
        tel(x, t);
    }
    if gp.ods_code.is_some() || gp.name.is_some() {
        x.raw("<locationOrganization classCode=\"ORG\" determinerCode=\"INSTANCE\">");
        if let Some(code) = &gp.ods_code {
            x.raw("<id")
                .attr("root", gp.ods_root.as_deref().unwrap_or(oid::ODS_SITE))
                .attr("extension", code)
                .raw("/>");
        }
        if let Some(name) = &gp.name {
            x.text_element("name", name);
        }
        x.raw("</locationOrganization>");
    }
    x.raw("</gPPractice>");
}
