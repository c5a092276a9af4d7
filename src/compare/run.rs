//! Runs the cases (issue 6): for each, A from the bridge and B from PDS at the same time, then
//! the comparison. Cases run a few at a time; PDS's pace is kept by the PDS client itself.

use futures_util::stream::{self, StreamExt};

use super::cases::{Case, CaseRequest};
use super::diff;
use super::outcome::classify;
use super::pds_client::PdsClient;
use super::progress::Progress;
use super::report::CaseReport;
use super::rules::Rules;
use super::smsp_side::SmspSide;

pub struct Runner<'a> {
    pub smsp: &'a dyn SmspSide,
    pub pds: &'a PdsClient,
    pub rules: &'a Rules,
    /// Cases in flight at once.
    pub concurrency: usize,
}

impl Runner<'_> {
    pub async fn run(&self, cases: &[Case], progress: &Progress) -> Vec<CaseReport> {
        let reports = stream::iter(cases)
            .map(|case| async move {
                let report = self.one(case).await;
                progress.tick();
                report
            })
            .buffered(self.concurrency.max(1))
            .collect::<Vec<_>>()
            .await;
        progress.finish();
        reports
    }

    pub async fn one(&self, case: &Case) -> CaseReport {
        let pds = async {
            match &case.request {
                CaseRequest::Read { nhs_number, .. } => self.pds.read(nhs_number).await,
                CaseRequest::Search { params } => self.pds.search(params).await,
            }
        };
        let (a, b) = tokio::join!(self.smsp.fetch(case), pds);
        let (a, b) = (classify(&a), classify(&b));
        let c = diff::compare(&a, &b, self.rules);
        CaseReport {
            id: case.id.clone(),
            kind: case.kind().to_string(),
            request: case.describe(),
            smsp: (&a).into(),
            pds: (&b).into(),
            outcome: c.result,
            pair: format!("{}/{}", a.kind.as_str(), b.kind.as_str()),
            note: c.note,
            fields: c.fields,
            patch: c.patch,
        }
    }
}
