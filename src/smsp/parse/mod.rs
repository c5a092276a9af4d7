//! SMSP message parsers (quick-xml `NsReader`, namespace-aware and prefix-agnostic):
//! `reply` reads what SMSP answered (SMSP SPEC §2.6, §5) for the bridge; `request` reads what a
//! client sent (§2.4, §2.5, §4) for the simulator. Neither panics on any input.

mod fault;
#[cfg(test)]
mod oracle;
mod patient;
mod reader;
mod reply;
mod request;
mod scope;

use super::{AuditIdentity, Interaction, Query, SmspReply};

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

/// Parses an SMSP HTTP body: a response envelope (→ `SmspReply::Response`) or a SOAP fault with
/// `itk:ToolkitErrorInfo` (→ `SmspReply::Fault`). A bare HL7 response payload is also read.
pub fn reply(body: &[u8]) -> Result<SmspReply, ParseError> {
    reply::reply(body)
}

/// A request as the simulator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRequest {
    /// From the payload root element, cross-checked against its `code`.
    pub interaction: Interaction,
    /// `itk:header/@service`.
    pub service: Option<String>,
    /// `wsa:Action`.
    pub action: Option<String>,
    /// `wsa:MessageID`.
    pub message_id: Option<String>,
    /// `itk:header/@trackingid`.
    pub tracking_id: Option<String>,
    /// The first `itk:auditIdentity/itk:id` (type defaults to the ITK default OID).
    pub audit_identity: Option<AuditIdentity>,
    pub query: Query,
}

/// Why a request could not be understood. Messages name elements and rules, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// Not well-formed (including DOCTYPE, excessive nesting, non-UTF-8) → ITK 1000 fault.
    #[error("request is not well-formed XML: {0}")]
    NotXml(String),
    /// Not a recognisable request of a known interaction → ITK 1000 fault.
    #[error("request structure is invalid: {0}")]
    Structure(String),
    /// A parameter value fails its data type or vocabulary → SMSP-0001 payload.
    #[error("{field} is invalid: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// The NHS number is not a 10-digit new-style number → DEMOG-0042.
    #[error("Person.NHSNumber is not a new-style NHS number")]
    NotNewStyleNhsNumber,
}

/// Parses a request envelope (used by the simulator).
pub fn request(body: &[u8]) -> Result<ParsedRequest, RequestError> {
    request::request(body)
}
