//! Issue 4, the verified-results cache, over the real stack (bridge → TLS-MA → simulator).
//! The simulator's per-interaction counters prove which requests reached SMSP.
//! Data: docs/SIMULATOR.md (9990001006 FAIRWEATHER OLIVER, male, 1980-01-15; 9990001111
//! superseded by 9990001138, 1970-04-12; TWINNING → DEMOG-0007; magic numbers).

use std::sync::Arc;
use std::time::Duration;

use smsp_bridge::bridge::{Bridge, Caller, PatientService, ReadRequest};
use smsp_bridge::cache::{CacheLayer, CacheSettings};
use smsp_bridge::config::Settings;
use smsp_bridge::domain::{NhsNumber, PartialDate};
use smsp_bridge::mapping::Tables;
use smsp_bridge::sim::InProcessClient;
use smsp_bridge::smsp::Interaction;
use smsp_bridge::startup::Application;

use crate::helpers::sim::spawn_sim;
use crate::helpers::{request_id, spawn_app, spawn_app_with, Reply, TestApp};

const ODS: &str = "NHSD-End-User-Organisation-ODS";
const DOB: &str = "X-SMSP-Birth-Date";
const OLIVER: &str = "/Patient/9990001006";
const OLIVER_SEARCH: &str = "/Patient?family=FAIRWEATHER&gender=male&birthdate=1980-01-15";

async fn reads(app: &TestApp) -> u64 {
    app.sim
        .state
        .count(Interaction::GetPatientDetailsByNhsNumber)
}

async fn app_with(adjust: impl FnOnce(&mut CacheSettings)) -> TestApp {
    spawn_app_with(spawn_sim().await, |s| adjust(&mut s.cache)).await
}

#[tokio::test]
async fn a_read_with_its_dob_is_a_miss_then_a_hit_without_smsp() {
    let app = spawn_app().await;
    let first = app.get(OLIVER, &[(DOB, "1980-01-15")]).await;
    assert_eq!(first.status, 200, "{}", first.json);
    assert_eq!(first.header("x-cache"), Some("MISS"));
    let second = app.get(OLIVER, &[(DOB, "1980-01-15")]).await;
    assert_eq!(second.status, 200);
    assert_eq!(second.header("x-cache"), Some("HIT"));
    assert_eq!(second.json, first.json, "a hit replays the same Patient");
    assert_eq!(second.header("content-type"), Some("application/fhir+json"));
    assert_eq!(reads(&app).await, 1);
    app.stop().await;
}

#[tokio::test]
async fn a_different_dob_goes_to_smsp_which_decides() {
    let app = spawn_app().await;
    assert_eq!(app.get(OLIVER, &[(DOB, "1980-01-15")]).await.status, 200);
    // DEMOG-0040 (not verified) → 404, as the outcome table says; SMSP was asked.
    let wrong = app.get(OLIVER, &[(DOB, "1980-01-16")]).await;
    assert_eq!(wrong.status, 404, "{}", wrong.json);
    assert_eq!(reads(&app).await, 2);
    // A failure is not cached: asked again, SMSP is asked again.
    assert_eq!(app.get(OLIVER, &[(DOB, "1980-01-16")]).await.status, 404);
    assert_eq!(reads(&app).await, 3);
    // The verified pair is still a hit.
    let again = app.get(OLIVER, &[(DOB, "1980-01-15")]).await;
    assert_eq!(again.header("x-cache"), Some("HIT"));
    assert_eq!(reads(&app).await, 3);
    app.stop().await;
}

#[tokio::test]
async fn entries_expire_after_the_ttl() {
    let app = app_with(|c| c.ttl_seconds = 1).await;
    let caller = [(DOB, "1980-01-15"), (ODS, "Y12345")];
    assert_eq!(
        app.get(OLIVER, &caller).await.header("x-cache"),
        Some("MISS")
    );
    assert_eq!(
        app.get(OLIVER, &caller).await.header("x-cache"),
        Some("HIT")
    );
    assert_eq!(app.get(OLIVER, &[(ODS, "Y12345")]).await.status, 200);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    // Gone: with the DOB it is verified again; without it, the principal's right lapsed too.
    let dobless = app.get(OLIVER, &[(ODS, "Y12345")]).await;
    assert_eq!(dobless.status, 400);
    assert_eq!(dobless.spine_code(), "MISSING_VALUE");
    assert_eq!(
        app.get(OLIVER, &caller).await.header("x-cache"),
        Some("MISS")
    );
    assert_eq!(reads(&app).await, 2);
    app.stop().await;
}

