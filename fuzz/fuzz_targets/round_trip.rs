//! Shared by the FHIR fuzz targets: the oracle that an accepted request builds an envelope the
//! simulator's request parser reads back as the same interaction (an accepted request must
//! never become an ITK 1000 at SMSP).

use smsp_bridge::smsp::{build, parse, AuditIdentity, EnvelopeContext, Interaction, Query};

pub fn envelope_reads_back(interaction: Interaction, query: &Query, what: &str) {
    let ctx = EnvelopeContext::new(
        "https://smsp.fuzz/smsp/pds",
        "urn:smsp-bridge",
        "fuzz",
        AuditIdentity::local_user("X99", "fuzz"),
    );
    let xml = build::request_envelope(interaction, query, &ctx)
        .unwrap_or_else(|e| panic!("an accepted {what} does not build: {e}"));
    match parse::request(xml.as_bytes()) {
        Ok(parsed) => assert_eq!(parsed.interaction, interaction),
        Err(e) => panic!("the simulator's reader refused an accepted {what}: {e}"),
    }
}
