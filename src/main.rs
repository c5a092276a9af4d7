//! Thin entry point: parse the command line and hand over to the library.

use clap::Parser;
use smsp_bridge::cli::{Cli, Command};

/// mimalloc rather than glibc's malloc: the request paths allocate a lot of small, short-lived
/// objects, and mimalloc serves them with fewer instructions and less lock traffic between
/// worker threads (issue 9; docs/PERFORMANCE-LOG.md has the before/after figures).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve { config } => smsp_bridge::commands::serve(config.as_deref()).await,
            Command::Sim(args) => smsp_bridge::sim::run_cli(args).await,
            Command::Demo { listen, sim_listen } => {
                smsp_bridge::commands::demo(&listen, &sim_listen).await
            }
            Command::Compare(args) => smsp_bridge::compare::run_cli(args).await,
            Command::User(args) => smsp_bridge::security::users_cli::run(args),
            Command::Audit(args) => smsp_bridge::security::audit::run_cli(args),
            Command::CheckConfig { config } => {
                smsp_bridge::commands::check_config(config.as_deref())
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