#[tokio::test]
async fn the_entry_bound_evicts_the_least_recently_used() {
    // Two entries: one patient (its record and its number index).
    let app = app_with(|c| c.max_entries = 2).await;
    let oliver = [(DOB, "1980-01-15")];
    let edith = [(DOB, "1932-07-04")]; // 9990001014 ASHWORTH EDITH
    assert_eq!(
        app.get(OLIVER, &oliver).await.header("x-cache"),
        Some("MISS")
    );
    assert_eq!(
        app.get(OLIVER, &oliver).await.header("x-cache"),
        Some("HIT")
    );
    let e = app.get("/Patient/9990001014", &edith).await;
    assert_eq!((e.status, e.header("x-cache")), (200, Some("MISS")));
    assert_eq!(
        app.get("/Patient/9990001014", &edith)
            .await
            .header("x-cache"),
        Some("HIT")
    );
    // Oliver was evicted to make room.
    assert_eq!(
        app.get(OLIVER, &oliver).await.header("x-cache"),
        Some("MISS")
    );
    assert_eq!(reads(&app).await, 3);
    app.stop().await;
}

/// Each of two identical requests reaches SMSP as often as the first did (the resilience layer
/// below the core may retry a fault, so the count per request is not always 1).
async fn asks_smsp_each_time(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Vec<Reply> {
    let c0 = app.sim.state.snapshot().total;
    let first = app.get(path, headers).await;
    let c1 = app.sim.state.snapshot().total;
    let second = app.get(path, headers).await;
    let c2 = app.sim.state.snapshot().total;
    assert!(c1 > c0, "{path}: the first request reached SMSP");
    assert_eq!(c2 - c1, c1 - c0, "{path}: the second reached SMSP too");
    for r in [&first, &second] {
        assert_ne!(r.header("x-cache"), Some("HIT"), "{path}");
    }
    vec![first, second]
}

#[tokio::test]
async fn unverified_outcomes_are_never_cached() {
    let app = spawn_app().await;
    let any_dob = [(DOB, "1980-01-15")];
    // SMSP-0003: data, but from the provider's local store — passed on, never cached.
    for r in asks_smsp_each_time(&app, "/Patient/9990000050", &any_dob).await {
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.header("x-cache"), Some("MISS"));
        assert!(r.header("warning").is_some_and(|w| w.contains("SMSP-0003")));
    }
    // DEMOG-0001 no match; ITK faults (retryable 2100, not retryable 2200).
    for r in asks_smsp_each_time(&app, "/Patient/9990000077", &any_dob).await {
        assert_eq!(r.status, 404);
    }
    for n in ["9990000166", "9990000174"] {
        for r in asks_smsp_each_time(&app, &format!("/Patient/{n}"), &any_dob).await {
            assert!(r.status >= 500, "{}", r.json);
        }
    }
    // DEMOG-0007 (several matches), a no-match search, a fault reached through a search.
    let twins = "/Patient?family=TWINNING&gender=female&birthdate=1990-05-05";
    for r in asks_smsp_each_time(&app, twins, &[]).await {
        assert_eq!(r.spine_code(), "TOO_MANY_MATCHES");
        assert_eq!(r.header("x-cache"), Some("MISS"));
    }
    let nobody = "/Patient?family=NOBODY&gender=female&birthdate=1990-05-05";
    for r in asks_smsp_each_time(&app, nobody, &[]).await {
        assert_eq!((r.status, r.json["total"].as_u64()), (200, Some(0)));
        assert_eq!(r.header("x-cache"), Some("MISS"));
    }
    let fault = "/Patient?family=MAGIC-ITK-2200&gender=female&birthdate=1990-05-05";
    for r in asks_smsp_each_time(&app, fault, &[]).await {
        assert!(r.status >= 500, "{}", r.json);
    }
    app.stop().await;
}

