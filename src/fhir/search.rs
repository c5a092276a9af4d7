//! `GET /Patient?…` query parsing into domain values, refusing what PDS refuses **in PDS's
//! order** (PDS FHIR SPEC §5.1, §7) and then what SMSP cannot serve (SMSP SPEC §0.4, §0.5, §11).
//!
//! Order of checks (first failure wins):
//! 1. `_max-results` that is an integer other than 1 → **403** INVALID_VALUE (`token`). The PDS
//!    proxy applies this before the request reaches PDS (SPEC §1 access modes, §7), so it
//!    precedes every PDS check.
//! 2. No parameters → UNSUPPORTED_SERVICE, no diagnostics. `_format` (the HTTP edge's) and
//!    `_max-results` (which the PDS proxy adds itself when absent) do not count as parameters.
//! 3. Unknown parameter(s) → ADDITIONAL_PROPERTIES. This precedes MISSING_VALUE: its text is a
//!    JSON-Schema validator message ("Invalid request with error - Additional properties are
//!    not allowed …", the same prefix as PDS's header-schema errors), so it comes from
//!    validating the request's shape, while the MISSING_VALUE text names PDS's internal search
//!    fields (`birth_date/birth_date_range_start/…`) and so comes from the search logic run
//!    after the shape has passed.
//! 4. A single-valued parameter repeated → INVALID_SEARCH_DATA (bridge wording).
//! 5. No `birthdate` → MISSING_VALUE (PDS checks birthdate first: SPEC §5.1).
//! 6. Malformed `birthdate`/`death-date`/`identifier` → INVALID_VALUE.
//! 7. `_fuzzy-match=true` → not servable (fuzzy mode has its own minimum combinations, which
//!    SMSP cannot serve anyway; saying "family missing" there would mislead).
//! 8. No `family` (and no `identifier`) → INVALID_SEARCH_DATA "minimum requirements".
//! 9. Malformed `gender` → INVALID_VALUE.
//! 10. Both `address-postalcode` and `address-postcode` → INVALID_SEARCH_DATA.
//! 11. Other malformed values (`_max-results` not an integer, booleans, `_elements`,
//!     `_summary`, empty or over-long names) → INVALID_VALUE.
//! 12. What SMSP cannot serve → INVALID_SEARCH_DATA naming the parameter (`not_servable`).

use std::collections::BTreeSet;

use super::datatypes::system;
use super::request_error::{echo, RequestError};
use super::spine_code::SpineCode;
use crate::domain::{Gender, NhsNumber, PartialDate};
use crate::mapping::vocabulary::Vocabulary;

/// Parameters PDS defines for search (SPEC §5.1).
pub const PDS_PARAMETERS: [&str; 14] = [
    "family",
    "given",
    "gender",
    "birthdate",
    "death-date",
    "address-postalcode",
    "address-postcode",
    "general-practitioner",
    "email",
    "phone",
    "_fuzzy-match",
    "_exact-match",
    "_history",
    "_max-results",
];

/// Parameters the bridge adds: NHS-number search, identifiers-only and count-only answers, and
/// the response format (handled by the HTTP edge).
pub const BRIDGE_PARAMETERS: [&str; 4] = ["identifier", "_elements", "_summary", "_format"];

/// Parameters PDS allows to repeat (SPEC §5.1); all others may appear once.
const REPEATABLE: [&str; 3] = ["given", "birthdate", "death-date"];

/// PDS's maximum name length (SPEC §5.1).
const MAX_NAME_CHARS: usize = 35;

/// FHIR search prefixes for dates (R4 §3.1.1.4.7.1).
const DATE_PREFIXES: [&str; 9] = ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"];

pub const MINIMUM_REQUIREMENTS: &str =
    "No searches were performed as the search criteria did not meet the minimum requirements";

