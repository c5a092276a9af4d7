//! The compare report (issue 6): per case the outcome pair and an RFC 6902 JSON Patch from A to
//! B; per field the counts of each class and the agreement rate; a summary. Written as
//! `report.json` (`json`) and a self-contained `report.html` (`html`).

pub mod html;
pub mod json;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

use super::diff::{CaseResult, FieldClass, FieldDiff};
use super::outcome::{OutcomeKind, SideOutcome};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub generated_at: String,
    pub tool_version: String,
    /// Side A: `bridge at URL` or `in-process …`.
    pub smsp_source: String,
    /// Side B.
    pub pds_base_url: String,
    /// NHS numbers are masked (`999***1006`) unless `--show-identifiers`.
    pub identifiers_masked: bool,
    pub summary: Summary,
    /// Every field seen, by name.
    pub fields: Vec<FieldStats>,
    pub cases: Vec<CaseReport>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    pub cases: usize,
    pub same_outcome: usize,
    pub different_outcome: usize,
    /// A side failed (transport, 5xx, refused request): nothing compared.
    pub errors: usize,
    /// `found/not-found` (A/B) → cases.
    pub outcome_pairs: BTreeMap<String, usize>,
    /// All fields of all cases both sides found.
    pub fields: ClassCounts,
    /// equal / (equal + different + only_smsp + only_pds); absent when nothing was compared.
    pub agreement: Option<f64>,
    pub pds: PdsCounts,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PdsCounts {
    pub requests: u64,
    /// 429 answers (retried after `Retry-After`).
    pub throttled: u64,
    pub retries: u64,
    pub token_requests: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassCounts {
    pub equal: usize,
    pub different: usize,
    pub only_smsp: usize,
    pub only_pds: usize,
    pub not_comparable: usize,
}

impl ClassCounts {
    pub fn add(&mut self, class: FieldClass) {
        match class {
            FieldClass::Equal => self.equal += 1,
            FieldClass::Different => self.different += 1,
            FieldClass::OnlySmsp => self.only_smsp += 1,
            FieldClass::OnlyPds => self.only_pds += 1,
            FieldClass::NotComparable => self.not_comparable += 1,
        }
    }

    pub fn get(&self, class: FieldClass) -> usize {
        match class {
            FieldClass::Equal => self.equal,
            FieldClass::Different => self.different,
            FieldClass::OnlySmsp => self.only_smsp,
            FieldClass::OnlyPds => self.only_pds,
            FieldClass::NotComparable => self.not_comparable,
        }
    }

    pub fn compared(&self) -> usize {
        self.equal + self.different + self.only_smsp + self.only_pds
    }

    /// Rounded to 4 decimals; `None` when nothing was compared.
    pub fn agreement(&self) -> Option<f64> {
        let n = self.compared();
        (n > 0).then(|| ((self.equal as f64 / n as f64) * 10_000.0).round() / 10_000.0)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FieldStats {
    pub field: String,
    #[serde(flatten)]
    pub counts: ClassCounts,
    pub agreement: Option<f64>,
    /// For not-comparable fields: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SideReport {
    pub outcome: OutcomeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl From<&SideOutcome> for SideReport {
    fn from(s: &SideOutcome) -> Self {
        Self {
            outcome: s.kind,
            status: s.status,
            code: s.code.clone(),
            detail: s.detail.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseReport {
    pub id: String,
    /// `read` or `search`.
    pub kind: String,
    pub request: String,
    pub smsp: SideReport,
    pub pds: SideReport,
    /// `same`, `different` or `error`.
    pub outcome: CaseResult,
    /// `found/not-found`: A's outcome / B's.
    pub pair: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldDiff>,
    /// RFC 6902 from A's comparable view to B's (present when both found the same patient).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<Value>,
}

impl Report {
    /// Summary and per-field statistics from the cases.
    pub fn build(
        smsp_source: String,
        pds_base_url: String,
        cases: Vec<CaseReport>,
        pds: PdsCounts,
    ) -> Self {
        let mut summary = Summary {
            cases: cases.len(),
            pds,
            ..Summary::default()
        };
        let mut fields: BTreeMap<String, FieldStats> = BTreeMap::new();
        for c in &cases {
            match c.outcome {
                CaseResult::Same => summary.same_outcome += 1,
                CaseResult::Different => summary.different_outcome += 1,
                CaseResult::Error => summary.errors += 1,
            }
            *summary.outcome_pairs.entry(c.pair.clone()).or_default() += 1;
            for f in &c.fields {
                summary.fields.add(f.class);
                let stats = fields.entry(f.field.clone()).or_insert_with(|| FieldStats {
                    field: f.field.clone(),
                    counts: ClassCounts::default(),
                    agreement: None,
                    reason: None,
                });
                stats.counts.add(f.class);
                if stats.reason.is_none() {
                    stats.reason = f.reason.clone();
                }
            }
        }
        summary.agreement = summary.fields.agreement();
        let fields = fields
            .into_values()
            .map(|mut s| {
                s.agreement = s.counts.agreement();
                s
            })
            .collect();
        Self {
            generated_at: chrono::Utc::now()
                .format("%Y-%m-%dT%H:%M:%S+00:00")
                .to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            smsp_source,
            pds_base_url,
            identifiers_masked: false,
            summary,
            fields,
            cases,
        }
    }

    /// Masks NHS numbers in every string of the report (`mask`), unless identifiers are to be
    /// shown.
    pub fn masked(self) -> anyhow::Result<Self> {
        let mut v = serde_json::to_value(&self)?;
        super::mask::mask_value(&mut v);
        let mut r: Report = serde_json::from_value(v)?;
        r.identifiers_masked = true;
        Ok(r)
    }
}
