//! HTTP Basic against the users file; the principal reaches SMSP's auditIdentity.

use super::support::*;

#[tokio::test]
async fn basic_good_wrong_and_missing_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_basic(
        dir.path(),
        &[("alice", "alice-password", &["read", "search", "verify"])],
        None,
        |_| {},
    )
    .await;
    let good = basic("alice", "alice-password");

    let r = get_as(&app, READ, Some(&good), &[DOB]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["id"], "9990001006");

    let r = get_as(&app, READ, Some(&basic("alice", "wrong-password")), &[DOB]).await;
    assert_401(
        &r,
        "Invalid user name or password",
        "Basic realm=\"smsp-bridge\"",
    );
    // the proxy mirrors the request id on 401s too (PDS FHIR SPEC §3)
    assert!(r.header("x-request-id").is_some());

    let r = get_as(&app, READ, Some(&basic("nobody", "alice-password")), &[DOB]).await;
    assert_401(&r, "Invalid user name or password", "Basic");

    let r = get_as(&app, READ, None, &[DOB]).await;
    assert_401(&r, "Missing Authorization header", "Basic");
    let r = get_as(&app, READ, Some(""), &[DOB]).await;
    assert_401(&r, "Empty Authorization header", "Basic");
    let r = get_as(&app, READ, Some("Bearer abc"), &[DOB]).await;
    assert_401(&r, "Unsupported Authorization scheme", "Basic");

    // authentication comes before X-Request-ID checks, as in live PDS (PDS FHIR SPEC §7)
    let r = app.get_raw(READ, &[DOB]).await;
    assert_eq!(r.status, 401);
    let r = app
        .get_raw(READ, &[DOB, ("Authorization", good.as_str())])
        .await;
    assert_eq!(r.spine_code(), "MISSING_VALUE");

    // everything but /_ping needs a principal
    let ping = app
        .http
        .get(format!("{}/_ping", app.root))
        .send()
        .await
        .unwrap();
    assert_eq!(ping.status(), 200);
    let r = get_as(&app, "/metadata", None, &[]).await;
    assert_eq!(r.status, 401);
    let r = get_as(&app, "/metadata", Some(&good), &[]).await;
    assert_eq!(r.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn the_local_user_is_named_in_the_itk_audit_identity() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_basic(
        dir.path(),
        &[("alice", "alice-password", &["read"])],
        None,
        |_| {},
    )
    .await;
    let r = get_as(
        &app,
        READ,
        Some(&basic("alice", "alice-password")),
        &[DOB, ("NHSD-End-User-Organisation-ODS", "Y12345")],
    )
    .await;
    assert_eq!(r.status, 200);
    let id = app
        .sim
        .state
        .last_audit_identity()
        .expect("audit identity sent");
    // SMSP SPEC §2.5: the local user, qualified by the end-user organisation
    assert_eq!(id.uri, "urn:nhs-uk:identity:ods:Y12345:alice");
    assert_eq!(id.type_oid, "2.16.840.1.113883.2.1.3.2.4.18.27");
    app.stop().await;
}

#[tokio::test]
async fn open_mode_is_the_default_and_serves_the_open_roles() {
    let app = crate::helpers::spawn_app().await;
    assert_eq!(app.get(READ, &[DOB]).await.status, 200);
    assert_eq!(app.get(SEARCH, &[]).await.status, 200);
    assert_eq!(app.get(VERIFY, &[]).await.status, 200);
    // but not admin
    let (status, code) = delete_as(&app, "/_cache", "").await;
    assert_eq!((status, code.as_str()), (403, "ACCESS_DENIED"));
    app.stop().await;
}