#[derive(Clone, PartialEq, Eq)]
pub struct SearchRequest {
    pub family: Option<String>,
    pub given: Option<String>,
    pub gender: Option<Gender>,
    /// Always a full date: SMSP needs one (SMSP SPEC §0.2).
    pub birth_date: PartialDate,
    /// `address-postalcode` (or its deprecated alias `address-postcode`).
    pub postcode: Option<String>,
    /// From `identifier=https://fhir.nhs.uk/Id/nhs-number|N` (a bridge extension).
    pub nhs_number: Option<NhsNumber>,
    /// `_elements=identifier`: answer with id + identifier only.
    pub identifiers_only: bool,
    /// `_summary=count`: answer with `total` only.
    pub summary_count: bool,
    /// `_format` as sent, for the HTTP edge to judge (PDS is JSON only).
    pub format: Option<String>,
}

/// Only which parameters are present: values are patient data.
impl std::fmt::Debug for SearchRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchRequest")
            .field("family", &self.family.is_some())
            .field("given", &self.given.is_some())
            .field("gender", &self.gender.is_some())
            .field("postcode", &self.postcode.is_some())
            .field("nhs_number", &self.nhs_number.is_some())
            .field("identifiers_only", &self.identifiers_only)
            .field("summary_count", &self.summary_count)
            .finish_non_exhaustive()
    }
}

/// Parses with the embedded vocabulary (gender codes): for callers without loaded tables
/// (unit tests, fuzzing). The service parses with its own (`PatientService::tables`), which
/// `mappings_dir` may override.
pub fn parse(pairs: &[(String, String)]) -> Result<SearchRequest, RequestError> {
    parse_with(pairs, Vocabulary::embedded())
}

/// `parse` of a query string as a client sends it (`family=…&birthdate=…`): for tests, benches
/// and tools that hold a search as text rather than as decoded pairs.
pub fn parse_str(query: &str) -> Result<SearchRequest, RequestError> {
    parse(&super::query_pairs(query))
}

