//! Fuzz target (issue 8): FHIR search query parsing, `fhir::search::parse`, on any query string
//! (percent-decoded as the HTTP edge decodes it), plus the header-value parsers the read path
//! uses (`X-SMSP-Birth-Date`, the NHS number in the path, `X-Request-ID`).
//! Oracles: no panic; and every search the FHIR side accepts plans a query that fits its
//! interaction, builds a request envelope, and is read back by the simulator's request parser
//! as the same interaction (an accepted search must never become an ITK 1000 at SMSP).
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsp_bridge::domain::{NhsNumber, PartialDate};
use smsp_bridge::fhir::search;
use smsp_bridge::mapping::plan;

mod round_trip;

fuzz_target!(|data: &[u8]| {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    if let Ok(request) = search::parse(&pairs) {
        let (interaction, query) = plan::search_plan(&request);
        query
            .check(interaction)
            .expect("a search plan fits its interaction");
        round_trip::envelope_reads_back(interaction, &query, "search");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = PartialDate::parse_fhir(text.trim());
        let _ = NhsNumber::parse(text);
        let _ = smsp_bridge::http::meta::is_uuid(text);
    }
});
