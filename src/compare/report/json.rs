//! `report.json`: the report as pretty JSON (issue 6), the machine-readable record of a run.

use std::path::Path;

use super::Report;

pub fn write(report: &Report, path: &Path) -> anyhow::Result<()> {
    let text = serde_json::to_vec_pretty(report)?;
    std::fs::write(path, text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}
