//! Roles → permitted interactions; each refusal is 403 ACCESS_DENIED.

use super::support::*;
use smsp_bridge::security::rbac::Permission;

#[tokio::test]
async fn each_interaction_needs_its_role() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_basic(
        dir.path(),
        &[
            ("reader", "reader-password", &["read"]),
            ("searcher", "searcher-password", &["search"]),
            ("verifier", "verifier-password", &["verify"]),
            ("operator", "operator-password", &["admin"]),
            ("clinician", "clinician-password", &["clinician"]),
            ("nobody", "nobody-password", &[]),
        ],
        None,
        |s| {
            s.security.roles.insert(
                "clinician".into(),
                vec![Permission::Read, Permission::Search, Permission::Verify],
            );
        },
    )
    .await;
    let as_ = |u: &str| basic(u, &format!("{u}-password"));
    let cases: [(&str, &[&str]); 3] = [
        (READ, &["reader", "clinician"]),
        (SEARCH, &["searcher", "clinician"]),
        (VERIFY, &["verifier", "clinician"]),
    ];
    for (path, allowed) in cases {
        for user in [
            "reader",
            "searcher",
            "verifier",
            "operator",
            "clinician",
            "nobody",
        ] {
            let r = get_as(&app, path, Some(&as_(user)), &[DOB]).await;
            if allowed.contains(&user) {
                assert_eq!(r.status, 200, "{user} {path}: {}", r.json);
            } else {
                assert_403(&r);
                assert!(
                    r.diagnostics().contains("do not permit"),
                    "{}",
                    r.diagnostics()
                );
            }
        }
    }
    // admin: the cache purge
    for (user, refused) in [("reader", true), ("clinician", true), ("operator", false)] {
        let (status, code) = delete_as(&app, "/_cache", &as_(user)).await;
        assert_eq!(
            status == 403 && code == "ACCESS_DENIED",
            refused,
            "{user}: {status} {code}"
        );
    }
    // write methods need only a principal: the handler refuses them as app-restricted PDS does
    let r = app
        .send(
            app.http
                .patch(format!("{}{READ}", app.base))
                .header("X-Request-ID", crate::helpers::request_id())
                .header("Authorization", as_("nobody"))
                .body("{}"),
        )
        .await;
    assert_eq!((r.status, r.spine_code()), (403, "INVALID_METHOD"));
    app.stop().await;
}
