//! Compares the two sides of one case (issue 6): the case outcome (same: both found / both not
//! found / both too many; different; or error when a side could not answer), each field's class,
//! and an RFC 6902 JSON Patch from A (the bridge, SMSP-derived) to B (PDS).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

use super::normalise::View;
use super::outcome::{OutcomeKind, SideOutcome};
use super::rules::Rules;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldClass {
    Equal,
    Different,
    OnlySmsp,
    OnlyPds,
    NotComparable,
}

impl FieldClass {
    pub const ALL: [FieldClass; 5] = [
        FieldClass::Equal,
        FieldClass::Different,
        FieldClass::OnlySmsp,
        FieldClass::OnlyPds,
        FieldClass::NotComparable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldClass::Equal => "equal",
            FieldClass::Different => "different",
            FieldClass::OnlySmsp => "only_smsp",
            FieldClass::OnlyPds => "only_pds",
            FieldClass::NotComparable => "not_comparable",
        }
    }

    /// Counted in agreement rates (not-comparable fields are not).
    pub fn compared(self) -> bool {
        self != FieldClass::NotComparable
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseResult {
    /// Both found (the same patient), both not found, or both too many.
    Same,
    Different,
    /// A side failed (transport, 5xx, a refused request): nothing to compare.
    Error,
}

impl CaseResult {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseResult::Same => "same",
            CaseResult::Different => "different",
            CaseResult::Error => "error",
        }
    }
}

/// One field of one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDiff {
    pub field: String,
    pub class: FieldClass,
    /// A's value as the bridge sent it (absent when equal, to keep reports small).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smsp: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pds: Option<Value>,
    /// When the values as sent differ but compare equal: the normalisations that changed either.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub normalised_by: Vec<String>,
    /// Why a not-comparable field cannot be compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Comparison {
    pub result: CaseResult,
    pub note: Option<String>,
    pub fields: Vec<FieldDiff>,
    /// RFC 6902, A → B, over the comparable views (see `patch`).
    pub patch: Option<Value>,
}

pub fn compare(a: &SideOutcome, b: &SideOutcome, rules: &Rules) -> Comparison {
    use OutcomeKind::*;
    let mut c = Comparison {
        result: CaseResult::Different,
        note: None,
        fields: Vec::new(),
        patch: None,
    };
    match (a.kind, b.kind) {
        (Error, _) | (_, Error) => c.result = CaseResult::Error,
        (Found, Found) => {
            let (pa, pb) = (
                a.patient.as_ref().unwrap_or(&Value::Null),
                b.patient.as_ref().unwrap_or(&Value::Null),
            );
            if pa["id"] != pb["id"] {
                // Two different patients: comparing their fields would only add noise.
                c.note = Some("both found, but not the same patient (ids differ)".into());
                return c;
            }
            let (va, vb) = (View::of(pa, rules), View::of(pb, rules));
            c.result = CaseResult::Same;
            c.fields = fields(&va, &vb);
            c.patch = Some(patch(&va, &vb));
        }
        (x, y) if x == y => c.result = CaseResult::Same,
        _ => {}
    }
    c
}

/// Every field either side has, classified.
pub fn fields(a: &View, b: &View) -> Vec<FieldDiff> {
    let names: BTreeSet<&String> = a
        .leaves
        .keys()
        .chain(b.leaves.keys())
        .chain(a.not_comparable.keys())
        .chain(b.not_comparable.keys())
        .collect();
    names
        .into_iter()
        .map(|name| {
            let reason = a
                .not_comparable
                .get(name)
                .or_else(|| b.not_comparable.get(name));
            let mut d = FieldDiff {
                field: name.clone(),
                class: FieldClass::NotComparable,
                smsp: None,
                pds: None,
                normalised_by: Vec::new(),
                reason: None,
            };
            if let Some(reason) = reason {
                d.reason = Some(reason.clone());
                return d;
            }
            match (a.leaves.get(name), b.leaves.get(name)) {
                (Some(x), Some(y)) if x.normalised == y.normalised => {
                    d.class = FieldClass::Equal;
                    if x.raw != y.raw {
                        // The rules that did something to either side, in the rules' order.
                        let (cx, cy) = (x.changed_by(), y.changed_by());
                        d.normalised_by = x
                            .rules
                            .iter()
                            .filter(|n| cx.contains(n) || cy.contains(n))
                            .map(|n| n.name().to_string())
                            .collect();
                    }
                }
                (Some(x), Some(y)) => {
                    d.class = FieldClass::Different;
                    d.smsp = Some(x.raw.clone());
                    d.pds = Some(y.raw.clone());
                }
                (Some(x), None) => {
                    d.class = FieldClass::OnlySmsp;
                    d.smsp = Some(x.raw.clone());
                }
                (None, Some(y)) => {
                    d.class = FieldClass::OnlyPds;
                    d.pds = Some(y.raw.clone());
                }
                (None, None) => {}
            }
            d
        })
        .collect()
}