/// Parses with a loaded vocabulary (`mapping::Tables::vocabulary`).
pub fn parse_with(
    pairs: &[(String, String)],
    vocabulary: &Vocabulary,
) -> Result<SearchRequest, RequestError> {
    let q = Query(pairs);

    // 1. The proxy's app-restricted rule.
    if q.all("_max-results")
        .any(|v| v.trim().parse::<i64>().is_ok_and(|n| n != 1))
    {
        return Err(RequestError::bare(SpineCode::InvalidValueMaxResults));
    }
    // 2. Nothing to search on.
    if pairs
        .iter()
        .all(|(k, _)| k == "_format" || k == "_max-results")
    {
        return Err(RequestError::bare(SpineCode::UnsupportedService));
    }
    // 3. Unknown names.
    let unknown: BTreeSet<&str> = pairs
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !PDS_PARAMETERS.contains(k) && !BRIDGE_PARAMETERS.contains(k))
        .collect();
    if !unknown.is_empty() {
        return Err(additional_properties(unknown));
    }
    // 4. Repeats.
    for name in PDS_PARAMETERS.iter().chain(&BRIDGE_PARAMETERS) {
        if !REPEATABLE.contains(name) && q.all(name).count() > 1 {
            return Err(RequestError::invalid_search_data(&format!(
                "Parameter '{name}' may be given only once"
            )));
        }
    }
    // 5, 6. Birth date: present and well formed.
    let birthdates: Vec<&str> = q.all("birthdate").collect();
    if birthdates.is_empty() {
        return Err(RequestError::new(
            SpineCode::MissingValue,
            "Missing value - 'birth_date/birth_date_range_start/birth_date_range_end'",
        ));
    }
    let mut dates = Vec::new();
    for raw in &birthdates {
        dates.push(
            date_search_value(raw).ok_or_else(|| RequestError::invalid_value(raw, "birthdate"))?,
        );
    }
    for raw in q.all("death-date") {
        date_search_value(raw).ok_or_else(|| RequestError::invalid_value(raw, "death-date"))?;
    }
    let nhs_number = q
        .one("identifier")
        .map(|raw| {
            parse_identifier(raw).ok_or_else(|| RequestError::invalid_value(raw, "identifier"))
        })
        .transpose()?;
    // 7. Fuzzy mode.
    let fuzzy = boolean(&q, "_fuzzy-match")?;
    if fuzzy {
        return Err(RequestError::not_servable(
            "_fuzzy-match",
            "SMSP matches exactly (no soundex, transposed names or history), on one given name",
        ));
    }
    // 8. Minimum requirements (non-fuzzy: family + birthdate; the bridge: or an NHS number).
    let family = q.one("family");
    if family.is_none() && nhs_number.is_none() {
        return Err(RequestError::invalid_search_data(MINIMUM_REQUIREMENTS));
    }
    // 9. Gender.
    let gender = q
        .one("gender")
        .map(|g| {
            vocabulary
                .gender_from_fhir(g)
                .ok_or_else(|| RequestError::invalid_value(g, "gender"))
        })
        .transpose()?;
    // 10. Both postcode parameters.
    let postalcode = q.one("address-postalcode");
    let postcode_alias = q.one("address-postcode");
    if postalcode.is_some() && postcode_alias.is_some() {
        return Err(RequestError::invalid_search_data(
            "Only one of 'address-postalcode' and its deprecated alias 'address-postcode' may be given",
        ));
    }
    let postcode = postalcode.or(postcode_alias);
    // 11. Remaining value formats.
    if let Some(v) = q.one("_max-results") {
        if v.trim().parse::<i64>().is_err() {
            return Err(RequestError::invalid_value(v, "_max-results"));
        }
    }
    let history = boolean(&q, "_history")?;
    boolean(&q, "_exact-match")?; // harmless: SMSP matching is always exact
    let identifiers_only = match q.one("_elements") {
        None => false,
        Some(v) if elements_are_identifier_only(v) => true,
        Some(v) => return Err(RequestError::invalid_value(v, "_elements")),
    };
    let summary_count = match q.one("_summary") {
        None | Some("false") => false,
        Some("count") => true,
        Some(v) => return Err(RequestError::invalid_value(v, "_summary")),
    };
    for (name, value) in [
        ("address-postalcode", postalcode),
        ("address-postcode", postcode_alias),
    ] {
        if let Some(v) = value.filter(|v| v.trim().is_empty()) {
            return Err(RequestError::invalid_value(v, name));
        }
    }
    let givens: Vec<&str> = q.all("given").collect();
    let names = family.map(|f| ("family", f)).into_iter();
    for (field, v) in names.chain(givens.iter().map(|g| ("given", *g))) {
        if v.trim().is_empty() || v.chars().count() > MAX_NAME_CHARS {
            return Err(RequestError::invalid_value(v, field));
        }
    }
    // 12. What SMSP cannot serve.
    if history {
        return Err(RequestError::not_servable(
            "_history",
            "SMSP matches current data only, never previous names or addresses",
        ));
    }
    for (name, why) in [
        ("email", "SMSP searches take no email address"),
        ("phone", "SMSP searches take no phone number"),
        ("death-date", "SMSP searches take no date of death"),
        ("general-practitioner", "SMSP searches take no GP practice"),
    ] {
        if q.has(name) {
            return Err(RequestError::not_servable(name, why));
        }
    }
    if dates.len() > 1 {
        return Err(RequestError::not_servable(
            "birthdate",
            "SMSP matches one exact date of birth, so a date range or a second birthdate cannot be sent",
        ));
    }
    let (prefix, birth_date) = dates.remove(0);
    if prefix != "eq" {
        return Err(RequestError::not_servable(
            "birthdate",
            &format!(
                "SMSP matches one exact date of birth, so the prefix '{prefix}' cannot be sent"
            ),
        ));
    }
    if !birth_date.is_full() {
        return Err(RequestError::not_servable(
            "birthdate",
            "SMSP needs a full date of birth (YYYY-MM-DD), not a year or a month",
        ));
    }
    if givens.len() > 1 {
        return Err(RequestError::not_servable(
            "given",
            "SMSP matches on one given name only; send a compound first name as one value",
        ));
    }
    let given = givens.first().copied();
    for (name, value) in [
        ("family", family),
        ("given", given),
        (
            if postalcode.is_some() {
                "address-postalcode"
            } else {
                "address-postcode"
            },
            postcode,
        ),
    ] {
        if value.is_some_and(|v| v.contains('*')) {
            return Err(RequestError::not_servable(
                name,
                "SMSP's wildcard syntax is not published, so the bridge does not pass wildcards on",
            ));
        }
    }

    Ok(SearchRequest {
        // Outer whitespace is never part of a name: SMSP matches exactly, so pass it trimmed.
        family: family.map(|f| f.trim().to_string()),
        given: given.map(|g| g.trim().to_string()),
        gender,
        birth_date,
        postcode: postcode.map(|p| p.trim().to_string()),
        nhs_number,
        identifiers_only,
        summary_count,
        format: q.one("_format").map(str::to_string),
    })
}

