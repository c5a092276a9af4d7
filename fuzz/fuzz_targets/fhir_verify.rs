//! Fuzz target (issue 8): `$verify-nhs-number` parsing — a `Parameters` body
//! (`fhir::verify::parse_parameters`, JSON from the caller) and the same operation's query form
//! (`fhir::verify::parse_query`).
//! Oracles: no panic; every accepted request builds an envelope the simulator's request parser
//! reads back as verifyNHSNumber.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsp_bridge::fhir::verify::{self, VerifyRequest};
use smsp_bridge::mapping::plan;
use smsp_bridge::smsp::{build, parse, AuditIdentity, EnvelopeContext};

fn round_trip(request: &VerifyRequest) {
    let (interaction, query) = plan::verify_plan(request);
    let ctx = EnvelopeContext::new(
        "https://smsp.fuzz/smsp/pds",
        "urn:smsp-bridge",
        "fuzz",
        AuditIdentity::local_user("X99", "fuzz"),
    );
    let xml =
        build::request_envelope(interaction, &query, &ctx).expect("an accepted verify builds");
    match parse::request(xml.as_bytes()) {
        Ok(parsed) => assert_eq!(parsed.interaction, interaction),
        Err(e) => panic!("the simulator's reader refused an accepted verify: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = verify::parse_parameters(data) {
        round_trip(&request);
    }
    let pairs: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    if let Ok(request) = verify::parse_query(&pairs) {
        round_trip(&request);
    }
});
