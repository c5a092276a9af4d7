//! Compare mode and shadow mode (issue 6): SMSP-derived answers against the real PDS FHIR API.
//! STUB — owned by the compare engineer.

use std::process::ExitCode;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::bridge::PatientService;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CompareSettings {}

/// `smsp-bridge compare …`
#[derive(Debug, clap::Args)]
pub struct CompareArgs {}

pub async fn run_cli(_args: CompareArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("compare is not implemented yet")
}

/// Shadow mode: wraps the service the edge calls (a sample of successful answers is compared
/// with PDS in the background). Returns `inner` when shadow mode is off.
pub fn wrap_shadow(
    inner: Arc<dyn PatientService>,
    _settings: &CompareSettings,
) -> anyhow::Result<Arc<dyn PatientService>> {
    Ok(inner)
}
