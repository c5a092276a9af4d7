//! One file per interaction.

pub mod metadata;
pub mod ping;
pub mod read;
pub mod search;
pub mod status;
pub mod unsupported;
pub mod verify;

/// The query string as ordered name/value pairs (repeats kept, percent-decoding done).
pub(crate) fn query_pairs(req: &actix_web::HttpRequest) -> Vec<(String, String)> {
    crate::fhir::query_pairs(req.query_string())
}

/// `_format`, which the edge handles itself.
pub(crate) fn format_param(pairs: &[(String, String)]) -> Option<&str> {
    pairs
        .iter()
        .find(|(k, _)| k == "_format")
        .map(|(_, v)| v.as_str())
}
