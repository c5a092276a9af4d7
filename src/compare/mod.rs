//! Compare mode and shadow mode (issue 6): SMSP-derived answers against the real PDS FHIR API.
//!
//! `smsp-bridge compare` reads cases (`cases`), asks the bridge (`smsp_side`: a running bridge's
//! URL or the pipeline in-process) and PDS (`pds_client`, with `auth` and `rate`), reads each
//! answer (`outcome`), lines the two Patients up under `mappings/compare.toml` (`rules`,
//! `normalise`), classifies every field and builds a JSON Patch (`diff`), and writes
//! `report.json` and `report.html` (`report`) with NHS numbers masked (`mask`). Shadow mode
//! (`shadow`) does the same for a sample of live answers in the background.
//! Everything is described in docs/COMPARE.md.

pub mod auth;
pub mod cases;
pub mod diff;
pub mod mask;
pub mod normalise;
pub mod outcome;
pub mod patch;
pub mod pds_client;
pub mod progress;
pub mod rate;
pub mod report;
pub mod rules;
pub mod run;
pub mod settings;
pub mod shadow;
pub mod smsp_side;

pub use settings::{CompareSettings, PdsSettings, ShadowSettings};

use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::bridge::{Bridge, PatientService};
use pds_client::{PdsClient, PdsConfig};
use progress::{Progress, ProgressMode};
use report::{PdsCounts, Report};
use rules::Rules;
use smsp_side::{BridgeUrl, InProcess, SmspSide};

/// Exit status when agreement is below `--fail-under` (1 is a run that failed, 2 a usage error).
pub const EXIT_BELOW_THRESHOLD: u8 = 3;

/// `smsp-bridge compare …`
#[derive(Debug, Clone, clap::Args)]
#[command(group(
    clap::ArgGroup::new("smsp_source")
        .required(true)
        .args(["bridge_url", "config", "smsp_sim"])
))]
pub struct CompareArgs {
    /// Cases: CSV or JSON Lines (columns/keys id, nhs_number, birthdate, family, given, gender,
    /// postcode, query).
    #[arg(long, value_name = "FILE")]
    pub cases: PathBuf,
    /// PDS FHIR base URL (sandbox, INT or live); default `compare.pds.base_url` from --config.
    #[arg(long, value_name = "URL")]
    pub pds_base_url: Option<String>,
    /// Side A from a running bridge at this base URL.
    #[arg(long, value_name = "URL")]
    pub bridge_url: Option<String>,
    /// Extra header for every bridge request (repeatable), e.g. 'Authorization: Basic …'.
    #[arg(long = "bridge-header", value_name = "NAME: VALUE")]
    pub bridge_headers: Vec<String>,
    /// Side A in-process, through the same pipeline, against the SMSP this configuration names.
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Side A in-process against the built-in simulator's data (no SMSP needed).
    #[arg(long)]
    pub smsp_sim: bool,
    /// Directory for report.json and report.html.
    #[arg(long, value_name = "DIR", default_value = "compare-report")]
    pub out: PathBuf,
    /// PDS requests per second (default 5, PDS's default quota).
    #[arg(long, value_name = "RPS")]
    pub rate: Option<f64>,
    /// Cases in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
    /// Show NHS numbers in the reports instead of masking them (999***1006).
    #[arg(long)]
    pub show_identifiers: bool,
    /// Exit with status 3 when agreement on compared fields is below RATE (0.95 or 95%).
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub fail_under: Option<f64>,
    /// API key of the PDS application (the JWT's iss and sub).
    #[arg(long, env = "SMSP_BRIDGE_COMPARE_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// PEM file with the RSA private key that signs the client assertion (RS512).
    #[arg(long, value_name = "FILE")]
    pub private_key: Option<PathBuf>,
    /// Key id (kid) of the registered public key.
    #[arg(long)]
    pub kid: Option<String>,
    /// Token endpoint; default <scheme>://<host>/oauth2/token of the PDS base URL.
    #[arg(long, value_name = "URL")]
    pub token_url: Option<String>,
    /// NHSD-End-User-Organisation-ODS sent to PDS.
    #[arg(long, value_name = "ODS")]
    pub ods_code: Option<String>,
    /// Budget for one request to PDS or the bridge (default 10000).
    #[arg(long, value_name = "MS")]
    pub timeout_ms: Option<u64>,
    /// Retries of a 429 from PDS, each after Retry-After (default 3).
    #[arg(long, value_name = "N")]
    pub max_retries: Option<u32>,
    /// Rules file replacing the embedded mappings/compare.toml.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Progress display: a bar on a terminal, plain lines otherwise.
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: ProgressMode,
}

