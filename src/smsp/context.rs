//! Per-message values for the SOAP/ITK envelope (SMSP SPEC §2.4, §2.5).

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Who is calling, as `itk:auditIdentity/itk:id` (SMSP SPEC §2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditIdentity {
    /// `id/@type` OID, e.g. the ITK default `2.16.840.1.113883.2.1.3.2.4.18.27` for a local user.
    pub type_oid: String,
    /// `id/@uri`, e.g. `urn:nhs-uk:identity:ods:<ODS>:<user>`.
    pub uri: String,
}

impl AuditIdentity {
    /// The non-smartcard local-user form required by MSCA-AUD-04 (SMSP SPEC §2.5).
    pub fn local_user(ods: &str, user: &str) -> Self {
        Self {
            type_oid: super::interaction::oid::AUDIT_IDENTITY_DEFAULT.into(),
            uri: format!("urn:nhs-uk:identity:ods:{ods}:{user}"),
        }
    }
}

/// Everything in a request envelope that is not a query parameter.
#[derive(Debug, Clone)]
pub struct EnvelopeContext {
    /// `wsa:MessageID` (upper-cased when written).
    pub message_id: Uuid,
    /// `itk:header/@trackingid`.
    pub tracking_id: Uuid,
    /// Used for `manifestitem/@id` = `payload/@id` = `uuid_<ID>`.
    pub payload_id: Uuid,
    /// The HL7 payload's `id/@root`.
    pub act_id: Uuid,
    /// `wsa:To`: the SMSP endpoint URL.
    pub to: String,
    /// `wsa:From/wsa:Address`: this client's address.
    pub from: String,
    /// `wsse:UsernameToken/wsse:Username`.
    pub username: String,
    pub audit_identity: AuditIdentity,
    /// Optional `itk:senderAddress/@uri`.
    pub sender_address: Option<String>,
    /// `wsu:Created`; `wsu:Expires` = created + `ttl_seconds`.
    pub created: DateTime<Utc>,
    pub ttl_seconds: i64,
}

impl EnvelopeContext {
    /// Fresh ids and timestamp for one message.
    pub fn new(to: &str, from: &str, username: &str, audit_identity: AuditIdentity) -> Self {
        Self {
            message_id: Uuid::new_v4(),
            tracking_id: Uuid::new_v4(),
            payload_id: Uuid::new_v4(),
            act_id: Uuid::new_v4(),
            to: to.into(),
            from: from.into(),
            username: username.into(),
            audit_identity,
            sender_address: None,
            created: Utc::now(),
            ttl_seconds: 600,
        }
    }
}

/// Upper-case hyphenated form required by the ITK/HL7 UUID patterns (SMSP SPEC §0.8).
pub fn upper_uuid(id: &Uuid) -> String {
    id.hyphenated()
        .encode_upper(&mut Uuid::encode_buffer())
        .to_string()
}
