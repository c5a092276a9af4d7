//! Request builders (quick-xml writer). OWNED BY THE WIRE-LAYER HELPER — stub until written.

use super::{EnvelopeContext, Interaction, Query, QueryError};

/// Writes the complete SOAP 1.1 request envelope for `interaction`.
pub fn request_envelope(
    _interaction: Interaction,
    _query: &Query,
    _ctx: &EnvelopeContext,
) -> Result<String, QueryError> {
    unimplemented!("wire layer not yet written")
}
