//! Configuration: one TOML file plus environment overrides `SMSP_BRIDGE__SECTION__KEY`
//! (double underscore separates sections, e.g. `SMSP_BRIDGE__SMSP__TIMEOUT_MS`).

mod certificates;
mod check;
mod settings;

pub use certificates::{CertificateFile, Role};
pub use check::{check, ConfigProblem};
pub use settings::{LogFormat, LogSettings, Settings, SmspSettings};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use std::path::Path;

/// Loads settings: built-in defaults, then the file (if given), then the environment.
pub fn load(file: Option<&Path>) -> Result<Settings, Box<figment::Error>> {
    let mut figment = Figment::from(Serialized::defaults(Settings::default()));
    if let Some(path) = file {
        figment = figment.merge(Toml::file_exact(path));
    }
    figment
        .merge(Env::prefixed("SMSP_BRIDGE__").split("__"))
        .extract()
        .map_err(Box::new)
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_overrides() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "bridge.toml",
                r#"
                listen = "0.0.0.0:9000"
                public_base_url = "https://bridge.example/personal-demographics/FHIR/R4"
                [smsp]
                url = "https://smsp.example/smsp/pds"
                timeout_ms = 2500
                "#,
            )?;
            jail.set_env("SMSP_BRIDGE__SMSP__TIMEOUT_MS", "700");
            jail.set_env("SMSP_BRIDGE__LISTEN", "127.0.0.1:9100");
            jail.set_env("SMSP_BRIDGE__SMSP__CLIENT_CERT", "/etc/certs/client.pem");
            let s = load(Some(Path::new("bridge.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(s.listen, "127.0.0.1:9100");
            assert_eq!(s.smsp.timeout_ms, 700);
            assert_eq!(s.smsp.url, "https://smsp.example/smsp/pds");
            assert_eq!(
                s.public_base_url,
                "https://bridge.example/personal-demographics/FHIR/R4"
            );
            assert_eq!(
                s.smsp.client_cert.as_deref(),
                Some(Path::new("/etc/certs/client.pem"))
            );
            assert_eq!(s.smsp.connect_timeout_ms, 3_000, "defaults fill the rest");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_refused_with_their_name() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bridge.toml", "[smsp]\ntimeout = 5\n")?;
            let err = load(Some(Path::new("bridge.toml")))
                .unwrap_err()
                .to_string();
            assert!(err.contains("timeout"), "{err}");
            Ok(())
        });
    }
}
