//! Property tests (issue 8): any name, postcode or date the FHIR side accepts produces a
//! request the simulator reads back unchanged — XML-special characters, non-ASCII and inner
//! whitespace included.
//!
//! In process (many cases): query string → `fhir::search::parse` (or a `Parameters` body →
//! `fhir::verify::parse_parameters`) → `mapping::plan` → `smsp::build::request_envelope` →
//! `smsp::parse::request` (the simulator's reader). Through the real HTTPS simulator (fewer
//! cases): generated patients in a CSV data set, searched for through the bridge's FHIR API,
//! must come back as the one match with the same name and postcode.
//!
//! What "unchanged" means, exactly (the two documented transformations):
//! - characters XML 1.0 cannot carry (C0 controls other than tab/LF/CR, U+FFFE, U+FFFF) are
//!   written as U+FFFD by `smsp::build`, so such a query cannot silently match something else;
//! - the simulator's reader trims leading and trailing whitespace of a value (SMSP matching
//!   ignores it). Inner whitespace, tabs and line breaks included, arrives as sent.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use smsp_bridge::domain::PartialDate;
use smsp_bridge::fhir::{search, verify};
use smsp_bridge::mapping::plan;
use smsp_bridge::smsp::{build, parse, AuditIdentity, EnvelopeContext, Interaction, Query};

use crate::helpers::sim::spawn_sim_with;
use crate::helpers::spawn_app_with;

// ------------------------------------------------------------------ generators

/// Characters names and postcodes are drawn from: letters, XML-special and punctuation,
/// non-ASCII (accents, other scripts, astral plane, NBSP, typographic quote), whitespace and,
/// rarely, any character at all.
fn text_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => prop::char::range('A', 'Z'),
        3 => prop::char::range('a', 'z'),
        3 => prop::sample::select(vec![
            ' ', '\'', '-', '&', '<', '>', '"', '.', ',', ';', '%', '+', '#', '=', '|', '\\', '/',
            '?', '(', ')', ']', ']', '!', '@', '$',
        ]),
        3 => prop::sample::select(vec![
            'é', 'Å', 'ö', 'ß', 'Ł', 'ø', 'ñ', 'Ç', 'Ω', 'Ж', '中', 'ا', '😀', '\u{00A0}',
            '\u{2019}', '\u{0301}',
        ]),
        1 => prop::sample::select(vec!['\t', '\n', '\r', ' ']),
        1 => any::<char>(),
    ]
}

fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(text_char(), 1..=max).prop_map(|v| v.into_iter().collect())
}

/// A real calendar date (the FHIR side refuses impossible ones).
fn date() -> impl Strategy<Value = (u16, u8, u8)> {
    (1900u16..=2099, 1u8..=12, 1u8..=31).prop_filter("a real date", |(y, m, d)| {
        PartialDate::full(*y, *m, *d).is_ok()
    })
}

fn gender() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::of(prop::sample::select(vec![
        "male", "female", "other", "unknown",
    ]))
}

// ------------------------------------------------------------------ expectations

/// What the simulator should read for a value the bridge sent (see the module comment).
fn on_the_wire(value: &str) -> String {
    let xml_safe: String = value
        .chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 => '\u{FFFD}',
            '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect();
    xml_safe.trim().to_string()
}

/// The query string a client sends, decoded the way the HTTP edge decodes it.
fn through_url(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    smsp_bridge::fhir::query_pairs(&ser.finish())
}

/// Builds the envelope the bridge would send and reads it as the simulator does.
fn round_trip(interaction: Interaction, query: &Query) -> Result<Query, TestCaseError> {
    let ctx = EnvelopeContext::new(
        "https://smsp.test/smsp/pds",
        "urn:smsp-bridge",
        "bridge",
        AuditIdentity::local_user("X99", "tester"),
    );
    let xml = build::request_envelope(interaction, query, &ctx)
        .map_err(|e| TestCaseError::fail(format!("not built: {e}")))?;
    let parsed = parse::request(xml.as_bytes())
        .map_err(|e| TestCaseError::fail(format!("simulator refused it: {e}\n{xml}")))?;
    prop_assert_eq!(parsed.interaction, interaction);
    Ok(parsed.query)
}