#[tokio::test]
async fn the_principal_who_searched_may_read_without_a_dob_and_no_one_else() {
    let app = spawn_app().await;
    let a = [(ODS, "Y12345")];
    let b = [(ODS, "Y99999")];
    let s = app.get(OLIVER_SEARCH, &a).await;
    assert_eq!(s.status, 200, "{}", s.json);
    assert_eq!(s.header("x-cache"), Some("MISS"));
    assert_eq!(s.json["entry"][0]["resource"]["id"], "9990001006");

    // A: answered from the cache, with the READ view (every address, not the search's
    // home-only view).
    let r = app.get(OLIVER, &a).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.header("x-cache"), Some("HIT"));
    assert_eq!(r.json["resourceType"], "Patient");
    let uses: Vec<&str> = r.json["address"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["use"].as_str())
        .collect();
    assert!(uses.contains(&"home") && uses.contains(&"temp"), "{uses:?}");
    assert_eq!(
        s.json["entry"][0]["resource"]["address"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "the search view has the home address only"
    );

    // B, and a caller with no ODS at all: the core's 400 MISSING_VALUE.
    let nothing: [(&str, &str); 0] = [];
    for headers in [&b[..], &nothing[..]] {
        let r = app.get(OLIVER, headers).await;
        assert_eq!(r.status, 400, "{}", r.json);
        assert_eq!(r.spine_code(), "MISSING_VALUE");
        assert!(r.diagnostics().contains("X-SMSP-Birth-Date"));
    }
    assert_eq!(reads(&app).await, 0, "nothing reached SMSP for the reads");

    // The same READ view as a plain read with the DOB returns.
    let plain = app.get(OLIVER, &[(DOB, "1980-01-15")]).await;
    assert_eq!(plain.json, r.json);

    // B searching the same way is a hit and makes B a tracer too.
    let s2 = app.get(OLIVER_SEARCH, &b).await;
    assert_eq!(s2.header("x-cache"), Some("HIT"));
    assert_eq!(s2.json["entry"], s.json["entry"]);
    assert_eq!(app.get(OLIVER, &b).await.status, 200);
    assert_eq!(
        app.sim.state.count(Interaction::GetPatientDetailsBySearch),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn equivalent_searches_share_an_entry() {
    let app = spawn_app().await;
    assert_eq!(
        app.get(OLIVER_SEARCH, &[]).await.header("x-cache"),
        Some("MISS")
    );
    let r = app
        .get(
            "/Patient?family=fairweather&gender=male&birthdate=1980-01-15",
            &[],
        )
        .await;
    assert_eq!(r.header("x-cache"), Some("HIT"));
    assert_eq!(
        app.sim.state.count(Interaction::GetPatientDetailsBySearch),
        1
    );
    // `_summary=count` and `$verify-nhs-number` return no patient: never consulted.
    let c = app
        .get(&format!("{OLIVER_SEARCH}&_summary=count"), &[])
        .await;
    assert_eq!(
        (c.json["total"].as_u64(), c.header("x-cache")),
        (Some(1), Some("BYPASS"))
    );
    let v = app
        .get(
            "/Patient/$verify-nhs-number?nhs-number=9990001006&birthdate=1980-01-15",
            &[],
        )
        .await;
    assert_eq!((v.status, v.header("x-cache")), (200, Some("BYPASS")));
    app.stop().await;
}

#[tokio::test]
async fn a_superseded_record_is_cached_under_its_new_number_only() {
    let app = spawn_app().await;
    let a = [(ODS, "Y12345"), (DOB, "1970-04-12")];
    for n in 1..=2 {
        let r = app.get("/Patient/9990001111", &a).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["id"], "9990001138");
        assert_eq!(
            r.header("x-cache"),
            Some("MISS"),
            "the old number always asks SMSP"
        );
        assert_eq!(reads(&app).await, n);
    }
    let new = app.get("/Patient/9990001138", &a).await;
    assert_eq!((new.status, new.header("x-cache")), (200, Some("HIT")));
    assert_eq!(new.json["id"], "9990001138");
    assert_eq!(reads(&app).await, 2);
    // DOB-less: the new number for the principal who traced it; never the old one.
    let ods = [(ODS, "Y12345")];
    assert_eq!(app.get("/Patient/9990001138", &ods).await.status, 200);
    let old = app.get("/Patient/9990001111", &ods).await;
    assert_eq!((old.status, old.spine_code()), (400, "MISSING_VALUE"));
    app.stop().await;
}

#[tokio::test]
async fn two_hundred_concurrent_identical_misses_reach_smsp_once() {
    let app = spawn_app().await;
    app.sim.state.update_knobs(|k| k.latency_ms = 200).unwrap();
    let app = Arc::new(app);
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                let r = app.get(OLIVER, &[(DOB, "1980-01-15")]).await;
                (r.status, r.header("x-cache").map(str::to_string), r.json)
            })
        })
        .collect();
    let mut bodies = Vec::new();
    for t in tasks {
        let (status, cache, json) = t.await.unwrap();
        assert_eq!(status, 200, "{json}");
        // a request scheduled after the shared call finished is a plain hit (a loaded CI
        // machine may start some late); either way none of them makes its own SMSP call
        assert!(
            matches!(cache.as_deref(), Some("MISS" | "HIT")),
            "{cache:?}"
        );
        bodies.push(json);
    }
    assert!(bodies.iter().all(|b| *b == bodies[0]));
    assert_eq!(reads(&app).await, 1, "one SMSP call for 200 requests");
    let app = Arc::into_inner(app).expect("tasks done");
    app.stop().await;
}

