//! SMSP (PDS Mini Services, HL7 V3 over SOAP 1.1/ITK) — the bridge's south face.
//! Messages (`build`, `parse`), the envelope context, the transport and the client trait.

pub mod build;
mod client;
mod context;
mod error;
pub mod interaction;
pub mod parse;
mod query;
mod reply;
pub mod transport;

pub use client::{SmspCall, SmspClient};
pub use context::{upper_uuid, AuditIdentity, EnvelopeContext};
pub use error::SmspError;
pub use interaction::Interaction;
pub use query::{Query, QueryError, QueryName};
pub use reply::{ResponseBody, SmspReply, SmspResponse, ToolkitFault};
