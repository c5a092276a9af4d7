//! Configuration: one TOML file plus environment overrides `SMSP_BRIDGE__SECTION__KEY`
//! (double underscore separates sections, e.g. `SMSP_BRIDGE__SMSP__TIMEOUT_MS`).

mod check;
mod settings;

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