#[tokio::test]
async fn concurrent_identical_misses_share_one_failure_and_it_is_not_cached() {
    let app = spawn_app().await;
    app.sim.state.update_knobs(|k| k.latency_ms = 300).unwrap();
    // 9990000174: ITK 2200, not retryable, so one request is one SMSP call.
    let path = "/Patient/9990000174";
    let app = Arc::new(app);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { app.get(path, &[(DOB, "1980-01-15")]).await })
        })
        .collect();
    let mut replies = Vec::new();
    for t in tasks {
        replies.push(t.await.unwrap());
    }
    assert!(replies[0].status >= 500, "{}", replies[0].json);
    assert!(replies
        .iter()
        .all(|r| r.status == replies[0].status && r.json == replies[0].json));
    let shared = reads(&app).await;
    assert_eq!(shared, 1, "the waiters got the one call's error");
    // The error was not cached: the next request asks SMSP again.
    assert_eq!(
        app.get(path, &[(DOB, "1980-01-15")]).await.status,
        replies[0].status
    );
    assert_eq!(reads(&app).await, 2 * shared);
    let app = Arc::into_inner(app).expect("tasks done");
    app.stop().await;
}

#[tokio::test]
async fn disabled_means_bypass_and_every_call_reaches_smsp() {
    let app = app_with(|c| c.enabled = false).await;
    for _ in 0..2 {
        let r = app
            .get(OLIVER, &[(DOB, "1980-01-15"), (ODS, "Y12345")])
            .await;
        assert_eq!((r.status, r.header("x-cache")), (200, Some("BYPASS")));
        let s = app.get(OLIVER_SEARCH, &[(ODS, "Y12345")]).await;
        assert_eq!(s.header("x-cache"), Some("BYPASS"));
    }
    assert_eq!(reads(&app).await, 2);
    let dobless = app.get(OLIVER, &[(ODS, "Y12345")]).await;
    assert_eq!(dobless.spine_code(), "MISSING_VALUE");
    app.stop().await;
}

#[tokio::test]
async fn purge_is_refused_to_non_admins() {
    // Default open-mode roles (read, search, verify): no admin.
    let app = spawn_app().await;
    assert_eq!(app.get(OLIVER, &[(DOB, "1980-01-15")]).await.status, 200);
    for path in ["/_cache", "/_cache/Patient/9990001006"] {
        let url = format!("{}{path}", app.root);
        let r = app
            .send(app.http.delete(&url).header("X-Request-ID", request_id()))
            .await;
        assert_eq!(r.status, 403, "{}", r.json);
        assert_eq!(r.spine_code(), "ACCESS_DENIED");
        assert_eq!(r.json["resourceType"], "OperationOutcome");
    }
    // Nothing was purged.
    let r = app.get(OLIVER, &[(DOB, "1980-01-15")]).await;
    assert_eq!(r.header("x-cache"), Some("HIT"));
    app.stop().await;
}

