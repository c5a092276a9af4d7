//! Fuzz target (issue 8): `$verify-nhs-number` parsing — a `Parameters` body
//! (`fhir::verify::parse_parameters`, JSON from the caller) and the same operation's query form
//! (`fhir::verify::parse_query`).
//! Oracles: no panic; every accepted request builds an envelope the simulator's request parser
//! reads back as verifyNHSNumber.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsp_bridge::fhir::verify::{self, VerifyRequest};
use smsp_bridge::mapping::plan;

mod round_trip;

fn check(request: &VerifyRequest) {
    let (interaction, query) = plan::verify_plan(request);
    round_trip::envelope_reads_back(interaction, &query, "verify");
}

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = verify::parse_parameters(data) {
        check(&request);
    }
    let pairs: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    if let Ok(request) = verify::parse_query(&pairs) {
        check(&request);
    }
});
