//! The all-fields getPatientDetailsResponse and the two halves of its translation, shared by
//! `benches/messages.rs` (timed) and `examples/hot_paths.rs` (counted) so both measure the
//! same steps, taken as `bridge::read` takes them.

use smsp_bridge::bridge::Answer;
use smsp_bridge::domain::Patient;
use smsp_bridge::mapping::{patient::to_fhir, Tables, View};
use smsp_bridge::smsp::{parse, ResponseBody, SmspReply};

/// The fixture every mapping figure in docs/PERFORMANCE.md is measured on.
pub const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/smsp/getpatientdetails-response-allfields.xml"
);

/// A getPatientDetailsResponse into its domain `Patient`.
pub fn patient(body: &[u8]) -> Box<Patient> {
    let SmspReply::Response(r) = parse::reply(body).expect("a readable answer") else {
        panic!("a fault, not an answer")
    };
    let ResponseBody::PatientDetails(Some(p)) = r.body else {
        panic!("an answer with no patient")
    };
    p
}

/// The `Patient` as PDS JSON bytes (the answer's `body`): the FHIR resource, then
/// `Answer::json`.
pub fn patient_json(p: &Patient, tables: &Tables) -> Answer {
    Answer::json(200, &to_fhir(p, tables, View::Read))
        .unwrap_or_else(|e| panic!("not serialised: {}", e.status))
}
