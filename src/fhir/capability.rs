//! A CapabilityStatement stating exactly what the bridge serves. PDS itself has none
//! (PDS FHIR SPEC §1: no `capabilities` interaction); the bridge offers one so a client can
//! discover the SMSP limits without reading the source.

use serde::{Deserialize, Serialize};

use super::search::{BRIDGE_PARAMETERS, PDS_PARAMETERS};
use super::FHIR_JSON;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityStatement {
    #[serde(rename = "resourceType")]
    pub resource_type: super::datatypes::CapabilityStatementType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub status: String,
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<Software>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implementation: Option<Implementation>,
    pub fhir_version: String,
    pub format: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rest: Vec<Rest>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Software {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Implementation {
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rest {
    pub mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<RestResource>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestResource {
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interaction: Vec<ResourceInteraction>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search_param: Vec<SearchParam>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operation: Vec<Operation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceInteraction {
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchParam {
    pub name: String,
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    pub name: String,
    pub definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
}

/// The header a read needs, because SMSP needs a date of birth (SMSP SPEC §0.1).
pub const BIRTH_DATE_HEADER: &str = "X-SMSP-Birth-Date";

/// `(name, FHIR search type, documentation)` for every search parameter the bridge knows.
const SEARCH_PARAMS: [(&str, &str, &str); 18] = [
    ("family", "string", "Surname, exact (SMSP matches exactly). Required unless `identifier` is given. Max 35 characters. Wildcards (`*`) are refused: SMSP's wildcard syntax is not published."),
    ("given", "string", "One given name (a compound first name is one value). SMSP takes one given name: a second `given` is refused. No wildcards."),
    ("gender", "token", "male | female | other | unknown, sent to SMSP as Sex code 1 | 2 | 9 | 0. Without gender the bridge uses getPatientDetails instead of getPatientDetailsBySearch."),
    ("birthdate", "date", "Required. One full date, `YYYY-MM-DD`, optionally prefixed `eq`. Ranges, other prefixes, partial dates and a second birthdate are refused: SMSP matches one exact date of birth."),
    ("address-postalcode", "string", "Postcode, exact. No wildcards."),
    ("address-postcode", "string", "Deprecated alias of address-postalcode; sending both is refused (as PDS does)."),
    ("identifier", "token", "Bridge extension: `https://fhir.nhs.uk/Id/nhs-number|<NHS number>` (or the bare number). With birthdate only: getPatientDetailsByNHSNumber; with other demographics: getPatientDetails; with `_summary=count`: verifyNHSNumber."),
    ("_elements", "special", "Bridge extension: only `identifier` is supported; answers carry id and identifier only (getNHSNumber when gender is given)."),
    ("_summary", "special", "Bridge extension: only `count` (a Bundle with `total` and no entries)."),
    ("_max-results", "number", "Must be 1 (application-restricted mode): any other integer gives 403 INVALID_VALUE, as PDS does."),
    ("_exact-match", "special", "Accepted and has no effect: SMSP matching is always exact."),
    ("_format", "special", "JSON only (`json`, `application/json`, `application/fhir+json`)."),
    ("_fuzzy-match", "special", "Only `false`: SMSP cannot fuzzy-match; `true` is refused with 400 INVALID_SEARCH_DATA."),
    ("_history", "special", "Only `false`: SMSP matches current data only; `true` is refused."),
    ("email", "string", "Refused: SMSP searches take no email address."),
    ("phone", "string", "Refused: SMSP searches take no phone number."),
    ("death-date", "date", "Refused: SMSP searches take no date of death."),
    ("general-practitioner", "string", "Refused: SMSP searches take no GP practice."),
];

/// What the bridge supports, with the SMSP limits in the documentation fields. `base_url`
/// is the bridge's public FHIR base (e.g. `https://bridge.example/personal-demographics/FHIR/R4`).
pub fn statement(base_url: &str) -> CapabilityStatement {
    let base = base_url.trim_end_matches('/');
    debug_assert_eq!(
        SEARCH_PARAMS.len(),
        PDS_PARAMETERS.len() + BRIDGE_PARAMETERS.len()
    );
    let read_doc = format!(
        "Read by NHS number (getPatientDetailsByNHSNumber). SMSP needs the date of birth with every request, so send it \
         in the `{BIRTH_DATE_HEADER}` header (YYYY-MM-DD). A superseded number returns the superseding record (a different \
         `id`); an invalidated one gives 404 INVALIDATED_RESOURCE. No ETag: SMSP has no version. `meta.security` is \
         inferred (R when SMSP returned no address, telecom or GP)."
    );
    CapabilityStatement {
        resource_type: Default::default(),
        url: Some(format!("{base}/metadata")),
        name: "SmspBridge".into(),
        title: Some("smsp-bridge: the PDS FHIR API (application-restricted) answered from SMSP".into()),
        status: "active".into(),
        date: "2026-11-22".into(),
        publisher: Some("smsp-bridge".into()),
        description: Some(
            "Presents the PDS FHIR API surface in application-restricted mode and answers it from SMSP (PDS Mini \
             Services, HL7 V3). Read-only; searches are exact and return at most one patient; errors use PDS's \
             Spine-ErrorOrWarningCode codes, with the SMSP code as a second coding."
                .into(),
        ),
        kind: "instance".into(),
        software: Some(Software {
            name: "smsp-bridge".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        implementation: Some(Implementation {
            description: "smsp-bridge".into(),
            url: Some(base.to_string()),
        }),
        fhir_version: "4.0.1".into(),
        format: vec![FHIR_JSON.into(), "json".into()],
        rest: vec![Rest {
            mode: "server".into(),
            documentation: Some(
                "Patient read, search and $verify-nhs-number only. PATCH and POST give 403 INVALID_METHOD, as PDS does in \
                 application-restricted mode. XML is not offered."
                    .into(),
            ),
            resource: vec![RestResource {
                type_: "Patient".into(),
                documentation: Some(
                    "The PDS Patient profile, filled from SMSP's getPatientDetailsResponse: identifier, name (usual), \
                     gender, birthDate, deceasedDateTime, address, telecom, generalPractitioner (ODS code)."
                        .into(),
                ),
                interaction: vec![
                    ResourceInteraction {
                        code: "read".into(),
                        documentation: Some(read_doc),
                    },
                    ResourceInteraction {
                        code: "search-type".into(),
                        documentation: Some(
                            "Exact, unique-match search (getPatientDetailsBySearch, getPatientDetails or getNHSNumber). \
                             No match: an empty searchset; several: 200 OperationOutcome TOO_MANY_MATCHES. Scores are 1. \
                             Minimum: family + birthdate, or identifier + birthdate."
                                .into(),
                        ),
                    },
                ],
                search_param: SEARCH_PARAMS
                    .iter()
                    .map(|(name, type_, doc)| SearchParam {
                        name: (*name).into(),
                        type_: (*type_).into(),
                        documentation: Some((*doc).into()),
                    })
                    .collect(),
                operation: vec![Operation {
                    name: super::verify::OPERATION.into(),
                    definition: format!("{base}/OperationDefinition/verify-nhs-number"),
                    documentation: Some(
                        "SMSP verifyNHSNumber. GET with query parameters or POST a Parameters body: nhs-number and \
                         birthdate (required), family and given (optional). Returns Parameters: valid (boolean), \
                         nhsNumber (the superseding number when there is one), smspResponseCode."
                            .into(),
                    ),
                }],
            }],
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_every_known_search_parameter_and_the_operation() {
        let cs = statement("https://bridge.example/personal-demographics/FHIR/R4/");
        let v = serde_json::to_value(&cs).unwrap();
        assert_eq!(v["resourceType"], "CapabilityStatement");
        assert_eq!(v["fhirVersion"], "4.0.1");
        assert_eq!(v["format"][0], "application/fhir+json");
        let patient = &cs.rest[0].resource[0];
        for name in PDS_PARAMETERS.iter().chain(&BRIDGE_PARAMETERS) {
            assert!(
                patient.search_param.iter().any(|p| p.name == *name),
                "{name} not documented"
            );
        }
        assert_eq!(patient.operation[0].name, "verify-nhs-number");
        assert!(patient.interaction[0]
            .documentation
            .as_ref()
            .unwrap()
            .contains("X-SMSP-Birth-Date"));
        assert_eq!(
            cs.url.as_deref(),
            Some("https://bridge.example/personal-demographics/FHIR/R4/metadata")
        );
        let back: CapabilityStatement = serde_json::from_value(v).unwrap();
        assert_eq!(back, cs);
        assert!(crate::fhir::format::is_date_time(&cs.date));
    }
}