/// The query pairs with lookups by name.
struct Query<'a>(&'a [(String, String)]);

impl<'a> Query<'a> {
    fn all(&self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn one(&self, name: &'a str) -> Option<&'a str> {
        self.all(name).next()
    }
    fn has(&self, name: &'a str) -> bool {
        self.one(name).is_some()
    }
}

/// `[prefix]YYYY[-MM[-DD]]` → (prefix, date); no prefix means `eq` (PDS SPEC §5.1).
fn date_search_value(raw: &str) -> Option<(&'static str, PartialDate)> {
    let (prefix, date) = DATE_PREFIXES
        .iter()
        .find(|p| raw.starts_with(*p))
        .map(|p| (*p, &raw[2..]))
        .unwrap_or(("eq", raw));
    PartialDate::parse_fhir(date).ok().map(|d| (prefix, d))
}

/// `https://fhir.nhs.uk/Id/nhs-number|N`, or a bare `N` (a FHIR token with no system), with a
/// valid Modulus 11 check digit.
fn parse_identifier(raw: &str) -> Option<NhsNumber> {
    let value = match raw.split_once('|') {
        Some((sys, value)) if sys == system::NHS_NUMBER => value,
        Some(_) => return None,
        None => raw,
    };
    NhsNumber::parse(value).ok()
}

/// `_elements` naming only `identifier` (and optionally `id`, which is always returned).
fn elements_are_identifier_only(v: &str) -> bool {
    let items: Vec<&str> = v.split(',').map(str::trim).collect();
    items.contains(&"identifier") && items.iter().all(|i| matches!(*i, "identifier" | "id"))
}

fn boolean(q: &Query<'_>, name: &'static str) -> Result<bool, RequestError> {
    match q.one(name) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(v) => Err(RequestError::invalid_value(v, name)),
    }
}

/// PDS's JSON-Schema message, names sorted and quoted as Python's `repr` does
/// (`('a', 'b' were unexpected)`).
pub(crate) fn additional_properties<'a>(
    unknown: impl IntoIterator<Item = &'a str>,
) -> RequestError {
    let names: Vec<String> = unknown.into_iter().map(|n| py_repr(&echo(n))).collect();
    let verb = if names.len() == 1 { "was" } else { "were" };
    RequestError::new(
        SpineCode::AdditionalProperties,
        format!(
            "Invalid request with error - Additional properties are not allowed ({} {verb} unexpected)",
            names.join(", ")
        ),
    )
}

