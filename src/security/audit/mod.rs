//! The local audit trail (issue 5; SMSP SPEC §2.2 and §8: consumers keep a local audit of every
//! access to patient data, including SMSP message ids): append-only JSON Lines in a hash chain,
//! rotated by size, durable before the answer is released.

mod ack;
pub mod chain;
pub mod record;
pub mod search;
pub mod verify;
mod writer;

pub use record::{AuditEntry, Decision, SmspEntry};
pub use writer::{AuditLog, AuditUnavailable};

use std::path::PathBuf;

/// `smsp-bridge audit …`
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; report the first broken or missing record (exit 1 if any).
    Verify {
        /// Audit files in chain order, or directories holding them; or one directory of trails
        /// (a subdirectory per pod), each verified as its own chain.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Accept a chain that starts after record 1 (older files archived elsewhere).
        #[arg(long)]
        partial: bool,
    },
    /// Find records: by patient (NHS number), user, organisation, parameter, request id,
    /// decision or time, checking the chain as it reads (exit 1 if it is broken).
    Search(search::SearchArgs),
}

pub fn run_cli(args: AuditArgs) -> anyhow::Result<std::process::ExitCode> {
    match args.command {
        AuditCommand::Verify { files, partial } => verify::run(&files, partial),
        AuditCommand::Search(args) => search::run(&args),
    }
}
