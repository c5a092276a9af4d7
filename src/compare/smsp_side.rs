//! Side A of a comparison (issue 6): the bridge's SMSP-derived answer, either from a running
//! bridge's URL or in-process through the same pipeline (`PatientService`: search parsing, the
//! core, the outcome table) the HTTP edge uses.

use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

use super::cases::{Case, CaseRequest};
use super::outcome::Fetched;
use crate::bridge::{ApiError, Caller, PatientService, ReadRequest};
use crate::domain::{NhsNumber, PartialDate};

pub trait SmspSide: Send + Sync {
    fn fetch<'a>(&'a self, case: &'a Case) -> BoxFuture<'a, Fetched>;
    /// For the report: `bridge at URL` or `in-process`.
    fn describe(&self) -> String;
}

/// A running bridge, over HTTP.
pub struct BridgeUrl {
    http: reqwest::Client,
    base: url::Url,
    headers: Vec<(String, String)>,
}

impl BridgeUrl {
    /// `headers`: extra headers for every request (`Authorization` for a bridge with security on).
    pub fn new(
        base_url: &str,
        headers: Vec<(String, String)>,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let mut base = url::Url::parse(base_url.trim_end_matches('/'))
            .map_err(|_| anyhow::anyhow!("--bridge-url is not a URL"))?;
        base.set_path(&format!("{}/", base.path().trim_end_matches('/')));
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the bridge HTTP client: {e}"))?;
        Ok(Self {
            http,
            base,
            headers,
        })
    }
}

impl SmspSide for BridgeUrl {
    fn fetch<'a>(&'a self, case: &'a Case) -> BoxFuture<'a, Fetched> {
        Box::pin(async move {
            let (url, birth_date) = match &case.request {
                CaseRequest::Read {
                    nhs_number,
                    birth_date,
                } => (
                    self.base.join(&format!("Patient/{nhs_number}")),
                    Some(birth_date.as_str()),
                ),
                CaseRequest::Search { params } => (
                    self.base.join("Patient").map(|mut u| {
                        u.query_pairs_mut().extend_pairs(params);
                        u
                    }),
                    None,
                ),
            };
            let Ok(url) = url else {
                return Fetched::failed("cannot build the bridge URL");
            };
            let mut req = self
                .http
                .get(url)
                .header("X-Request-ID", uuid::Uuid::new_v4().to_string());
            if let Some(dob) = birth_date {
                req = req.header("X-SMSP-Birth-Date", dob);
            }
            for (k, v) in &self.headers {
                req = req.header(k, v);
            }
            match req.send().await {
                Ok(res) => {
                    let status = res.status().as_u16();
                    match res.bytes().await {
                        Ok(body) => Fetched::answer(status, body),
                        Err(_) => Fetched::failed("bridge answer unreadable"),
                    }
                }
                Err(e) if e.is_timeout() => Fetched::failed("bridge unreachable (timeout)"),
                Err(_) => Fetched::failed("bridge unreachable"),
            }
        })
    }

    fn describe(&self) -> String {
        format!("bridge at {}", self.base.as_str().trim_end_matches('/'))
    }
}

/// The pipeline in this process: any `PatientService` (a `Bridge` over a live SMSP or the
/// simulator's in-process client).
pub struct InProcess {
    service: Arc<dyn PatientService>,
    caller: Caller,
    label: String,
}

impl InProcess {
    pub fn new(service: Arc<dyn PatientService>, label: impl Into<String>) -> Self {
        Self {
            service,
            caller: Caller {
                ods: None,
                user: "compare".into(),
                roles: std::sync::Arc::from([]),
            },
            label: label.into(),
        }
    }
}

impl SmspSide for InProcess {
    fn fetch<'a>(&'a self, case: &'a Case) -> BoxFuture<'a, Fetched> {
        Box::pin(async move {
            let result = match &case.request {
                CaseRequest::Read {
                    nhs_number,
                    birth_date,
                } => {
                    // Both were checked when the cases were loaded.
                    let (Ok(nhs_number), Ok(birth_date)) = (
                        NhsNumber::parse(nhs_number),
                        PartialDate::parse_fhir(birth_date),
                    ) else {
                        return Fetched::failed("invalid read case");
                    };
                    let request = ReadRequest {
                        nhs_number,
                        birth_date: Some(birth_date),
                    };
                    self.service.read(request, &self.caller).await
                }
                CaseRequest::Search { params } => {
                    // Read as the HTTP edge reads it: with the service's own vocabulary.
                    let vocabulary = &self.service.tables().vocabulary;
                    match crate::fhir::search::parse_with(params, vocabulary)
                        .map_err(ApiError::from)
                    {
                        Ok(request) => self.service.search(request, &self.caller).await,
                        Err(e) => Err(e),
                    }
                }
            };
            match result {
                Ok(answer) => Fetched::answer(answer.status, answer.body),
                Err(e) => match serde_json::to_vec(&e.outcome) {
                    Ok(body) => Fetched::answer(e.status, body),
                    Err(_) => Fetched::failed("error not serialisable"),
                },
            }
        })
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}
