//! Stamps the build with its git commit and build time for `/_ping` and `/_status`, unless the
//! build environment already provides them (the Dockerfile passes both).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=SMSP_BRIDGE_GIT_COMMIT");
    println!("cargo:rerun-if-env-changed=SMSP_BRIDGE_BUILD_TIME");
    println!("cargo:rerun-if-changed=.git/HEAD");
    let commit = std::env::var("SMSP_BRIDGE_GIT_COMMIT").ok().or_else(|| {
        let out = Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    });
    let build_time = std::env::var("SMSP_BRIDGE_BUILD_TIME")
        .ok()
        .unwrap_or_else(|| {
            Command::new("date")
                .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_default()
        });
    println!(
        "cargo:rustc-env=SMSP_BRIDGE_GIT_COMMIT={}",
        commit.unwrap_or_else(|| "unknown".into())
    );
    println!("cargo:rustc-env=SMSP_BRIDGE_BUILD_TIME={build_time}");
}
