//! Command line: `serve`, `sim`, `demo`, `check-config`. `main.rs` only parses and dispatches.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "smsp-bridge",
    version,
    about = "PDS FHIR API surface answered from SMSP over mutual TLS"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bridge: the PDS FHIR API in front of a live SMSP.
    Serve {
        /// TOML configuration file (every key can also be set by SMSP_BRIDGE__SECTION__KEY).
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Run the SMSP simulator (HTTPS with client-certificate authentication).
    Sim(crate::sim::SimArgs),
    /// Generate certificates, start the simulator and the bridge, and print ready-to-paste curls.
    Demo {
        /// Address for the bridge's FHIR API.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Address for the simulator (0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:0")]
        sim_listen: String,
    },
    /// Compare SMSP-derived answers with the real PDS FHIR API, field by field.
    Compare(crate::compare::CompareArgs),
    /// Maintain the HTTP Basic users file (passwords from a prompt or stdin, never argv).
    User(crate::security::users_cli::UserArgs),
    /// Audit trail tools: `audit verify` checks the hash chain, `audit search` finds records.
    Audit(crate::security::audit::AuditArgs),
    /// Validate configuration and mapping tables, report every problem, and exit.
    CheckConfig {
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
}
