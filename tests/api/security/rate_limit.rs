//! Per-principal rate limits → 429 TOO_MANY_REQUESTS with Retry-After; repeated failed
//! authentications from one address are throttled too.

use super::support::*;

#[tokio::test]
async fn a_principal_over_its_quota_gets_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_basic(
        dir.path(),
        &[
            ("alice", "alice-password", &["verify"]),
            ("bob", "bob-password", &["verify"]),
        ],
        None,
        |s| {
            s.security.rate_limit.per_second = 1;
            s.security.rate_limit.burst = 2;
        },
    )
    .await;
    let alice = basic("alice", "alice-password");
    assert_eq!(get_as(&app, VERIFY, Some(&alice), &[]).await.status, 200);
    assert_eq!(get_as(&app, VERIFY, Some(&alice), &[]).await.status, 200);
    let r = get_as(&app, VERIFY, Some(&alice), &[]).await;
    assert_eq!(r.status, 429, "{}", r.json);
    assert_eq!(r.spine_code(), "TOO_MANY_REQUESTS");
    assert_eq!(r.json["issue"][0]["code"], "value");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    // another principal has its own quota
    assert_eq!(
        get_as(&app, VERIFY, Some(&basic("bob", "bob-password")), &[])
            .await
            .status,
        200
    );
    // and alice's refills
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(get_as(&app, VERIFY, Some(&alice), &[]).await.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn password_guessing_is_throttled_per_address() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_basic(
        dir.path(),
        &[("alice", "alice-password", &["verify"])],
        None,
        |s| {
            s.security.rate_limit.auth_failures_per_minute = 3;
        },
    )
    .await;
    for guess in ["guess-1", "guess-2", "guess-3"] {
        let r = get_as(&app, VERIFY, Some(&basic("alice", guess)), &[]).await;
        assert_eq!(r.status, 401);
    }
    let r = get_as(&app, VERIFY, Some(&basic("alice", "guess-4")), &[]).await;
    assert_eq!(
        r.status, 401,
        "the fourth failure is still checked, and counted"
    );
    // now even the right password waits
    let r = get_as(&app, VERIFY, Some(&basic("alice", "alice-password")), &[]).await;
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_some());
    app.stop().await;
}
