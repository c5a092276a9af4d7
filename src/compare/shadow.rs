//! Shadow mode in `serve` (issue 6): for `compare.shadow.sample_rate` of the successful answers
//! that name a patient, the same patient is fetched from PDS FHIR in the background and compared
//! field by field. Results go to Prometheus counters (field names and outcome classes only, never
//! values) and, optionally, a JSON Lines file of differences with NHS numbers masked.
//!
//! The caller is never delayed or affected: a sample is handed over with a non-blocking
//! `try_send` to a bounded queue (full → dropped and counted), one background task does the PDS
//! work, and every PDS failure ends there.

use bytes::Bytes;
use futures_util::future::BoxFuture;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

use super::diff::{self, CaseResult, FieldClass};
use super::outcome::{classify, Fetched, OutcomeKind};
use super::pds_client::{PdsClient, PdsConfig};
use super::rules::Rules;
use super::settings::CompareSettings;
use crate::bridge::{Answer, ApiError, Caller, PatientService, ReadRequest};
use crate::fhir::{SearchRequest, VerifyRequest};

/// Counts of this instance (the Prometheus counters are process-wide; tests read these).
#[derive(Debug, Default)]
pub struct ShadowStats {
    pub queued: AtomicU64,
    pub dropped: AtomicU64,
    pub compared: AtomicU64,
    pub pds_failures: AtomicU64,
    pub differences_written: AtomicU64,
}

impl ShadowStats {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

struct Sample {
    nhs_number: String,
    /// The READ-view Patient the bridge answered with (or rests a search answer on).
    smsp_patient: Bytes,
}

pub struct ShadowService {
    inner: Arc<dyn PatientService>,
    sample_rate: f64,
    tx: mpsc::Sender<Sample>,
    stats: Arc<ShadowStats>,
}

impl ShadowService {
    /// Checks the settings, opens the differences file, and starts the background worker (on
    /// the current Tokio runtime).
    pub fn start(inner: Arc<dyn PatientService>, settings: &CompareSettings) -> anyhow::Result<Arc<Self>> {
        let shadow = &settings.shadow;
        if !(shadow.sample_rate.is_finite() && (0.0..=1.0).contains(&shadow.sample_rate)) {
            anyhow::bail!("compare.shadow.sample_rate must be between 0 and 1");
        }
        if shadow.queue_capacity == 0 {
            anyhow::bail!("compare.shadow.queue_capacity must be at least 1");
        }
        let config = PdsConfig::from_settings(&settings.pds)
            .map_err(|e| anyhow::anyhow!("shadow mode: {e:#}"))?;
        let pds = PdsClient::new(config)?;
        let rules = Rules::load(settings.rules.as_deref())?;
        let file = shadow
            .differences_file
            .as_deref()
            .map(open_differences)
            .transpose()?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| anyhow::anyhow!("shadow mode needs a Tokio runtime"))?;
        let (tx, rx) = mpsc::channel(shadow.queue_capacity);
        let stats = Arc::new(ShadowStats::default());
        runtime.spawn(worker(rx, pds, rules, file, stats.clone()));
        Ok(Arc::new(Self {
            inner,
            sample_rate: shadow.sample_rate,
            tx,
            stats,
        }))
    }

    pub fn stats(&self) -> Arc<ShadowStats> {
        self.stats.clone()
    }

    /// Hands a sample to the worker without waiting; never fails the caller.
    fn offer(&self, answer: &Answer, read: bool) {
        let Some(sample) = sample_of(answer, read) else {
            return;
        };
        if self.sample_rate < 1.0 && rand::random::<f64>() >= self.sample_rate {
            return;
        }
        match self.tx.try_send(sample) {
            Ok(()) => {
                self.stats.queued.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("smsp_bridge_shadow_samples_total", "result" => "queued")
                    .increment(1);
            }
            Err(_) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("smsp_bridge_shadow_samples_total", "result" => "dropped")
                    .increment(1);
            }
        }
    }
}

