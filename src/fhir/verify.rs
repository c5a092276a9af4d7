//! `$verify-nhs-number`: the bridge's operation for SMSP's verifyNHSNumber (SMSP SPEC §4.1,
//! §5.1). PDS has no such endpoint (apps read or search and compare, PDS FHIR SPEC §10.3);
//! the bridge offers one because SMSP has it and it needs no patient data in the answer.
//!
//! In: parameters `nhs-number`, `birthdate` (both required), `family`, `given` (optional), as a
//! query string (`GET`) or a `Parameters` body (`POST`). Errors use PDS's codes and wording, in
//! the same order as search: no parameters → UNSUPPORTED_SERVICE; unknown → ADDITIONAL_PROPERTIES;
//! repeated → INVALID_SEARCH_DATA; missing → MISSING_VALUE; malformed → INVALID_VALUE; what SMSP
//! cannot serve (a partial date, wildcards) → INVALID_SEARCH_DATA naming the parameter.
//!
//! Out: `Parameters` with `valid` (valueBoolean), `nhsNumber` (valueIdentifier, the superseding
//! number when SMSP returned one) and `smspResponseCode` (valueCoding in SMSP's code system).

use super::datatypes::{system, Identifier};
use super::format;
use super::origin::response_code_coding;
use super::parameters::{Parameter, Parameters};
use super::request_error::RequestError;
use super::spine_code::SpineCode;
use crate::domain::{NhsNumber, PartialDate, ResponseCode};
use crate::smsp::QueryName;

pub const OPERATION: &str = "verify-nhs-number";
pub const PARAMETER_NAMES: [&str; 4] = ["nhs-number", "birthdate", "family", "given"];
const MAX_NAME_CHARS: usize = 35;

#[derive(Clone, PartialEq, Eq)]
pub struct VerifyRequest {
    pub nhs_number: NhsNumber,
    /// Always a full date (SMSP SPEC §0.2).
    pub birth_date: PartialDate,
    pub name: Option<QueryName>,
}

impl std::fmt::Debug for VerifyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyRequest")
            .field("name", &self.name.is_some())
            .finish_non_exhaustive()
    }
}

/// From a query string (`_format` is the HTTP edge's and is ignored here).
pub fn parse_query(pairs: &[(String, String)]) -> Result<VerifyRequest, RequestError> {
    let values: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(k, _)| k != "_format")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    validate(&values)
}

/// From a FHIR `Parameters` body (JSON). `nhs-number` may be a valueString or a
/// valueIdentifier (system nhs-number); `birthdate` a valueDate or valueString holding an R4
/// `date`; `family`/`given` valueStrings.
pub fn parse_parameters(body: &[u8]) -> Result<VerifyRequest, RequestError> {
    let params: Parameters = serde_json::from_slice(body).map_err(|_| {
        RequestError::new(
            SpineCode::InvalidValue,
            "Invalid request with error - the body must be a FHIR Parameters resource in JSON",
        )
    })?;
    if let Some(id) = &params.id {
        if !format::is_id(id) {
            return Err(RequestError::invalid_value(id, "id"));
        }
    }
    let mut values: Vec<(&str, &str)> = Vec::new();
    for p in &params.parameter {
        let value = if p.value_count() != 1 || !p.part.is_empty() {
            None
        } else {
            parameter_text(p)?
        };
        match value {
            Some(v) => values.push((p.name.as_str(), v)),
            None if PARAMETER_NAMES.contains(&p.name.as_str()) => {
                return Err(RequestError::new(
                    SpineCode::InvalidValue,
                    format!(
                        "Invalid value - parameter '{}' needs exactly one value of type {}",
                        p.name,
                        expected_types(&p.name)
                    ),
                ))
            }
            // unknown names are reported together by `validate`
            None => values.push((p.name.as_str(), "")),
        }
    }
    validate(&values)
}

/// The answer: `valid`, `nhsNumber` (when known) and `smspResponseCode`.
pub fn result(valid: bool, nhs_number: Option<&str>, smsp_code: &ResponseCode) -> Parameters {
    let mut parameter = vec![Parameter::boolean("valid", valid)];
    if let Some(n) = nhs_number {
        parameter.push(Parameter::identifier(
            "nhsNumber",
            Identifier::new(system::NHS_NUMBER, n),
        ));
    }
    parameter.push(Parameter::coding(
        "smspResponseCode",
        response_code_coding(smsp_code),
    ));
    Parameters::new(parameter)
}

fn expected_types(name: &str) -> &'static str {
    match name {
        "nhs-number" => "valueString or valueIdentifier",
        "birthdate" => "valueDate or valueString",
        _ => "valueString",
    }
}