fn name_of(q: &Query) -> (Option<String>, Option<String>) {
    q.name
        .as_ref()
        .map_or((None, None), |n| (n.given.clone(), n.family.clone()))
}

/// The simulator drops a value that is blank once trimmed.
fn expected(value: Option<&str>) -> Option<String> {
    value.map(on_the_wire).filter(|v| !v.is_empty())
}

// ------------------------------------------------------------------ in process

proptest! {
    #![proptest_config(Config { cases: 512, ..Config::default() })]

    /// `GET /Patient?family&given&address-postalcode&birthdate[&gender]`.
    #[test]
    fn accepted_search_values_reach_the_simulator_unchanged(
        family in text(35),
        given in prop::option::of(text(35)),
        postcode in prop::option::of(text(12)),
        (y, m, d) in date(),
        gender in gender(),
    ) {
        let mut pairs = vec![
            ("family", family.clone()),
            ("birthdate", format!("{y:04}-{m:02}-{d:02}")),
        ];
        if let Some(g) = &given { pairs.push(("given", g.clone())); }
        if let Some(p) = &postcode { pairs.push(("address-postalcode", p.clone())); }
        if let Some(g) = gender { pairs.push(("gender", g.to_string())); }
        let pairs = through_url(&pairs);
        // Only what the FHIR side accepts is a claim about the wire.
        let Ok(request) = search::parse(&pairs) else { return Ok(()); };
        // The FHIR side trims outer whitespace from names (SMSP matches exactly).
        prop_assert_eq!(request.family.as_deref(), Some(family.trim()));

        let (interaction, query) = plan::search_plan(&request);
        let read = round_trip(interaction, &query)?;
        prop_assert_eq!(
            name_of(&read),
            (expected(given.as_deref().map(str::trim)), expected(Some(family.trim())))
        );
        // The FHIR side trims names and postcodes itself.
        prop_assert_eq!(read.postcode, expected(postcode.as_deref().map(str::trim)));
        prop_assert_eq!(read.birth_date, PartialDate::full(y, m, d).unwrap());
        prop_assert_eq!(read.gender, query.gender);
    }

    /// `POST /Patient/$verify-nhs-number` with a `Parameters` body.
    #[test]
    fn accepted_verify_values_reach_the_simulator_unchanged(
        family in prop::option::of(text(35)),
        given in prop::option::of(text(35)),
        (y, m, d) in date(),
    ) {
        let mut parameter = vec![
            serde_json::json!({"name": "nhs-number", "valueString": "9990001006"}),
            serde_json::json!({"name": "birthdate", "valueDate": format!("{y:04}-{m:02}-{d:02}")}),
        ];
        if let Some(f) = &family { parameter.push(serde_json::json!({"name": "family", "valueString": f})); }
        if let Some(g) = &given { parameter.push(serde_json::json!({"name": "given", "valueString": g})); }
        let body = serde_json::json!({"resourceType": "Parameters", "parameter": parameter});
        let Ok(request) = verify::parse_parameters(body.to_string().as_bytes()) else { return Ok(()); };

        let (interaction, query) = plan::verify_plan(&request);
        let read = round_trip(interaction, &query)?;
        prop_assert_eq!(name_of(&read), (expected(given.as_deref()), expected(family.as_deref())));
        prop_assert_eq!(read.birth_date, PartialDate::full(y, m, d).unwrap());
        prop_assert_eq!(read.nhs_number, query.nhs_number);
    }

    /// `identifier=…|N&birthdate=[eq]YYYY-MM-DD`: the date, as the simulator reads it.
    #[test]
    fn accepted_dates_reach_the_simulator_unchanged(
        (y, m, d) in date(),
        prefix in prop::sample::select(vec!["", "eq"]),
    ) {
        let pairs = through_url(&[
            ("identifier", "https://fhir.nhs.uk/Id/nhs-number|9990001006".to_string()),
            ("birthdate", format!("{prefix}{y:04}-{m:02}-{d:02}")),
        ]);
        let request = search::parse(&pairs).expect("a full date is accepted");
        let (interaction, query) = plan::search_plan(&request);
        let read = round_trip(interaction, &query)?;
        prop_assert_eq!(read.birth_date, PartialDate::full(y, m, d).unwrap());
    }
}

