//! What the audit trail and metrics need to know about an answer, carried with it.

use crate::smsp::Interaction;

/// The SMSP exchange behind an answer (SMSP SPEC §8: clients must audit MessageIDs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmspTrace {
    pub interaction: Interaction,
    /// The request's `wsa:MessageID`, when a request was built and sent.
    pub message_id: Option<String>,
    /// The SMSP response code, an `itk-<code>` or a `transport-<class>` key.
    pub outcome: String,
}

/// Whether a cache answered (`X-Cache` response header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheStatus {
    Hit,
    Miss,
    /// The cache was not consulted (disabled, or an interaction it never caches).
    #[default]
    Bypass,
}

impl CacheStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "HIT",
            CacheStatus::Miss => "MISS",
            CacheStatus::Bypass => "BYPASS",
        }
    }
}
