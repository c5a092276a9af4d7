//! FHIR R4 model subset and request parsing: the bridge's north face.
//!
//! A small typed serde model of exactly what PDS emits (rust-stack.md explains why not
//! fhirbolt): Patient, the searchset Bundle, OperationOutcome, Parameters and a
//! CapabilityStatement, plus request parsing into domain values (`search`, `verify`) that
//! refuses requests the way PDS does (PDS FHIR SPEC §5, §7).

pub mod bundle;
pub mod capability;
pub mod datatypes;
pub mod format;
pub mod operation_outcome;
pub mod origin;
pub mod parameters;
pub mod patient;
pub mod request_error;
pub mod search;
pub mod spine_code;
pub mod verify;

pub use bundle::{Bundle, BundleEntry};
pub use capability::CapabilityStatement;
pub use datatypes::{Coding, Identifier};
pub use operation_outcome::{IssueSeverity, OperationOutcome};
pub use parameters::{Parameter, Parameters};
pub use patient::Patient;
pub use request_error::RequestError;
pub use search::SearchRequest;
pub use spine_code::SpineCode;
pub use verify::VerifyRequest;

/// The media type PDS answers with (PDS FHIR SPEC §3).
pub const FHIR_JSON: &str = "application/fhir+json";

/// A query string as ordered name/value pairs, percent-decoded and with repeats kept: the input
/// `search::parse` and `verify::parse_query` take, read the same way wherever it comes from (the
/// HTTP edge, compare cases, tests).
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}