// ------------------------------------------------------------------ through HTTPS

/// A CSV field, quoted (the loader reads RFC 4180 quoting).
fn csv(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// Valid NHS numbers (Modulus 11) for generated patients, from `base` on.
fn nhs_numbers(base: u64, n: usize) -> Vec<String> {
    (base..)
        .filter_map(|stem| {
            let digits: Vec<u64> = format!("{stem:09}")
                .bytes()
                .map(|b| u64::from(b - b'0'))
                .collect();
            let sum: u64 = digits.iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
            let check = 11 - (sum % 11);
            match check {
                11 => Some(format!("{stem:09}0")),
                10 => None,
                c => Some(format!("{stem:09}{c}")),
            }
        })
        .take(n)
        .collect()
}

/// Names for the HTTPS cases: no control characters (they cannot match by design), no
/// wildcard, no outer whitespace (the data set's loader trims its cells).
fn printable(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        text_char().prop_filter("printable, no wildcard", |c| {
            !c.is_control() && *c != '*' && !matches!(c, '\u{FFFE}' | '\u{FFFF}')
        }),
        1..=max,
    )
    .prop_map(|v| v.into_iter().collect::<String>().trim().to_string())
    .prop_filter("not blank", |s| !s.is_empty())
}

#[tokio::test]
async fn generated_patients_are_found_through_the_https_simulator() {
    const CASES: usize = 12;
    let mut runner = TestRunner::deterministic();
    let strategy = (printable(35), printable(35), printable(10));
    let mut people = Vec::new();
    while people.len() < CASES {
        let (family, given, postcode) = strategy.new_tree(&mut runner).unwrap().current();
        let pairs = through_url(&[
            ("family", family.clone()),
            ("given", given.clone()),
            ("address-postalcode", postcode.clone()),
            ("birthdate", "1970-01-01".into()),
            ("gender", "female".into()),
        ]);
        if search::parse(&pairs).is_ok() {
            people.push((family, given, postcode));
        }
    }
    let numbers = nhs_numbers(999_100_000, CASES);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("patients.csv");
    let mut data = String::from(
        "Test ref,NHS_NUMBER,DATE_OF_BIRTH,FAMILY_NAME,GIVEN_NAME,GENDER,ADDRESS_LINE_1,POST_CODE\n",
    );
    for (i, (family, given, postcode)) in people.iter().enumerate() {
        // A distinct birth date each, so no two generated people can match one search.
        data.push_str(&format!(
            "GEN-{i},{},{},{},{},Female,1 TEST STREET,{}\n",
            numbers[i],
            format_args!("1970{:02}{:02}", 1 + i / 28, 1 + i % 28),
            csv(family),
            csv(given),
            csv(postcode),
        ));
    }
    std::fs::write(&path, data).unwrap();

    let sim = spawn_sim_with(Default::default(), Some(path)).await;
    let app = spawn_app_with(sim, |s| s.cache.enabled = false).await;
    for (i, (family, given, postcode)) in people.iter().enumerate() {
        let birthdate = format!("1970-{:02}-{:02}", 1 + i / 28, 1 + i % 28);
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("family", family)
            .append_pair("given", given)
            .append_pair("address-postalcode", postcode)
            .append_pair("birthdate", &birthdate)
            .append_pair("gender", "female")
            .finish();
        let reply = app.get(&format!("/Patient?{query}"), &[]).await;
        let case = format!("{family:?} {given:?} {postcode:?}");
        assert_eq!(reply.status, 200, "{case}: {}", reply.json);
        assert_eq!(reply.json["total"], 1, "{case}: {}", reply.json);
        let patient = &reply.json["entry"][0]["resource"];
        assert_eq!(patient["id"], numbers[i].as_str(), "{case}");
        assert_eq!(patient["name"][0]["family"], family.as_str(), "{case}");
        assert_eq!(patient["name"][0]["given"][0], given.as_str(), "{case}");
        assert_eq!(
            patient["address"][0]["postalCode"],
            postcode.as_str(),
            "{case}"
        );
    }
    app.stop().await;
}