/// Python's `repr` of a str: single quotes unless the text has a `'` and no `"`.
fn py_repr(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{}\"", s.replace('\\', "\\\\"))
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> (SpineCode, Option<String>) {
        let e = parse_str(s).expect_err(s);
        (e.code, e.diagnostics)
    }

    fn diag(s: &str) -> String {
        err(s).1.unwrap_or_default()
    }

    #[test]
    fn accepts_the_pds_basic_search() {
        let r = parse_str("family=Smith&gender=female&birthdate=eq2010-10-22").unwrap();
        assert_eq!(r.family.as_deref(), Some("Smith"));
        assert_eq!(r.gender, Some(Gender::Female));
        assert_eq!(r.birth_date.to_fhir(), "2010-10-22");
        assert_eq!(r.given, None);
        assert!(!r.identifiers_only && !r.summary_count);
        // INT tests send a bare date (SPEC §5.1).
        let r = parse_str("family=YOUDS&birthdate=1970-01-24&_max-results=1").unwrap();
        assert_eq!(r.gender, None);
    }

    #[test]
    fn accepts_every_servable_parameter() {
        let r = parse_str(
            "family=Smith&given=John%20Paul&gender=other&birthdate=2010-10-22&address-postalcode=LS1%206AE\
             &_exact-match=true&_fuzzy-match=false&_history=false&_max-results=1&_format=json",
        )
        .unwrap();
        assert_eq!(r.given.as_deref(), Some("John Paul"));
        assert_eq!(r.gender, Some(Gender::NotSpecified));
        assert_eq!(r.postcode.as_deref(), Some("LS1 6AE"));
        assert_eq!(r.format.as_deref(), Some("json"));
        let r =
            parse_str("family=Smith&birthdate=2010-10-22&address-postcode=LS16AE&gender=unknown")
                .unwrap();
        assert_eq!(r.postcode.as_deref(), Some("LS16AE"));
        assert_eq!(r.gender, Some(Gender::NotKnown));
    }

    #[test]
    fn identifier_elements_and_summary() {
        let r = parse_str(
            "identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009&birthdate=2010-10-22&_summary=count",
        )
        .unwrap();
        assert_eq!(r.nhs_number.unwrap().as_str(), "9000000009");
        assert!(r.summary_count);
        assert_eq!(r.family, None);
        let r = parse_str("identifier=9000000009&birthdate=2010-10-22").unwrap();
        assert!(r.nhs_number.is_some());
        let r = parse_str("family=Smith&gender=male&birthdate=2010-10-22&_elements=identifier")
            .unwrap();
        assert!(r.identifiers_only);
        assert!(
            parse_str("family=Smith&birthdate=2010-10-22&_elements=id,identifier")
                .unwrap()
                .identifiers_only
        );
        assert_eq!(
            diag("identifier=https://example.org|9000000009&birthdate=2010-10-22"),
            "Invalid value - 'https://example.org|9000000009' in field 'identifier'"
        );
        assert_eq!(
            diag("identifier=https://fhir.nhs.uk/Id/nhs-number|9000000000&birthdate=2010-10-22"),
            "Invalid value - 'https://fhir.nhs.uk/Id/nhs-number|9000000000' in field 'identifier'"
        );
        assert_eq!(
            diag("family=Smith&birthdate=2010-10-22&_elements=name"),
            "Invalid value - 'name' in field '_elements'"
        );
        assert_eq!(
            diag("family=Smith&birthdate=2010-10-22&_summary=true"),
            "Invalid value - 'true' in field '_summary'"
        );
    }

    #[test]
    fn no_parameters_is_unsupported_service_without_diagnostics() {
        assert_eq!(err(""), (SpineCode::UnsupportedService, None));
        assert_eq!(err("_format=json"), (SpineCode::UnsupportedService, None));
        assert_eq!(err("_max-results=1"), (SpineCode::UnsupportedService, None));
    }

    #[test]
    fn unknown_parameters_use_the_pds_json_schema_wording() {
        assert_eq!(
            err("family=Smith&birthdate=2010-10-22&year=2003"),
            (
                SpineCode::AdditionalProperties,
                Some("Invalid request with error - Additional properties are not allowed ('year' was unexpected)".into())
            )
        );
        assert_eq!(
            diag("b=1&a=2&b=3&family=Smith"),
            "Invalid request with error - Additional properties are not allowed ('a', 'b' were unexpected)"
        );
        assert_eq!(
            diag("it's=1"),
            "Invalid request with error - Additional properties are not allowed (\"it's\" was unexpected)"
        );
        // managing-organization is "internal use only" and not a search parameter (SPEC §5.1).
        assert_eq!(
            err("managing-organization=Y12345").0,
            SpineCode::AdditionalProperties
        );
        // long names are cut
        let long = "x".repeat(300);
        assert!(diag(&format!("{long}=1")).len() < 200);
    }

    #[test]
    fn pds_validation_order() {
        // additional properties before missing birthdate
        assert_eq!(
            err("gender=female&year=1").0,
            SpineCode::AdditionalProperties
        );
        // missing birthdate first: gender alone gets it (SPEC §5.1)
        assert_eq!(
            err("gender=female"),
            (
                SpineCode::MissingValue,
                Some(
                    "Missing value - 'birth_date/birth_date_range_start/birth_date_range_end'"
                        .into()
                )
            )
        );
        assert_eq!(err("family=Smith").0, SpineCode::MissingValue);
        // bad birthdate
        assert_eq!(
            err("family=Smith&birthdate=20101022"),
            (
                SpineCode::InvalidValue,
                Some("Invalid value - '20101022' in field 'birthdate'".into())
            )
        );
        assert_eq!(
            diag("birthdate=2010-02-30"),
            "Invalid value - '2010-02-30' in field 'birthdate'"
        );
        // birthdate but no family
        assert_eq!(
            err("birthdate=2010-10-22&gender=female"),
            (
                SpineCode::InvalidSearchData,
                Some("Invalid search data provided - 'No searches were performed as the search criteria did not meet the minimum requirements'".into())
            )
        );
        // no family beats bad gender
        assert_eq!(
            err("birthdate=2010-10-22&gender=mal").0,
            SpineCode::InvalidSearchData
        );
        assert_eq!(
            err("family=Smith&birthdate=2010-10-22&gender=mal"),
            (
                SpineCode::InvalidValue,
                Some("Invalid value - 'mal' in field 'gender'".into())
            )
        );
        // bad gender before both postcodes
        assert_eq!(
            err("family=Smith&birthdate=2010-10-22&gender=mal&address-postcode=A&address-postalcode=A").0,
            SpineCode::InvalidValue
        );
        assert_eq!(
            err("family=Smith&birthdate=2010-10-22&address-postcode=LS1&address-postalcode=LS1").0,
            SpineCode::InvalidSearchData
        );
    }

    #[test]
    fn max_results_rules() {
        for bad in ["2", "0", "50", "-1"] {
            let e = parse_str(&format!(
                "family=Smith&birthdate=2010-10-22&_max-results={bad}"
            ))
            .unwrap_err();
            assert_eq!(e.code, SpineCode::InvalidValueMaxResults);
            assert_eq!(e.http_status(), 403);
            let v = serde_json::to_value(e.to_outcome()).unwrap();
            assert_eq!(v["issue"][0]["code"], "token");
            assert_eq!(
                v["issue"][0]["details"]["coding"][0]["display"],
                "Cannot retrieve more than one result with application-restricted access token"
            );
            assert_eq!(
                v["issue"][0]["diagnostics"],
                "Your app has insufficient permissions to perform this search. Please contact support."
            );
        }
        // the proxy's 403 comes before everything else
        assert_eq!(err("_max-results=5").0, SpineCode::InvalidValueMaxResults);
        assert_eq!(
            err("year=1&_max-results=5").0,
            SpineCode::InvalidValueMaxResults
        );
        let e = parse_str("family=Smith&birthdate=2010-10-22&_max-results=abc").unwrap_err();
        assert_eq!(e.code, SpineCode::InvalidValue);
        assert_eq!(e.http_status(), 400);
        assert_eq!(
            e.diagnostics.as_deref(),
            Some("Invalid value - 'abc' in field '_max-results'")
        );
    }

    #[test]
    fn what_smsp_cannot_serve_is_named() {
        let base = "family=Smith&birthdate=2010-10-22";
        for (extra, param) in [
            ("_fuzzy-match=true", "_fuzzy-match"),
            ("_history=true", "_history"),
            ("email=jane.smith@example.com", "email"),
            ("phone=01632960587", "phone"),
            ("death-date=2020-01-01", "death-date"),
            ("general-practitioner=Y12345", "general-practitioner"),
            ("birthdate=2010-10-23", "birthdate"),
            ("given=Jane&given=Anne", "given"),
            ("given=Ja*", "given"),
            ("address-postalcode=LS*", "address-postalcode"),
            ("address-postcode=LS*", "address-postcode"),
        ] {
            let (code, d) = err(&format!("{base}&{extra}"));
            assert_eq!(code, SpineCode::InvalidSearchData, "{extra}");
            let d = d.unwrap();
            assert!(
                d.starts_with(&format!("Parameter '{param}' cannot be served by SMSP: ")),
                "{extra}: {d}"
            );
        }
        let (code, d) = err("family=Sm*&birthdate=2010-10-22");
        assert_eq!(code, SpineCode::InvalidSearchData);
        assert!(d
            .unwrap()
            .starts_with("Parameter 'family' cannot be served by SMSP"));
        for prefix in ["ge", "le", "gt", "lt", "ne", "sa", "eb", "ap"] {
            let d = diag(&format!("family=Smith&birthdate={prefix}2010-10-22"));
            assert!(d.contains(&format!("prefix '{prefix}'")), "{d}");
        }
        assert!(diag("family=Smith&birthdate=2010").contains("full date of birth"));
        assert!(diag("family=Smith&birthdate=2010-10").contains("full date of birth"));
        // fuzzy is named even where PDS fuzzy rules would not need a family
        assert!(diag("given=Jane&gender=female&birthdate=2010-10-22&address-postalcode=LS1&_fuzzy-match=true")
            .starts_with("Parameter '_fuzzy-match'"));
        // a bad death-date is still PDS's INVALID_VALUE
        assert_eq!(
            diag("family=Smith&birthdate=2010-10-22&death-date=2020"),
            "Parameter 'death-date' cannot be served by SMSP: SMSP searches take no date of death"
        );
        assert_eq!(
            diag("family=Smith&birthdate=2010-10-22&death-date=20200101"),
            "Invalid value - '20200101' in field 'death-date'"
        );
    }

    #[test]
    fn value_checks() {
        assert_eq!(
            diag("family=Smith&birthdate=2010-10-22&_fuzzy-match=yes"),
            "Invalid value - 'yes' in field '_fuzzy-match'"
        );
        assert_eq!(
            diag("family=&birthdate=2010-10-22"),
            "Invalid value - '' in field 'family'"
        );
        assert_eq!(
            diag(&format!("family={}&birthdate=2010-10-22", "a".repeat(36))),
            format!("Invalid value - '{}' in field 'family'", "a".repeat(36))
        );
        assert_eq!(
            diag("family=Smith&given=&birthdate=2010-10-22"),
            "Invalid value - '' in field 'given'"
        );
        assert_eq!(
            diag("family=Smith&family=Smyth&birthdate=2010-10-22"),
            "Invalid search data provided - 'Parameter 'family' may be given only once'"
        );
        // echoed values are cut to 100 characters
        let long = "9".repeat(500);
        let d = diag(&format!("family=Smith&birthdate={long}"));
        assert!(d.len() < 160, "{d}");
    }

    #[test]
    fn debug_shows_shape_only() {
        let r = parse_str("family=Smith&birthdate=2010-10-22").unwrap();
        assert!(!format!("{r:?}").contains("Smith"));
    }
}
