//! `smsp-bridge user add|passwd|remove`: the real binary, passwords on stdin; the running
//! bridge picks the changes up.

use super::support::*;
use crate::helpers::spawn_app_with;
use smsp_bridge::security::AuthMode;
use std::time::Duration;

fn ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn users_are_added_changed_and_removed_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.toml");
    let f = file.to_str().unwrap();
    ok(&run_bin(
        &[
            "user",
            "add",
            "--users",
            f,
            "carol",
            "--roles",
            "read,verify",
        ],
        "carol-password-1\n",
    ));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("$argon2id$"), "{text}");
    assert!(!text.contains("carol-password-1"));
    // passwords never come from argv
    let out = run_bin(
        &["user", "add", "--users", f, "dave", "--password", "x"],
        "",
    );
    assert!(!out.status.success());
    // nor are short ones accepted
    assert!(!run_bin(&["user", "add", "--users", f, "erin"], "short\n")
        .status
        .success());
    // a duplicate is refused
    assert!(!run_bin(
        &["user", "add", "--users", f, "carol"],
        "carol-password-9\n"
    )
    .status
    .success());

    let users = file.clone();
    let app = spawn_app_with(sim().await, move |s| {
        s.security.modes = vec![AuthMode::Basic];
        s.security.basic.users_file = Some(users);
    })
    .await;
    let r = get_as(&app, VERIFY, Some(&basic("carol", "carol-password-1")), &[]).await;
    assert_eq!(r.status, 200, "{}", r.json);

    ok(&run_bin(
        &["user", "passwd", "--users", f, "carol"],
        "carol-password-2\n",
    ));
    tokio::time::sleep(Duration::from_millis(1100)).await; // the file is looked at once a second
    let r = get_as(&app, VERIFY, Some(&basic("carol", "carol-password-1")), &[]).await;
    assert_eq!(r.status, 401, "the old password no longer works");
    let r = get_as(&app, VERIFY, Some(&basic("carol", "carol-password-2")), &[]).await;
    assert_eq!(r.status, 200);

    let out = run_bin(&["user", "list", "--users", f], "");
    ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "carol\tread,verify\n");

    ok(&run_bin(&["user", "remove", "--users", f, "carol"], ""));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = get_as(&app, VERIFY, Some(&basic("carol", "carol-password-2")), &[]).await;
    assert_eq!(r.status, 401);
    app.stop().await;
}