/// The JSON Patch from A to B: computed between the **normalised** comparable views (so it holds
/// exactly the differences the field table counts, and formatting differences the rules make
/// equal produce no operation), with each added or replaced value then taken from B **as PDS
/// sent it**. Applied to A's comparable view it yields B's, up to the named normalisations.
pub fn patch(a: &View, b: &View) -> Value {
    Value::Array(super::patch::diff(
        &a.normalised,
        &b.normalised,
        &b.raw,
        &a.lists,
        &b.lists,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::outcome::{classify, Fetched};
    use serde_json::json;

    fn side(v: Value) -> SideOutcome {
        classify(&Fetched::answer(200, serde_json::to_vec(&v).unwrap()))
    }

    #[test]
    fn classifies_fields_and_builds_the_patch_from_pds_values() {
        let rules = Rules::embedded().unwrap();
        let a = side(json!({"resourceType": "Patient", "id": "9990001006",
            "name": [{"use": "usual", "family": "FAIRWEATHER", "given": ["OLIVER", "JAMES"]}],
            "address": [{"use": "home", "postalCode": "LS11 5PZ"}, {"use": "billing", "postalCode": "LS1 9ZZ"}]}));
        let b = side(
            json!({"resourceType": "Patient", "id": "9990001006", "meta": {"versionId": "2"},
            "name": [{"use": "usual", "family": "Fairweather", "given": ["Oliver", "Jamie"]}],
            "address": [{"use": "home", "postalCode": "LS115PZ"}],
            "telecom": [{"system": "phone", "use": "work", "value": "01134960999"}]}),
        );
        let c = compare(&a, &b, &rules);
        assert_eq!(c.result, CaseResult::Same);
        let class = |f: &str| c.fields.iter().find(|d| d.field == f).unwrap().class;
        assert_eq!(class("name[usual].family"), FieldClass::Equal);
        assert_eq!(class("name[usual].given"), FieldClass::Different);
        assert_eq!(class("address[home].postalCode"), FieldClass::Equal);
        assert_eq!(class("address[billing].postalCode"), FieldClass::OnlySmsp);
        assert_eq!(class("telecom[phone/work].value"), FieldClass::OnlyPds);
        assert_eq!(class("meta.versionId"), FieldClass::NotComparable);
        let postcode = c
            .fields
            .iter()
            .find(|d| d.field == "address[home].postalCode")
            .unwrap();
        assert_eq!(postcode.normalised_by, ["postcode"]);
        let patch = c.patch.unwrap();
        assert_eq!(
            patch,
            json!([
                {"op": "remove", "path": "/address/0"},
                {"op": "replace", "path": "/name/0/given", "value": ["Oliver", "Jamie"]},
                {"op": "add", "path": "/telecom", "value": [{"system": "phone", "use": "work", "value": "01134960999"}]}
            ])
        );
    }

    #[test]
    fn outcomes_pair_up() {
        let rules = Rules::embedded().unwrap();
        let nf = classify(&Fetched::answer(
            200,
            r#"{"resourceType":"Bundle","type":"searchset","total":0}"#,
        ));
        let found = side(json!({"resourceType": "Patient", "id": "1"}));
        let other = side(json!({"resourceType": "Patient", "id": "2"}));
        assert_eq!(compare(&nf, &nf, &rules).result, CaseResult::Same);
        assert_eq!(compare(&found, &nf, &rules).result, CaseResult::Different);
        let c = compare(&found, &other, &rules);
        assert_eq!(c.result, CaseResult::Different);
        assert!(c.fields.is_empty());
        let err = classify(&Fetched::failed("timeout"));
        assert_eq!(compare(&found, &err, &rules).result, CaseResult::Error);
    }
}
