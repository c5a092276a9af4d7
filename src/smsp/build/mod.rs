//! SMSP message builders: request envelopes for the bridge, response and fault envelopes for
//! the simulator (SMSP SPEC §2–§5). Everything is written in one pass into one pre-sized
//! buffer; every value goes through escaping (`writer`).

mod fault;
mod patient;
mod request;
mod response;
mod writer;

pub use fault::fault_envelope;
pub use request::request_envelope;
pub use response::response_envelope;

/// The identifiers a response envelope carries (SMSP SPEC §2.5, §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseIds {
    /// `wsa:MessageID`.
    pub message_id: uuid::Uuid,
    /// `itk:header/@trackingid`.
    pub tracking_id: uuid::Uuid,
    /// `manifestitem/@id` = `payload/@id` = `uuid_<ID>`.
    pub payload_id: uuid::Uuid,
    /// The HL7 payload's `id/@root`.
    pub act_id: uuid::Uuid,
}

impl ResponseIds {
    /// Fresh v4 ids.
    pub fn new() -> Self {
        Self {
            message_id: uuid::Uuid::new_v4(),
            tracking_id: uuid::Uuid::new_v4(),
            payload_id: uuid::Uuid::new_v4(),
            act_id: uuid::Uuid::new_v4(),
        }
    }
}

impl Default for ResponseIds {
    fn default() -> Self {
        Self::new()
    }
}
