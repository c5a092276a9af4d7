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
    form_urlencoded::parse(req.query_string().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `_format`, which the edge handles itself.
pub(crate) fn format_param(pairs: &[(String, String)]) -> Option<&str> {
    pairs
        .iter()
        .find(|(k, _)| k == "_format")
        .map(|(_, v)| v.as_str())
}