/// `0.95`, `95%` → 0.95.
fn parse_rate(s: &str) -> Result<f64, String> {
    let (num, scale) = match s.trim().strip_suffix('%') {
        Some(p) => (p, 100.0),
        None => (s.trim(), 1.0),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a rate (0.95 or 95%)"))?;
    let v = v / scale;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!("'{s}' is not between 0 and 1 (0% and 100%)"));
    }
    Ok(v)
}

impl CompareArgs {
    /// Parses `compare`'s arguments alone (for tests and embedding).
    pub fn parse_from<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        #[derive(clap::Parser)]
        struct Wrapper {
            #[command(flatten)]
            args: CompareArgs,
        }
        let w = <Wrapper as clap::Parser>::try_parse_from(
            std::iter::once(std::ffi::OsString::from("compare"))
                .chain(args.into_iter().map(Into::into)),
        )?;
        Ok(w.args)
    }
}

/// What a run produced.
pub struct CompareRun {
    /// The report as written (masked unless `--show-identifiers`).
    pub report: Report,
    pub exit: ExitCode,
    /// Whether agreement fell below `--fail-under`.
    pub below_threshold: bool,
}

pub async fn run_cli(args: CompareArgs) -> anyhow::Result<ExitCode> {
    Ok(execute(&args).await?.exit)
}

