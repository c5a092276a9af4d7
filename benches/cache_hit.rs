//! Issue 4: a cache hit costs a small fraction of a miss. Both go through `CacheLayer` over the
//! core `Bridge` and the simulator's in-process SMSP client (`sim::InProcessClient`: the real
//! request builder, the simulator's responder and the real reply parser, no network):
//! - miss: the cache disabled, so every read builds, answers and parses the SMSP XML and maps
//!   the record to FHIR JSON;
//! - hit: the same read with the cache on, answered from the cached bytes;
//! - search hit: a demographic search answered from the cached searchset (restamped);
//! - DOB-less hit: a read without a date of birth by the principal who searched.
//!
//! Run: `cargo bench --bench cache_hit -- --warm-up-time 1 --measurement-time 3`.
//! Results: docs/PERFORMANCE.md ("Cache hit vs miss").

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};

use smsp_bridge::bridge::{Bridge, Caller, PatientService, ReadRequest};
use smsp_bridge::cache::{CacheLayer, CacheSettings};
use smsp_bridge::config::Settings;
use smsp_bridge::domain::{NhsNumber, PartialDate};
use smsp_bridge::fhir::SearchRequest;
use smsp_bridge::mapping::Tables;
use smsp_bridge::sim::InProcessClient;

/// The allocator the service binary uses (src/main.rs), so the figures are the production ones.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn layer(enabled: bool) -> CacheLayer {
    let settings = Settings::default();
    let core: Arc<dyn PatientService> = Arc::new(Bridge::new(
        Arc::new(InProcessClient::builtin()),
        Arc::new(Tables::embedded().expect("embedded tables")),
        &settings,
    ));
    let cache = CacheSettings {
        enabled,
        ..CacheSettings::default()
    };
    CacheLayer::build(core, &cache).expect("cache layer")
}

fn read(dob: bool) -> ReadRequest {
    ReadRequest {
        nhs_number: NhsNumber::parse("9990001006").unwrap(),
        birth_date: dob.then(|| PartialDate::full(1980, 1, 15).unwrap()),
    }
}

/// Parsed once; each iteration clones it, so parsing is not part of what is measured.
fn search() -> SearchRequest {
    smsp_bridge::fhir::search::parse_str("family=FAIRWEATHER&gender=male&birthdate=1980-01-15")
        .expect("a valid search")
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let caller = Caller::anonymous(Some("Y12345".into()));
    let search = search();

    let off = layer(false);
    let on = layer(true);
    // Prime the cache: one read with a DOB, one search.
    rt.block_on(async {
        on.service.read(read(true), &caller).await.expect("read");
        on.service
            .search(search.clone(), &caller)
            .await
            .expect("search");
    });

    let mut g = c.benchmark_group("cache_read");
    g.bench_function("miss (cache disabled)", |b| {
        b.iter(|| {
            let a = rt.block_on(off.service.read(read(true), &caller)).unwrap();
            black_box(a.body.len())
        })
    });
    g.bench_function("hit", |b| {
        b.iter(|| {
            let a = rt.block_on(on.service.read(read(true), &caller)).unwrap();
            black_box(a.body.len())
        })
    });
    g.bench_function("hit without DOB (same principal)", |b| {
        b.iter(|| {
            let a = rt.block_on(on.service.read(read(false), &caller)).unwrap();
            black_box(a.body.len())
        })
    });
    g.finish();

    let mut g = c.benchmark_group("cache_search");
    g.bench_function("miss (cache disabled)", |b| {
        b.iter(|| {
            let a = rt
                .block_on(off.service.search(search.clone(), &caller))
                .unwrap();
            black_box(a.body.len())
        })
    });
    g.bench_function("hit", |b| {
        b.iter(|| {
            let a = rt
                .block_on(on.service.search(search.clone(), &caller))
                .unwrap();
            black_box(a.body.len())
        })
    });
    g.finish();

    let s = on.stats();
    assert_eq!(s.misses, 2, "only the priming calls missed: {s:?}");
}

criterion_group!(benches, bench);
criterion_main!(benches);