/// Successful answers that name one patient: the core's record (READ view), or a cached read.
fn sample_of(answer: &Answer, read: bool) -> Option<Sample> {
    if answer.status != 200 {
        return None;
    }
    if let Some(record) = &answer.record {
        return Some(Sample {
            nhs_number: record.nhs_number.to_string(),
            smsp_patient: record.read_body.clone(),
        });
    }
    // A read answered from the cache: its body is the READ-view Patient itself.
    if read {
        return answer.nhs_numbers.first().map(|n| Sample {
            nhs_number: n.clone(),
            smsp_patient: answer.body.clone(),
        });
    }
    None
}

fn open_differences(path: &Path) -> anyhow::Result<(PathBuf, std::fs::File)> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        // Demographic values: readable by the service account only.
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path).map_err(|e| {
        anyhow::anyhow!(
            "compare.shadow.differences_file: cannot open {}: {e}",
            path.display()
        )
    })?;
    Ok((path.to_path_buf(), file))
}

async fn worker(
    mut rx: mpsc::Receiver<Sample>,
    pds: PdsClient,
    rules: Rules,
    mut file: Option<(PathBuf, std::fs::File)>,
    stats: Arc<ShadowStats>,
) {
    while let Some(sample) = rx.recv().await {
        let b = classify(&pds.read(&sample.nhs_number).await);
        let a = classify(&Fetched::answer(200, sample.smsp_patient));
        if b.kind == OutcomeKind::Error {
            stats.pds_failures.fetch_add(1, Ordering::Relaxed);
            // The status class only: never the NHS number or the body.
            let class = b.status.map_or("none".to_string(), |s| format!("{}xx", s / 100));
            metrics::counter!("smsp_bridge_shadow_pds_failures_total", "status" => class)
                .increment(1);
            continue;
        }
        let c = diff::compare(&a, &b, &rules);
        stats.compared.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("smsp_bridge_shadow_cases_total",
            "outcome" => c.result.as_str(), "pds" => b.kind.as_str())
        .increment(1);
        for f in &c.fields {
            // Field names are paths built from codes (`address[home].postalCode`), never values.
            metrics::counter!("smsp_bridge_shadow_fields_total",
                "field" => f.field.clone(), "outcome" => f.class.as_str())
            .increment(1);
        }
        let differs = c.result != CaseResult::Same
            || c.fields
                .iter()
                .any(|f| f.class.compared() && f.class != FieldClass::Equal);
        if let (true, Some((path, f))) = (differs, file.as_mut()) {
            let mut line = serde_json::json!({
                "time": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
                "nhs_number": sample.nhs_number,
                "outcome": c.result.as_str(),
                "pair": format!("{}/{}", a.kind.as_str(), b.kind.as_str()),
                "fields": c.fields.iter()
                    .filter(|f| f.class.compared() && f.class != FieldClass::Equal)
                    .collect::<Vec<_>>(),
                "patch": c.patch,
            });
            super::mask::mask_value(&mut line);
            let mut text = line.to_string();
            text.push('\n');
            // A small append; the worker is the only writer.
            match f.write_all(text.as_bytes()) {
                Ok(()) => {
                    stats.differences_written.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "shadow differences file not written");
                }
            }
        }
    }
}

impl PatientService for ShadowService {
    fn read<'a>(
        &'a self,
        request: ReadRequest,
        caller: &'a Caller,
    ) -> BoxFuture<'a, Result<Answer, ApiError>> {
        Box::pin(async move {
            let result = self.inner.read(request, caller).await;
            if let Ok(answer) = &result {
                self.offer(answer, true);
            }
            result
        })
    }

    fn search<'a>(
        &'a self,
        request: SearchRequest,
        caller: &'a Caller,
    ) -> BoxFuture<'a, Result<Answer, ApiError>> {
        Box::pin(async move {
            let result = self.inner.search(request, caller).await;
            if let Ok(answer) = &result {
                self.offer(answer, false);
            }
            result
        })
    }

    fn verify<'a>(
        &'a self,
        request: VerifyRequest,
        caller: &'a Caller,
    ) -> BoxFuture<'a, Result<Answer, ApiError>> {
        self.inner.verify(request, caller)
    }

    fn public_base_url(&self) -> &str {
        self.inner.public_base_url()
    }
}
