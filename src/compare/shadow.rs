//! Shadow mode in `serve` (issue 6): for `compare.shadow.sample_rate` of the successful answers
//! that name a patient, the same patient is fetched from PDS FHIR in the background and compared
//! field by field — a read by `GET /Patient/{id}`, a search by the same search on PDS (so both
//! sides are PDS's reduced search view, PDS FHIR SPEC §5.2). Results go to Prometheus counters (field names and outcome classes only, never
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
use crate::mapping::{Tables, Vocabulary};

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
    ask: Ask,
    /// The bridge's answer body: a Patient (read) or a one-entry searchset Bundle (search).
    smsp_body: Bytes,
}

/// What to ask PDS.
enum Ask {
    Read(String),
    Search(Vec<(String, String)>),
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
    pub fn start(
        inner: Arc<dyn PatientService>,
        settings: &CompareSettings,
    ) -> anyhow::Result<Arc<Self>> {
        let shadow = &settings.shadow;
        if !(shadow.sample_rate.is_finite() && (0.0..=1.0).contains(&shadow.sample_rate)) {
            anyhow::bail!("compare.shadow.sample_rate must be between 0 and 1");
        }
        if shadow.queue_capacity == 0 {
            anyhow::bail!("compare.shadow.queue_capacity must be at least 1");
        }
        let (pds, rules) = client_and_rules(settings)?;
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

    /// Whether this request is in the sample (drawn before the call, so a request not drawn
    /// costs one random number and nothing else).
    fn draw(&self) -> bool {
        self.sample_rate >= 1.0 || rand::random::<f64>() < self.sample_rate
    }

    /// Hands a sample to the worker without waiting; never fails the caller.
    fn enqueue(&self, sample: Option<Sample>) {
        let Some(sample) = sample else {
            return;
        };
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

/// The PDS client (its settings and private key) and the comparison rules shadow mode needs.
fn client_and_rules(settings: &CompareSettings) -> anyhow::Result<(PdsClient, Rules)> {
    let config = PdsConfig::from_settings(&settings.pds)
        .map_err(|e| anyhow::anyhow!("shadow mode: {e:#}"))?;
    let pds = PdsClient::new(config)?;
    let rules = Rules::load(settings.rules.as_deref())?;
    Ok((pds, rules))
}

/// What `ShadowService::start` would refuse, without starting its worker or opening the
/// differences file (`check-config`). Nothing when shadow mode is off.
pub fn preflight(settings: &CompareSettings) -> Vec<String> {
    if settings.shadow.sample_rate == 0.0 {
        return Vec::new();
    }
    client_and_rules(settings)
        .err()
        .map(|e| format!("{e:#}"))
        .into_iter()
        .collect()
}

/// A successful read: the Patient the bridge answered with (the core's record, or the cached
/// READ-view body).
fn read_sample(answer: &Answer) -> Option<Sample> {
    if answer.status != 200 {
        return None;
    }
    let nhs_number = match &answer.record {
        Some(r) => r.nhs_number.to_string(),
        None => answer.nhs_numbers.first()?.clone(),
    };
    Some(Sample {
        ask: Ask::Read(nhs_number),
        smsp_body: answer.body.clone(),
    })
}

/// A successful search that names one patient, asked again of PDS with the same parameters. An
/// NHS-number search (the bridge's `identifier`, which PDS lacks) is compared as a read when the
/// answer carries the record; identifiers-only and count answers hold no Patient to compare.
/// `vocabulary` is the service's: the one the request was read with.
fn search_sample(
    request: &SearchRequest,
    answer: &Answer,
    vocabulary: &Vocabulary,
) -> Option<Sample> {
    if answer.status != 200
        || answer.nhs_numbers.len() != 1
        || request.identifiers_only
        || request.summary_count
    {
        return None;
    }
    if request.nhs_number.is_some() {
        let record = answer.record.as_ref()?;
        return Some(Sample {
            ask: Ask::Read(record.nhs_number.to_string()),
            smsp_body: record.read_body().ok()?,
        });
    }
    Some(Sample {
        ask: Ask::Search(pds_search_params(request, vocabulary)),
        smsp_body: answer.body.clone(),
    })
}

/// The FHIR search parameters of `request` (PDS FHIR SPEC §5.1). `gender` goes back through
/// the vocabulary the request was read with, so PDS is asked for the gender the caller named.
fn pds_search_params(r: &SearchRequest, vocabulary: &Vocabulary) -> Vec<(String, String)> {
    let mut p = Vec::new();
    if let Some(f) = &r.family {
        p.push(("family".to_string(), f.clone()));
    }
    if let Some(g) = &r.given {
        p.push(("given".to_string(), g.clone()));
    }
    if let Some(g) = r.gender {
        p.push((
            "gender".to_string(),
            vocabulary.gender_to_fhir(g).to_string(),
        ));
    }
    p.push((
        "birthdate".to_string(),
        format!("eq{}", r.birth_date.to_fhir()),
    ));
    if let Some(pc) = &r.postcode {
        p.push(("address-postalcode".to_string(), pc.clone()));
    }
    p
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
        let (fetched, nhs_number) = match &sample.ask {
            Ask::Read(n) => (pds.read(n).await, n.clone()),
            Ask::Search(params) => (pds.search(params).await, String::new()),
        };
        let b = classify(&fetched);
        let a = classify(&Fetched::answer(200, sample.smsp_body));
        let nhs_number = match (&a.patient, nhs_number.is_empty()) {
            (Some(p), true) => p["id"].as_str().unwrap_or_default().to_string(),
            _ => nhs_number,
        };
        if b.kind == OutcomeKind::Error {
            stats.pds_failures.fetch_add(1, Ordering::Relaxed);
            // The status class only: never the NHS number or the body.
            let class = b
                .status
                .map_or("none".to_string(), |s| format!("{}xx", s / 100));
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
                "nhs_number": nhs_number,
                "request": match &sample.ask { Ask::Read(_) => "read", Ask::Search(_) => "search" },
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
            let drawn = self.draw();
            let result = self.inner.read(request, caller).await;
            if let (true, Ok(answer)) = (drawn, &result) {
                self.enqueue(read_sample(answer));
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
            let asked = self.draw().then(|| request.clone());
            let result = self.inner.search(request, caller).await;
            if let (Some(asked), Ok(answer)) = (&asked, &result) {
                let vocabulary = &self.inner.tables().vocabulary;
                self.enqueue(search_sample(asked, answer, vocabulary));
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

    fn tables(&self) -> &Tables {
        self.inner.tables()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Gender;

    fn search(q: &str) -> SearchRequest {
        crate::fhir::search::parse_str(q).unwrap()
    }

    fn answer(status: u16, numbers: &[&str]) -> Answer {
        let mut a = Answer::json(status, &serde_json::json!({"resourceType": "Bundle"})).unwrap();
        a.nhs_numbers = numbers.iter().map(|n| n.to_string()).collect();
        a
    }

    #[test]
    fn a_search_is_asked_again_with_the_same_parameters() {
        let r = search("family=FAIRWEATHER&given=OLIVER&gender=male&birthdate=1980-01-15&address-postalcode=LS11%205PZ");
        let Some(Sample {
            ask: Ask::Search(params),
            ..
        }) = search_sample(&r, &answer(200, &["9990001006"]), Vocabulary::embedded())
        else {
            panic!("sampled as a search");
        };
        let expected: Vec<(String, String)> = [
            ("family", "FAIRWEATHER"),
            ("given", "OLIVER"),
            ("gender", "male"),
            ("birthdate", "eq1980-01-15"),
            ("address-postalcode", "LS11 5PZ"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(params, expected);
    }

    #[test]
    fn only_answers_naming_one_patient_are_sampled() {
        let v = Vocabulary::embedded();
        let r = search("family=TWINNING&birthdate=1990-05-05");
        assert!(
            search_sample(&r, &answer(200, &[]), v).is_none(),
            "too many / none"
        );
        assert!(search_sample(&r, &answer(404, &["9990001006"]), v).is_none());
        let ids =
            search("family=FAIRWEATHER&gender=male&birthdate=1980-01-15&_elements=identifier");
        assert!(search_sample(&ids, &answer(200, &["9990001006"]), v).is_none());
        // An NHS-number search without the record behind it cannot be compared as a read.
        let by_number = search("identifier=9990001006&birthdate=1980-01-15&family=FAIRWEATHER");
        assert!(search_sample(&by_number, &answer(200, &["9990001006"]), v).is_none());
        assert!(read_sample(&answer(200, &["9990001006"])).is_some());
        assert!(read_sample(&answer(404, &[])).is_none());
    }

    #[test]
    fn pds_is_asked_for_the_gender_the_caller_named_under_an_overriding_vocabulary() {
        // A site table that swaps the two codes for neither male nor female (SMSP SPEC §0.3).
        let text = crate::mapping::vocabulary::EMBEDDED_VOCABULARY
            .replace(
                "other = \"9\"\nunknown = \"0\"",
                "other = \"0\"\nunknown = \"9\"",
            )
            .replace("\"0\" = \"unknown\"", "\"0\" = \"other\"")
            .replace("\"9\" = \"other\"", "\"9\" = \"unknown\"");
        let swapped = Vocabulary::parse(&text, "test vocabulary").unwrap();
        assert_eq!(swapped.gender_from_fhir("other"), Some(Gender::NotKnown));
        assert_eq!(swapped.gender_to_fhir(Gender::NotKnown), "other");
        let pairs = crate::fhir::query_pairs("family=KEMPTON&gender=other&birthdate=2001-09-19");
        let r = crate::fhir::search::parse_with(&pairs, &swapped).unwrap();
        let Some(Sample {
            ask: Ask::Search(params),
            ..
        }) = search_sample(&r, &answer(200, &["9990001189"]), &swapped)
        else {
            panic!("sampled as a search");
        };
        // With the embedded table this would come back as `unknown`.
        assert!(
            params.contains(&("gender".to_string(), "other".to_string())),
            "{params:?}"
        );
    }
}
