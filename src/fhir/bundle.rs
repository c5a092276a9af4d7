//! The searchset Bundle as PDS returns it (PDS FHIR SPEC §5.2): `resourceType`, `type`,
//! `timestamp`, `total`, `entry[{fullUrl, search{score}, resource}]`. No `id`, `meta`, `link`
//! or `search.mode`; **no `entry` key at all** when nothing matched.

use serde::{Deserialize, Serialize, Serializer};

use super::patient::Patient;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    #[serde(rename = "resourceType")]
    pub resource_type: super::datatypes::BundleType,
    #[serde(rename = "type")]
    pub type_: String,
    /// R4 `instant`, `YYYY-MM-DDTHH:MM:SS+00:00` as PDS writes it.
    pub timestamp: String,
    pub total: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<BundleEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    pub full_url: String,
    pub search: EntrySearch,
    pub resource: Patient,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntrySearch {
    /// 0.0–1.0. Written as an integer when whole: PDS sends `"score": 1`, not `1.0`.
    #[serde(serialize_with = "score_json")]
    pub score: f64,
}

fn score_json<S: Serializer>(score: &f64, s: S) -> Result<S::Ok, S::Error> {
    if score.fract() == 0.0 && (0.0..=1.0).contains(score) {
        s.serialize_u64(*score as u64)
    } else {
        s.serialize_f64(*score)
    }
}

/// PDS's timestamp form: UTC with an explicit `+00:00` (SPEC §5.2 example).
pub fn pds_timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// `<base>/Patient/<id>`: PDS builds `fullUrl` from its environment's base URL (SPEC §5.2);
/// the bridge uses its own public base.
pub fn patient_full_url(base_url: &str, id: &str) -> String {
    format!("{}/Patient/{id}", base_url.trim_end_matches('/'))
}

/// A searchset Bundle: every entry has `search.score` 1 (SMSP matches exactly and returns
/// only unique matches, SMSP SPEC §0.5) and `total` equals the number of entries.
pub fn searchset(
    entries: Vec<(String, Patient)>,
    timestamp: chrono::DateTime<chrono::Utc>,
) -> Bundle {
    let entry: Vec<BundleEntry> = entries
        .into_iter()
        .map(|(full_url, resource)| BundleEntry {
            full_url,
            search: EntrySearch { score: 1.0 },
            resource,
        })
        .collect();
    Bundle {
        resource_type: Default::default(),
        type_: "searchset".into(),
        timestamp: pds_timestamp(timestamp),
        total: entry.len() as u32,
        entry,
    }
}

/// A searchset with a count and no entries, for `_summary=count` (FHIR R4 search §3.1.1.5.4).
pub fn count_only(total: u32, timestamp: chrono::DateTime<chrono::Utc>) -> Bundle {
    Bundle {
        resource_type: Default::default(),
        type_: "searchset".into(),
        timestamp: pds_timestamp(timestamp),
        total,
        entry: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn t() -> chrono::DateTime<chrono::Utc> {
        chrono::Utc
            .with_ymd_and_hms(2019, 12, 25, 12, 0, 0)
            .unwrap()
    }

    #[test]
    fn empty_searchset_has_no_entry_key() {
        // PDS FHIR SPEC §5.2: {"resourceType":"Bundle","timestamp":"…","total":0,"type":"searchset"}.
        let b = searchset(vec![], t());
        assert_eq!(
            serde_json::to_string(&b).unwrap(),
            r#"{"resourceType":"Bundle","type":"searchset","timestamp":"2019-12-25T12:00:00+00:00","total":0}"#
        );
    }

    #[test]
    fn one_entry_with_integer_score() {
        let p = Patient {
            id: "9000000009".into(),
            ..Patient::default()
        };
        let url = "https://api.service.nhs.uk/personal-demographics/FHIR/R4/Patient/9000000009";
        let b = searchset(vec![(url.into(), p)], t());
        let v = serde_json::to_value(&b).unwrap();
        assert_eq!(
            v,
            json!({"resourceType": "Bundle", "type": "searchset", "timestamp": "2019-12-25T12:00:00+00:00",
                "total": 1, "entry": [{"fullUrl": url, "search": {"score": 1},
                "resource": {"resourceType": "Patient", "id": "9000000009"}}]})
        );
        assert!(serde_json::to_string(&b).unwrap().contains(r#""score":1}"#));
        let back: Bundle = serde_json::from_value(v).unwrap();
        assert_eq!(back.total, 1);
        assert_eq!(back.entry[0].search.score, 1.0);
    }

    #[test]
    fn fractional_scores_stay_fractional() {
        let v: Bundle = serde_json::from_value(json!({"resourceType":"Bundle","type":"searchset",
            "timestamp":"2019-12-25T12:00:00+00:00","total":1,"entry":[{"fullUrl":"u","search":{"score":0.8343},
            "resource":{"resourceType":"Patient","id":"9000000017"}}]}))
        .unwrap();
        assert!(serde_json::to_string(&v).unwrap().contains("0.8343"));
        let c = count_only(1, t());
        assert!(c.entry.is_empty());
        assert!(crate::fhir::format::is_instant(&c.timestamp));
    }
}