/// The text of a parameter's single value, checked against its R4 type.
fn parameter_text(p: &Parameter) -> Result<Option<&str>, RequestError> {
    if let Some(d) = &p.value_date {
        if !format::is_date(d) {
            return Err(RequestError::invalid_value(d, &p.name));
        }
        return Ok(Some(d));
    }
    if let Some(id) = &p.value_identifier {
        if p.name != "nhs-number" {
            return Ok(None);
        }
        let sys_ok = id.system.as_deref().is_none_or(|s| s == system::NHS_NUMBER);
        return match (&id.value, sys_ok) {
            (Some(v), true) => Ok(Some(v)),
            _ => Err(RequestError::invalid_value(
                &format!(
                    "{}|{}",
                    id.system.as_deref().unwrap_or_default(),
                    id.value.as_deref().unwrap_or_default()
                ),
                "nhs-number",
            )),
        };
    }
    Ok(p.value_string.as_deref())
}

fn validate(values: &[(&str, &str)]) -> Result<VerifyRequest, RequestError> {
    if values.is_empty() {
        return Err(RequestError::bare(SpineCode::UnsupportedService));
    }
    let mut unknown: Vec<&str> = values
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| !PARAMETER_NAMES.contains(k))
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    if !unknown.is_empty() {
        return Err(super::search::additional_properties(unknown));
    }
    let count = |name: &str| values.iter().filter(|(k, _)| *k == name).count();
    for name in PARAMETER_NAMES {
        if count(name) > 1 {
            return Err(RequestError::invalid_search_data(&format!(
                "Parameter '{name}' may be given only once"
            )));
        }
    }
    let one = |name: &str| values.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    let raw_nhs = one("nhs-number").ok_or_else(|| RequestError::missing_value("nhs-number"))?;
    let raw_date = one("birthdate").ok_or_else(|| RequestError::missing_value("birthdate"))?;
    let nhs_number = NhsNumber::parse(raw_nhs)
        .map_err(|_| RequestError::invalid_value(raw_nhs, "nhs-number"))?;
    let birth_date = PartialDate::parse_fhir(raw_date)
        .map_err(|_| RequestError::invalid_value(raw_date, "birthdate"))?;
    let family = one("family");
    let given = one("given");
    for (field, v) in [("family", family), ("given", given)] {
        if let Some(v) = v.filter(|v| v.trim().is_empty() || v.chars().count() > MAX_NAME_CHARS) {
            return Err(RequestError::invalid_value(v, field));
        }
    }
    if !birth_date.is_full() {
        return Err(RequestError::not_servable(
            "birthdate",
            "SMSP needs a full date of birth (YYYY-MM-DD), not a year or a month",
        ));
    }
    for (field, v) in [("family", family), ("given", given)] {
        if v.is_some_and(|v| v.contains('*')) {
            return Err(RequestError::not_servable(
                field,
                "SMSP verifies against exact names; wildcards cannot be sent",
            ));
        }
    }
    let name = (family.is_some() || given.is_some()).then(|| QueryName {
        given: given.map(str::to_string),
        family: family.map(str::to_string),
    });
    Ok(VerifyRequest {
        nhs_number,
        birth_date,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(s: &str) -> Vec<(String, String)> {
        crate::fhir::query_pairs(s)
    }

    fn body(v: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn query_form() {
        let r = parse_query(&q(
            "nhs-number=9000000009&birthdate=2010-10-22&_format=json",
        ))
        .unwrap();
        assert_eq!(r.nhs_number.as_str(), "9000000009");
        assert_eq!(r.birth_date.to_hl7(), "20101022");
        assert!(r.name.is_none());
        let r = parse_query(&q(
            "nhs-number=9000000009&birthdate=2010-10-22&family=Smith",
        ))
        .unwrap();
        let n = r.name.unwrap();
        assert_eq!(n.family.as_deref(), Some("Smith"));
        assert_eq!(n.given, None);
    }

    #[test]
    fn query_errors_in_order() {
        let e = |s: &str| {
            let e = parse_query(&q(s)).unwrap_err();
            (e.code, e.diagnostics.unwrap_or_default())
        };
        assert_eq!(e("").0, SpineCode::UnsupportedService);
        assert_eq!(
            e("nhs-number=9000000009&dob=2010-10-22"),
            (
                SpineCode::AdditionalProperties,
                "Invalid request with error - Additional properties are not allowed ('dob' was unexpected)".into()
            )
        );
        assert_eq!(
            e("birthdate=2010-10-22"),
            (
                SpineCode::MissingValue,
                "Missing value - 'nhs-number'".into()
            )
        );
        assert_eq!(
            e("nhs-number=9000000009"),
            (
                SpineCode::MissingValue,
                "Missing value - 'birthdate'".into()
            )
        );
        assert_eq!(
            e("nhs-number=9000000000&birthdate=2010-10-22"),
            (
                SpineCode::InvalidValue,
                "Invalid value - '9000000000' in field 'nhs-number'".into()
            )
        );
        assert_eq!(
            e("nhs-number=9000000009&birthdate=20101022"),
            (
                SpineCode::InvalidValue,
                "Invalid value - '20101022' in field 'birthdate'".into()
            )
        );
        assert_eq!(
            e("nhs-number=9000000009&birthdate=2010-10").0,
            SpineCode::InvalidSearchData
        );
        assert_eq!(
            e("nhs-number=9000000009&birthdate=2010-10-22&family=Sm*").0,
            SpineCode::InvalidSearchData
        );
        assert_eq!(
            e("nhs-number=9000000009&nhs-number=9000000009&birthdate=2010-10-22").0,
            SpineCode::InvalidSearchData
        );
        assert_eq!(
            e("nhs-number=9000000009&birthdate=2010-10-22&given=").0,
            SpineCode::InvalidValue
        );
    }

    #[test]
    fn parameters_body() {
        let r = parse_parameters(&body(json!({"resourceType": "Parameters", "parameter": [
            {"name": "nhs-number", "valueIdentifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}},
            {"name": "birthdate", "valueDate": "2010-10-22"},
            {"name": "given", "valueString": "Jane"}]})))
        .unwrap();
        assert_eq!(r.nhs_number.as_str(), "9000000009");
        assert_eq!(r.name.unwrap().given.as_deref(), Some("Jane"));
        let r = parse_parameters(&body(json!({"resourceType": "Parameters", "parameter": [
            {"name": "nhs-number", "valueString": "9000000009"},
            {"name": "birthdate", "valueString": "2010-10-22"}]})))
        .unwrap();
        assert_eq!(r.birth_date.to_fhir(), "2010-10-22");
    }

    #[test]
    fn parameters_body_errors() {
        let e = |v: serde_json::Value| parse_parameters(&body(v)).unwrap_err();
        assert_eq!(
            parse_parameters(b"not json").unwrap_err().code,
            SpineCode::InvalidValue
        );
        assert_eq!(
            e(json!({"resourceType": "Patient", "id": "x"})).code,
            SpineCode::InvalidValue
        );
        assert_eq!(
            e(json!({"resourceType": "Parameters"})).code,
            SpineCode::UnsupportedService
        );
        // R4 date format is enforced on valueDate
        let err = e(json!({"resourceType": "Parameters", "parameter": [
            {"name": "nhs-number", "valueString": "9000000009"},
            {"name": "birthdate", "valueDate": "22/10/2010"}]}));
        assert_eq!(
            err.diagnostics.as_deref(),
            Some("Invalid value - '22/10/2010' in field 'birthdate'")
        );
        // wrong identifier system
        let err = e(json!({"resourceType": "Parameters", "parameter": [
            {"name": "nhs-number", "valueIdentifier": {"system": "https://example.org", "value": "9000000009"}},
            {"name": "birthdate", "valueDate": "2010-10-22"}]}));
        assert_eq!(err.code, SpineCode::InvalidValue);
        // a value of the wrong type
        let err = e(json!({"resourceType": "Parameters", "parameter": [
            {"name": "nhs-number", "valueBoolean": true},
            {"name": "birthdate", "valueDate": "2010-10-22"}]}));
        assert!(err
            .diagnostics
            .unwrap()
            .contains("valueString or valueIdentifier"));
        // unknown names
        let err = e(
            json!({"resourceType": "Parameters", "parameter": [{"name": "x", "valueString": "1"}]}),
        );
        assert_eq!(err.code, SpineCode::AdditionalProperties);
        // bad resource id
        let err = e(json!({"resourceType": "Parameters", "id": "has space", "parameter": []}));
        assert_eq!(
            err.diagnostics.as_deref(),
            Some("Invalid value - 'has space' in field 'id'")
        );
    }

    #[test]
    fn result_parameters() {
        let p = result(true, Some("9000000009"), &ResponseCode::Success);
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"resourceType": "Parameters", "parameter": [
                {"name": "valid", "valueBoolean": true},
                {"name": "nhsNumber", "valueIdentifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}},
                {"name": "smspResponseCode", "valueCoding": {"system": "urn:oid:2.16.840.1.113883.2.1.3.2.4.17.285",
                    "code": "SMSP-0000", "display": "Success"}}]})
        );
        let p = result(false, None, &ResponseCode::NotVerified);
        assert_eq!(p.parameter.len(), 2);
        assert_eq!(
            p.get("smspResponseCode")
                .unwrap()
                .value_coding
                .as_ref()
                .unwrap()
                .code
                .as_deref(),
            Some("DEMOG-0040")
        );
    }
}
