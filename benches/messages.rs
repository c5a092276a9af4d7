//! Issue 9 targets for the translation itself: building each SOAP request (≤ 3 µs) and turning
//! an all-fields getPatientDetailsResponse into PDS Patient JSON bytes (≤ 10 µs median), and
//! that translation's two halves (parsing; writing the JSON), and the floor under the parsing:
//! quick-xml reading the same document with nothing built from it.
//! Run: `cargo bench --bench messages`. Results: docs/PERFORMANCE.md.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

#[path = "support/all_fields.rs"]
mod all_fields;
#[path = "support/floor.rs"]
mod floor;

use all_fields::{patient, patient_json};
use smsp_bridge::domain::{Gender, LocalIdentifier, NhsNumber, PartialDate};
use smsp_bridge::mapping::Tables;
use smsp_bridge::smsp::{build, AuditIdentity, EnvelopeContext, Interaction, Query, QueryName};

/// The allocator the service binary uses (src/main.rs), so the figures are the production ones.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn query_for(interaction: Interaction) -> Query {
    let mut q = Query::new(PartialDate::full(1980, 1, 15).unwrap());
    let nhs = NhsNumber::parse("9990001006").unwrap();
    let name = QueryName {
        given: Some("OLIVER".into()),
        family: Some("O'BRIEN & SONS".into()),
    };
    match interaction {
        Interaction::VerifyNhsNumber => {
            q.nhs_number = Some(nhs);
            q.name = Some(name);
        }
        Interaction::GetPatientDetailsByNhsNumber => {
            q.nhs_number = Some(nhs);
            q.local_identifier = Some(LocalIdentifier {
                root: "2.16.840.1.113883.2.1.3.2.4.18.24".into(),
                extension: "RXX:00001".into(),
            });
        }
        Interaction::GetNhsNumber | Interaction::GetPatientDetailsBySearch => {
            q.gender = Some(Gender::Male);
            q.name = Some(name);
            q.postcode = Some("LS11 5PZ".into());
        }
        Interaction::GetPatientDetails => {
            q.gender = Some(Gender::Male);
            q.nhs_number = Some(nhs);
            q.name = Some(name);
            q.postcode = Some("LS11 5PZ".into());
        }
    }
    q
}

fn request_building(c: &mut Criterion) {
    let audit = AuditIdentity::local_user("Y12345", "bench-user");
    let mut group = c.benchmark_group("build_request");
    for interaction in Interaction::ALL {
        let query = query_for(interaction);
        group.bench_function(interaction.name(), |b| {
            b.iter(|| {
                let ctx = EnvelopeContext::new(
                    "https://smsp.example/smsp/pds",
                    "urn:smsp-bridge",
                    "smsp-bridge",
                    audit.clone(),
                );
                black_box(build::request_envelope(interaction, black_box(&query), &ctx).unwrap())
            })
        });
    }
    group.finish();
}

/// The whole translation of an answer (the target), then its two halves on their own: reading
/// the XML into the domain `Patient`, and writing that `Patient` as PDS JSON.
fn response_to_patient_json(c: &mut Criterion) {
    let body = std::fs::read(all_fields::FIXTURE).expect("all-fields fixture");
    let tables = Tables::embedded().unwrap();
    c.bench_function("getPatientDetailsResponse_to_patient_json", |b| {
        b.iter(|| black_box(patient_json(&patient(black_box(&body)), &tables)))
    });
    c.bench_function("getPatientDetailsResponse_parse", |b| {
        b.iter(|| black_box(patient(black_box(&body))))
    });
    let parsed = patient(&body);
    c.bench_function("patient_to_json", |b| {
        b.iter(|| black_box(patient_json(black_box(&parsed), &tables)))
    });
    c.bench_function("quick_xml_events_floor", |b| {
        b.iter(|| black_box(floor::quick_xml_events(black_box(&body))))
    });
}

criterion_group!(benches, request_building, response_to_patient_json);
criterion_main!(benches);
