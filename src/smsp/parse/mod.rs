//! Response and fault parsers (quick-xml NsReader). OWNED BY THE WIRE-LAYER HELPER — stub.

use super::SmspReply;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("not well-formed XML: {0}")]
    NotXml(String),
    #[error("unexpected message shape: {0}")]
    Shape(String),
    #[error("document nested too deeply")]
    TooDeep,
    #[error("DOCTYPE declarations are not accepted")]
    Doctype,
}

/// Parses an SMSP HTTP body (a response envelope or a SOAP fault).
pub fn reply(_body: &[u8]) -> Result<SmspReply, ParseError> {
    unimplemented!("wire layer not yet written")
}
