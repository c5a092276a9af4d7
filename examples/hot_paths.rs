//! A fixed-iteration driver for profiling the hot paths under callgrind (issue 9), where
//! criterion's adaptive loops would make instruction counts per operation hard to read.
//!
//! ```sh
//! cargo build --release --example hot_paths
//! valgrind --tool=callgrind --callgrind-out-file=cg.map target/release/examples/hot_paths map 2000
//! callgrind_annotate cg.map | head -60
//! ```
//!
//! Paths: `build` (one getPatientDetailsByNHSNumber request envelope), `map` (parse the
//! all-fields getPatientDetailsResponse fixture and write PDS Patient JSON bytes), `parse` (the
//! same answer into the domain `Patient` only), `floor` (quick-xml's own loop over it, nothing
//! built: what the parse cannot go below with this crate), `hit` (a read
//! answered by the cache layer), `miss` (the same read with the cache off, through the
//! simulator's in-process client: build + respond + parse + map + serialise). Instructions per
//! operation = (total at 2N − total at N) / N, which cancels the set-up.

use std::hint::black_box;
use std::sync::Arc;

#[path = "../benches/support/all_fields.rs"]
mod all_fields;
#[path = "../benches/support/floor.rs"]
mod floor;

use smsp_bridge::bridge::{Bridge, Caller, PatientService, ReadRequest};
use smsp_bridge::cache::{CacheLayer, CacheSettings};
use smsp_bridge::config::Settings;
use smsp_bridge::domain::{NhsNumber, PartialDate};
use smsp_bridge::mapping::{read_plan, Tables};
use smsp_bridge::sim::InProcessClient;
use smsp_bridge::smsp::{build, AuditIdentity, EnvelopeContext};

/// As the service binary (src/main.rs), so the profile is the production one.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_default();
    let n: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1000);
    match path.as_str() {
        "build" => build_request(n),
        "map" => map(n),
        "hit" => read_through_cache(n, true),
        "miss" => read_through_cache(n, false),
        "floor" => floor(n),
        "parse" => parse_only(n),
        _ => anyhow::bail!("usage: hot_paths build|map|parse|floor|hit|miss [ITERATIONS]"),
    }
}

fn build_request(n: usize) -> anyhow::Result<()> {
    let nhs = NhsNumber::parse("9990001006")?;
    let dob = PartialDate::full(1980, 1, 15).map_err(|_| anyhow::anyhow!("date"))?;
    let (interaction, query) = read_plan(nhs, dob);
    let audit = AuditIdentity::local_user("Y12345", "bench-user");
    let mut total = 0;
    for _ in 0..n {
        let ctx = EnvelopeContext::new(
            "https://smsp.example/smsp/pds",
            "urn:smsp-bridge",
            "smsp-bridge",
            audit.clone(),
        );
        total += black_box(build::request_envelope(interaction, &query, &ctx)?).len();
    }
    println!("{n} requests, {total} bytes");
    Ok(())
}

fn map(n: usize) -> anyhow::Result<()> {
    let body = fixture()?;
    let tables = Tables::embedded()?;
    let mut total = 0;
    for _ in 0..n {
        let p = all_fields::patient(black_box(&body));
        total += all_fields::patient_json(&p, &tables).body.len();
    }
    println!("{n} mappings, {total} bytes");
    Ok(())
}

/// The all-fields answer; `HOT_PATHS_XML=file` reads another (e.g. a whole envelope captured
/// from the sim).
fn fixture() -> anyhow::Result<Vec<u8>> {
    let path = std::env::var("HOT_PATHS_XML").unwrap_or(all_fields::FIXTURE.into());
    Ok(std::fs::read(path)?)
}

/// The parse alone: the answer into the domain `Patient`, no FHIR, no JSON.
fn parse_only(n: usize) -> anyhow::Result<()> {
    let body = fixture()?;
    let mut total = 0;
    for _ in 0..n {
        total += black_box(all_fields::patient(black_box(&body)))
            .telecoms
            .len();
    }
    println!("{n} parses, {total} telecoms");
    Ok(())
}

/// quick-xml's own loop over the same answer (`benches/support/floor.rs`, which the criterion
/// bench times as `quick_xml_events_floor`): every event read, every attribute split out.
fn floor(n: usize) -> anyhow::Result<()> {
    let body = fixture()?;
    let mut seen = 0;
    for _ in 0..n {
        seen += floor::quick_xml_events(black_box(&body));
    }
    println!("{n} documents, {seen} seen");
    Ok(())
}

fn read_through_cache(n: usize, enabled: bool) -> anyhow::Result<()> {
    let settings = Settings::default();
    let core: Arc<dyn PatientService> = Arc::new(Bridge::new(
        Arc::new(InProcessClient::builtin()),
        Arc::new(Tables::embedded()?),
        &settings,
    ));
    let cache = CacheSettings {
        enabled,
        ..CacheSettings::default()
    };
    let layer = CacheLayer::build(core, &cache)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let caller = Caller::anonymous(Some("Y12345".into()));
    let request = ReadRequest {
        nhs_number: NhsNumber::parse("9990001006")?,
        birth_date: PartialDate::full(1980, 1, 15).ok(),
    };
    let mut total = 0;
    rt.block_on(async {
        for _ in 0..n {
            let a = layer.service.read(request.clone(), &caller).await?;
            total += black_box(a.body.len());
        }
        Ok::<_, smsp_bridge::bridge::ApiError>(())
    })
    .map_err(|e| anyhow::anyhow!("read failed: {}", e.status))?;
    println!("{n} reads (cache {enabled}), {total} bytes");
    Ok(())
}