#[tokio::test]
async fn an_admin_purges_one_patient_or_everything() {
    // The security layer's open mode with the admin role: the only admin available without
    // configuring users (docs/SECURITY.md).
    let app = spawn_app_with(spawn_sim().await, |s| {
        s.security.open_roles = ["read", "search", "verify", "admin"]
            .map(String::from)
            .to_vec();
    })
    .await;
    let oliver = [(DOB, "1980-01-15"), (ODS, "Y12345")];
    let edith = [(DOB, "1932-07-04"), (ODS, "Y12345")];
    let delete = |path: &str| {
        app.http
            .delete(format!("{}{path}", app.root))
            .header("X-Request-ID", request_id())
    };
    assert_eq!(
        app.get(OLIVER, &oliver).await.header("x-cache"),
        Some("MISS")
    );
    assert_eq!(
        app.get(OLIVER_SEARCH, &oliver).await.header("x-cache"),
        Some("MISS")
    );
    assert_eq!(
        app.get("/Patient/9990001014", &edith)
            .await
            .header("x-cache"),
        Some("MISS")
    );

    // X-Request-ID first, as on every interaction.
    let r = app
        .send(app.http.delete(format!("{}/_cache", app.root)))
        .await;
    assert_eq!((r.status, r.spine_code()), (400, "MISSING_VALUE"));
    let r = app.send(delete("/_cache/Patient/123")).await;
    assert_eq!((r.status, r.spine_code()), (400, "INVALID_RESOURCE_ID"));

    let res = delete("/_cache/Patient/9990001006").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 204);
    // Oliver's record, his number index and the search that found him are gone…
    assert_eq!(
        app.get(OLIVER, &[(ODS, "Y12345")]).await.spine_code(),
        "MISSING_VALUE"
    );
    assert_eq!(
        app.get(OLIVER_SEARCH, &oliver).await.header("x-cache"),
        Some("MISS")
    );
    assert_eq!(
        app.get(OLIVER, &oliver).await.header("x-cache"),
        Some("HIT")
    );
    // …Edith's is not.
    assert_eq!(
        app.get("/Patient/9990001014", &edith)
            .await
            .header("x-cache"),
        Some("HIT")
    );

    let res = delete("/_cache").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(
        app.get("/Patient/9990001014", &edith)
            .await
            .header("x-cache"),
        Some("MISS")
    );
    assert_eq!(
        app.get(OLIVER, &oliver).await.header("x-cache"),
        Some("MISS")
    );
    // Other methods are not purges.
    let r = app
        .send(
            app.http
                .get(format!("{}/_cache", app.root))
                .header("X-Request-ID", request_id()),
        )
        .await;
    assert_eq!(
        (r.status, r.spine_code()),
        (400, "UNSUPPORTED_REQUEST"),
        "{}",
        r.json
    );
    app.stop().await;
}

#[tokio::test]
async fn a_ttl_above_900_is_refused_at_start_up_naming_the_key() {
    let settings = Settings {
        listen: "127.0.0.1:0".into(),
        cache: CacheSettings {
            ttl_seconds: 901,
            ..CacheSettings::default()
        },
        ..Settings::default()
    };
    let err = Application::build_with(
        settings.clone(),
        Arc::new(InProcessClient::builtin()),
        Tables::embedded().unwrap(),
    )
    .err()
    .expect("refused");
    assert!(err.to_string().contains("cache.ttl_seconds"), "{err}");
    assert!(smsp_bridge::config::check(&settings)
        .iter()
        .any(|p| p.key == "cache.ttl_seconds"));
}

/// In-process: the counters, coalescing and purge, with `CacheLayer` over the core and the
/// simulator's in-process client.
#[tokio::test]
async fn counters_coalescing_and_purge_in_process() {
    let client = InProcessClient::builtin();
    let sim = client.state();
    sim.update_knobs(|k| k.latency_ms = 200).unwrap();
    let core: Arc<dyn PatientService> = Arc::new(Bridge::new(
        Arc::new(client),
        Arc::new(Tables::embedded().unwrap()),
        &Settings::default(),
    ));
    let layer = Arc::new(CacheLayer::build(core, &CacheSettings::default()).unwrap());
    let nhs = NhsNumber::parse("9990001006").unwrap();
    let read = ReadRequest {
        nhs_number: nhs,
        birth_date: Some(PartialDate::full(1980, 1, 15).unwrap()),
    };
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let layer = layer.clone();
            let read = read.clone();
            tokio::spawn(async move {
                // Different principals coalesce too: the answer does not depend on who asks.
                let caller = Caller::anonymous(Some(format!("Y{:05}", i % 7)));
                layer.service.read(read, &caller).await.map(|a| a.status)
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), 200);
    }
    assert_eq!(sim.count(Interaction::GetPatientDetailsByNhsNumber), 1);
    let s = layer.stats();
    assert_eq!(
        (s.misses, s.coalesced, s.hits, s.inserts),
        (1, 199, 0, 1),
        "{s:?}"
    );
    // Every principal that waited traced the patient.
    let dobless = ReadRequest {
        nhs_number: nhs,
        birth_date: None,
    };
    let caller = Caller::anonymous(Some("Y00003".into()));
    let a = layer.service.read(dobless.clone(), &caller).await.unwrap();
    assert_eq!(a.cache.as_str(), "HIT");
    assert_eq!(layer.stats().hits, 1);
    assert_eq!(layer.entry_count().await, 2, "record + number index");

    layer.purge_patient(nhs).await.unwrap();
    assert_eq!(layer.entry_count().await, 0);
    let e = layer.service.read(dobless, &caller).await.unwrap_err();
    assert_eq!(e.spine_code, "MISSING_VALUE");
    let a = layer.service.read(read, &caller).await.unwrap();
    assert_eq!(a.cache.as_str(), "MISS");
    assert_eq!(sim.count(Interaction::GetPatientDetailsByNhsNumber), 2);
}