/// The whole command: side A from the arguments, then [`execute_with`].
pub async fn execute(args: &CompareArgs) -> anyhow::Result<CompareRun> {
    let settings = crate::config::load(args.config.as_deref())
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    let timeout = Duration::from_millis(args.timeout_ms.unwrap_or(settings.compare.pds.timeout_ms));
    let side: Arc<dyn SmspSide> = if let Some(url) = &args.bridge_url {
        let headers = args
            .bridge_headers
            .iter()
            .map(|h| {
                h.split_once(':')
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .with_context(|| "--bridge-header must be 'Name: value'".to_string())
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Arc::new(BridgeUrl::new(url, headers, timeout)?)
    } else {
        let smsp: Arc<dyn crate::smsp::SmspClient> = if args.smsp_sim {
            Arc::new(crate::sim::InProcessClient::builtin())
        } else {
            let transport = crate::startup::transport_config(&settings)?;
            let client = crate::smsp::transport::LiveClient::new(transport)
                .context("cannot set up the SMSP transport")?;
            crate::resilience::wrap(Arc::new(client), &settings.resilience)
        };
        let tables = crate::mapping::Tables::load(settings.mappings_dir.as_deref())
            .map_err(|e| anyhow::anyhow!("mapping tables: {e}"))?;
        let bridge: Arc<dyn PatientService> =
            Arc::new(Bridge::new(smsp, Arc::new(tables), &settings));
        let label = if args.smsp_sim {
            "in-process, built-in SMSP simulator data"
        } else {
            "in-process, SMSP from the configuration"
        };
        Arc::new(InProcess::new(bridge, label))
    };
    execute_with(args, &settings.compare, side).await
}

/// Runs the cases against `side` and PDS, writes the reports, and decides the exit status.
pub async fn execute_with(
    args: &CompareArgs,
    settings: &CompareSettings,
    side: Arc<dyn SmspSide>,
) -> anyhow::Result<CompareRun> {
    let cases = cases::load(&args.cases)?;
    let rules = Rules::load(args.rules.as_deref().or(settings.rules.as_deref()))?;
    let pds = PdsClient::new(pds_config(args, &settings.pds)?)?;
    let progress = Progress::new(args.progress, cases.len() as u64);
    let runner = run::Runner {
        smsp: side.as_ref(),
        pds: &pds,
        rules: &rules,
        concurrency: args.concurrency,
    };
    let results = runner.run(&cases, &progress).await;
    let stats = &pds.stats;
    let counts = PdsCounts {
        requests: stats.requests.load(std::sync::atomic::Ordering::Relaxed),
        throttled: stats.throttled.load(std::sync::atomic::Ordering::Relaxed),
        retries: stats.retries.load(std::sync::atomic::Ordering::Relaxed),
        token_requests: pds.token_requests(),
    };
    let mut report = Report::build(side.describe(), pds.base_url().to_string(), results, counts);
    if !args.show_identifiers {
        report = report.masked()?;
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let json_path = args.out.join("report.json");
    let html_path = args.out.join("report.html");
    report::json::write(&report, &json_path)?;
    report::html::write(&report, &html_path)?;

    let s = &report.summary;
    println!(
        "compare: {} cases: {} same outcome, {} different outcome, {} {}",
        s.cases,
        s.same_outcome,
        s.different_outcome,
        s.errors,
        if s.errors == 1 { "error" } else { "errors" }
    );
    println!(
        "fields: {} equal, {} different, {} only SMSP, {} only PDS, {} not comparable; agreement {}",
        s.fields.equal,
        s.fields.different,
        s.fields.only_smsp,
        s.fields.only_pds,
        s.fields.not_comparable,
        s.agreement
            .map_or("n/a".to_string(), |a| format!("{:.1}%", a * 100.0))
    );
    println!(
        "PDS: {} requests, {} throttled (429), {} retries, {} tokens",
        s.pds.requests, s.pds.throttled, s.pds.retries, s.pds.token_requests
    );
    println!(
        "report: {} and {}",
        json_path.display(),
        html_path.display()
    );
    let below_threshold = match (args.fail_under, s.agreement) {
        (None, _) => false,
        (Some(min), Some(a)) => a < min,
        // Nothing compared: the threshold cannot be shown to hold.
        (Some(_), None) => true,
    };
    let exit = if below_threshold {
        eprintln!(
            "compare: agreement {} is below --fail-under {:.1}%",
            s.agreement
                .map_or("n/a".to_string(), |a| format!("{:.1}%", a * 100.0)),
            args.fail_under.unwrap_or_default() * 100.0
        );
        ExitCode::from(EXIT_BELOW_THRESHOLD)
    } else {
        ExitCode::SUCCESS
    };
    Ok(CompareRun {
        report,
        exit,
        below_threshold,
    })
}

/// The command line over `[compare.pds]`.
fn pds_config(args: &CompareArgs, s: &PdsSettings) -> anyhow::Result<PdsConfig> {
    let base_url = args
        .pds_base_url
        .clone()
        .or_else(|| s.base_url.clone())
        .context("--pds-base-url is required (or compare.pds.base_url in --config)")?;
    let api_key = args.api_key.clone().or_else(|| s.api_key.clone());
    let private_key = args.private_key.clone().or_else(|| s.private_key.clone());
    let kid = args.kid.clone().or_else(|| s.kid.clone());
    let token_url = args.token_url.clone().or_else(|| s.token_url.clone());
    let auth = pds_client::auth_config(
        &base_url,
        api_key.as_deref(),
        private_key.as_deref(),
        kid.as_deref(),
        token_url.as_deref(),
    )?;
    Ok(PdsConfig {
        base_url,
        auth,
        rate: args.rate.unwrap_or(s.rate),
        timeout: Duration::from_millis(args.timeout_ms.unwrap_or(s.timeout_ms)),
        max_retries: args.max_retries.unwrap_or(s.max_retries),
        ods_code: args.ods_code.clone().or_else(|| s.ods_code.clone()),
    })
}

/// Shadow mode: wraps the service the edge calls (a sample of successful answers is compared
/// with PDS in the background). Returns `inner` when shadow mode is off.
pub fn wrap_shadow(
    inner: Arc<dyn PatientService>,
    settings: &CompareSettings,
) -> anyhow::Result<Arc<dyn PatientService>> {
    if settings.shadow.sample_rate == 0.0 {
        return Ok(inner);
    }
    let service: Arc<dyn PatientService> = shadow::ShadowService::start(inner, settings)?;
    Ok(service)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_as_fractions_or_percentages() {
        assert_eq!(parse_rate("0.95"), Ok(0.95));
        assert_eq!(parse_rate("95%"), Ok(0.95));
        assert!(parse_rate("1.5").is_err());
        assert!(parse_rate("lots").is_err());
    }

    #[test]
    fn arguments_need_exactly_one_smsp_source() {
        let a = CompareArgs::parse_from([
            "--cases",
            "c.csv",
            "--pds-base-url",
            "https://pds.example/personal-demographics/FHIR/R4",
            "--smsp-sim",
            "--fail-under",
            "90%",
        ])
        .unwrap();
        assert!(a.smsp_sim);
        assert_eq!(a.fail_under, Some(0.9));
        assert!(CompareArgs::parse_from(["--cases", "c.csv"]).is_err());
        assert!(CompareArgs::parse_from([
            "--cases",
            "c.csv",
            "--smsp-sim",
            "--bridge-url",
            "http://x"
        ])
        .is_err());
    }

    #[test]
    fn shadow_off_returns_the_service_unchanged() {
        let tables = crate::mapping::Tables::embedded().unwrap();
        let settings = crate::config::Settings::default();
        let core: Arc<dyn PatientService> = Arc::new(Bridge::new(
            Arc::new(crate::sim::InProcessClient::builtin()),
            Arc::new(tables),
            &settings,
        ));
        let wrapped = wrap_shadow(core.clone(), &CompareSettings::default()).unwrap();
        assert!(Arc::ptr_eq(&core, &wrapped));
    }
}
