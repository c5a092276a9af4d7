//! Fuzz target (issue 8): the SMSP response parser, `smsp::parse::reply` — the first code to
//! read bytes SMSP (or anything between it and the bridge) sends — and the mapping of any
//! patient it yields to a PDS FHIR Patient in both views.
//! Oracle: no panic, no hang, no unbounded allocation (libFuzzer's -rss_limit_mb/-timeout).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use smsp_bridge::mapping::patient::{to_fhir, View};
use smsp_bridge::mapping::tables::Tables;
use smsp_bridge::smsp::{parse, ResponseBody, SmspReply};

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| Tables::embedded().expect("the embedded tables load"))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(SmspReply::Response(response)) = parse::reply(data) {
        if let ResponseBody::PatientDetails(Some(patient)) = &response.body {
            for view in [View::Read, View::Search] {
                let fhir = to_fhir(patient, tables(), view);
                std::hint::black_box(fhir);
            }
        }
    }
});
