//! Fault-injection knobs: how the simulator misbehaves on `POST /smsp/pds`.
//! Set by CLI flags at start, changed at run time through `/_admin/knobs` or
//! [`crate::sim::SimState::set_knobs`]. Every knob off (the default) means a faithful SMSP.
//!
//! Order of application for one request (docs/SIMULATOR.md, "Knobs"):
//! 1. `latency_ms` + a uniform random extra in `0..=latency_jitter_ms`;
//! 2. `drop_connection` → 3. `http_503` → 4. `failure_rate` (a random draw);
//! 5. the request is answered normally, then the first of `malformed_xml`, `truncated_xml`,
//!    `oversize_bytes` that is on rewrites the body; `wrong_content_type` changes the header.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Knobs {
    /// Fixed delay added before answering, in milliseconds.
    pub latency_ms: u64,
    /// A random extra delay of up to this many milliseconds.
    pub latency_jitter_ms: u64,
    /// Probability (0..=1) that a request fails as `failure_mode` says.
    pub failure_rate: f64,
    /// What a `failure_rate` hit answers.
    pub failure_mode: FailureMode,
    /// Send the status line, headers and a few body bytes, then abort the connection.
    pub drop_connection: bool,
    /// Answer HTTP 503 with a plain-text body (an overloaded proxy in front of the SMSP).
    pub http_503: bool,
    /// Answer 200 `text/xml` whose body is not well-formed XML.
    pub malformed_xml: bool,
    /// Answer 200 `text/xml` with only the first half of the real envelope.
    pub truncated_xml: bool,
    /// When non-zero, pad the real envelope with an XML comment to at least this many bytes,
    /// streamed without `Content-Length`.
    pub oversize_bytes: u64,
    /// Send the real body with `Content-Type: text/html` instead of `text/xml`.
    pub wrong_content_type: bool,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            latency_jitter_ms: 0,
            failure_rate: 0.0,
            failure_mode: FailureMode::Itk2200,
            drop_connection: false,
            http_503: false,
            malformed_xml: false,
            truncated_xml: false,
            oversize_bytes: 0,
            wrong_content_type: false,
        }
    }
}

/// The answer to a request picked by `failure_rate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum FailureMode {
    /// An ITK SOAP fault, ErrorCode 2200 "Processing Error, not retryable", HTTP 500 — what an
    /// ITK-conformant SMSP answers when its back end fails (SMSP SPEC §2.6).
    #[default]
    #[serde(rename = "itk-2200")]
    Itk2200,
    /// An ITK SOAP fault, ErrorCode 2100 "Processing Error, retryable", HTTP 500.
    #[serde(rename = "itk-2100")]
    Itk2100,
    /// A bare HTTP 500 with a plain-text body and no SOAP fault.
    #[serde(rename = "http-500")]
    Http500,
}

impl std::str::FromStr for FailureMode {
    type Err = String;
    /// The same spellings as the JSON: `itk-2200`, `itk-2100`, `http-500`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.to_string()))
            .map_err(|_| format!("unknown failure mode {s:?}: use itk-2200, itk-2100 or http-500"))
    }
}

impl Knobs {
    /// Rejects values that cannot be applied (a rate outside 0..=1).
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.failure_rate) || self.failure_rate.is_nan() {
            return Err("failure_rate must be between 0 and 1".into());
        }
        Ok(())
    }

    /// Whether any knob changes behaviour (used only to log that fault injection is active).
    pub fn any_active(&self) -> bool {
        self != &Knobs::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_json_fills_defaults_and_unknown_fields_are_rejected() {
        let k: Knobs =
            serde_json::from_str(r#"{"latency_ms": 50, "failure_mode": "http-500"}"#).unwrap();
        assert_eq!(k.latency_ms, 50);
        assert_eq!(k.failure_mode, FailureMode::Http500);
        assert!(!k.drop_connection);
        assert!(serde_json::from_str::<Knobs>(r#"{"latency": 5}"#).is_err());
        let json = serde_json::to_value(Knobs::default()).unwrap();
        assert_eq!(json["failure_mode"], "itk-2200");
        assert_eq!("http-500".parse::<FailureMode>(), Ok(FailureMode::Http500));
        assert!("500".parse::<FailureMode>().is_err());
    }

    #[test]
    fn failure_rate_must_be_a_probability() {
        let mut k = Knobs::default();
        assert!(k.validate().is_ok());
        k.failure_rate = 1.5;
        assert!(k.validate().is_err());
        k.failure_rate = f64::NAN;
        assert!(k.validate().is_err());
    }
}
