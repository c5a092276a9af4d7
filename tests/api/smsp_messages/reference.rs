//! The official reference examples, only when `../shared/reference` is present.

use std::path::Path;

use smsp_bridge::smsp::parse::{self, ParseError, RequestError};
use smsp_bridge::smsp::SmspReply;

#[test]
fn reference_examples_parse_when_present() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|p| p.join("shared/reference/smsp/examples"));
    let Some(dir) = dir.filter(|d| d.is_dir()) else {
        println!("note: ../shared/reference/smsp/examples not found; reference check skipped");
        return;
    };
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        if !file.ends_with(".xml") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        seen += 1;
        if file.contains("Request") {
            let parsed = parse::request(&bytes);
            // The verify example (official-derived) uses 9999345201, which fails Modulus 11:
            // the simulator must answer it as a validation error, not as a query.
            if file == "verifyNHSNumberRequest-v1-0.xml" {
                assert!(
                    matches!(
                        parsed,
                        Err(RequestError::Invalid {
                            field: "Person.NHSNumber",
                            ..
                        })
                    ),
                    "{file}: {parsed:?}"
                );
                continue;
            }
            let parsed = parsed.unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(
                parsed.action.as_deref(),
                Some(parsed.interaction.service()),
                "{file}"
            );
        } else {
            let parsed = parse::reply(&bytes);
            // The getNHSNumber success payload sample also carries 9999345201: a traced NHS
            // number that fails Modulus 11 is refused rather than passed to a FHIR client.
            if file == "getNHSNumberResponse-v1-0-success-payload.xml" {
                assert!(matches!(parsed, Err(ParseError::Shape(_))), "{file}");
                continue;
            }
            let parsed = parsed.unwrap_or_else(|e| panic!("{file}: {e}"));
            match (file.contains("fault"), parsed) {
                (true, SmspReply::Fault(f)) => assert_eq!(f.error_code, "1000"),
                (false, SmspReply::Response(_)) => {}
                (_, other) => panic!("{file}: wrong kind {other:?}"),
            }
        }
    }
    assert!(seen >= 16, "expected the 16 reference examples, saw {seen}");
}
