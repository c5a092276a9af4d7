//! Turns one side's Patient JSON into a comparable view (issue 6): fields the rules call not
//! comparable are set aside with their reason, list elements are named by their keys and put in
//! key order (so A and B line up whatever order each side sent), and the named normalisations
//! are applied to the leaves. Works on raw JSON, not the typed model, so PDS fields the model
//! does not know are still seen.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

use super::rules::Rules;

/// A named normalisation (`mappings/compare.toml` `[[normalise]] rules`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalisation {
    /// Upper case (SMSP data is upper case; PDS mixes cases).
    Case,
    /// Trimmed, inner runs of white space as one space.
    Whitespace,
    /// UK postcode: upper case, spaces removed, one space before the inward code (`LS115PZ` →
    /// `LS11 5PZ`); PDS itself ignores postcode spacing in search (PDS FHIR SPEC §5.1).
    Postcode,
    /// Telephone numbers: digits only, `+44` as a leading `0`. Values that are not phone-shaped
    /// (an e-mail address) are left alone.
    Phone,
    /// E-mail addresses compared in lower case. Values without `@` are left alone.
    Email,
}

impl Normalisation {
    pub const ALL: [Normalisation; 5] = [
        Normalisation::Case,
        Normalisation::Whitespace,
        Normalisation::Postcode,
        Normalisation::Phone,
        Normalisation::Email,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Normalisation::Case => "case",
            Normalisation::Whitespace => "whitespace",
            Normalisation::Postcode => "postcode",
            Normalisation::Phone => "phone",
            Normalisation::Email => "email",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.name() == name)
    }

    pub fn apply(self, s: &str) -> String {
        match self {
            Normalisation::Case => s.to_uppercase(),
            Normalisation::Whitespace => s.split_whitespace().collect::<Vec<_>>().join(" "),
            Normalisation::Postcode => {
                let compact: String = s
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
                    .to_uppercase();
                let n = compact.chars().count();
                if (5..=7).contains(&n) && compact.is_ascii() {
                    format!("{} {}", &compact[..n - 3], &compact[n - 3..])
                } else {
                    compact
                }
            }
            Normalisation::Phone => {
                let phone_shaped = !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
                if !phone_shaped {
                    return s.to_string();
                }
                let digits: String = s
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect();
                match digits.strip_prefix("+44") {
                    Some(rest) => format!("0{rest}"),
                    None => digits,
                }
            }
            Normalisation::Email => {
                if s.contains('@') {
                    s.to_lowercase()
                } else {
                    s.to_string()
                }
            }
        }
    }
}

/// One leaf field of one side.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// The rule path (`address[].postalCode`).
    pub rule_path: String,
    pub raw: Value,
    pub normalised: Value,
    pub rules: Vec<Normalisation>,
}

impl Leaf {
    /// The leaf's normalisations that change its raw value on their own.
    pub fn changed_by(&self) -> Vec<Normalisation> {
        self.rules
            .iter()
            .copied()
            .filter(|n| normalise_value(&self.raw, &[*n]) != self.raw)
            .collect()
    }
}

/// One side's Patient, ready to compare.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// The Patient without not-comparable or ignored fields, lists in key order, values as sent.
    pub raw: Value,
    /// The same with normalisations applied.
    pub normalised: Value,
    /// Field name (`address[home].postalCode`) → leaf.
    pub leaves: BTreeMap<String, Leaf>,
    /// Field name → why it cannot be compared.
    pub not_comparable: BTreeMap<String, String>,
    /// JSON Pointer of each keyed list in the views → its elements' names, in view order (the
    /// patch pairs elements by these names, as the field table does).
    pub lists: BTreeMap<String, Vec<String>>,
}

impl View {
    pub fn of(patient: &Value, rules: &Rules) -> Self {
        let mut view = View::default();
        let (raw, normalised) = match patient {
            Value::Object(o) => {
                let (r, n) = view.object(o, "", "", "", &[], rules);
                (Value::Object(r), Value::Object(n))
            }
            other => (other.clone(), other.clone()),
        };
        view.raw = raw;
        view.normalised = normalised;
        view
    }

    fn object(
        &mut self,
        obj: &Map<String, Value>,
        rule_path: &str,
        field: &str,
        ptr: &str,
        keys: &[String],
        rules: &Rules,
    ) -> (Map<String, Value>, Map<String, Value>) {
        let (mut raw, mut norm) = (Map::new(), Map::new());
        for (k, v) in obj {
            let rp = join(rule_path, k);
            let f = join(field, k);
            if rules.ignored(&rp) {
                continue;
            }
            if let Some(reason) = rules.not_comparable(&rp) {
                self.not_comparable.insert(f, reason.to_string());
                continue;
            }
            // A pairing key is part of the element's name (`name[usual]`), not a field of its own.
            let is_key = keys.iter().any(|key| key == k);
            let p = format!("{ptr}/{}", k.replace('~', "~0").replace('/', "~1"));
            let (r, n) = self.value(v, &rp, &f, &p, is_key, rules);
            // A container left empty (all its fields set aside) is no difference.
            if is_empty_container(&r) {
                continue;
            }
            raw.insert(k.clone(), r);
            norm.insert(k.clone(), n);
        }
        (raw, norm)
    }

    fn value(
        &mut self,
        v: &Value,
        rule_path: &str,
        field: &str,
        ptr: &str,
        is_key: bool,
        rules: &Rules,
    ) -> (Value, Value) {
        match v {
            Value::Object(o) if !rules.atomic(rule_path) => {
                let (r, n) = self.object(o, rule_path, field, ptr, &[], rules);
                (Value::Object(r), Value::Object(n))
            }
            Value::Array(items) if items.iter().any(Value::is_object) => {
                self.list(items, rule_path, field, ptr, rules)
            }
            _ if is_key => (v.clone(), v.clone()),
            _ => self.leaf(v, rule_path, field, rules),
        }
    }

    fn list(
        &mut self,
        items: &[Value],
        rule_path: &str,
        field: &str,
        ptr: &str,
        rules: &Rules,
    ) -> (Value, Value) {
        let element_path = format!("{rule_path}[]");
        let keys: Vec<String> = rules.keys(rule_path).map(<[_]>::to_vec).unwrap_or_default();
        let mut named: Vec<(String, &Value)> = Vec::new();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            let base = if keys.is_empty() {
                format!("#{}", i + 1)
            } else {
                element_name(item, &keys)
            };
            let count = seen.entry(base.clone()).or_insert(0);
            *count += 1;
            let name = if *count > 1 {
                format!("{base}#{count}")
            } else {
                base
            };
            named.push((name, item));
        }
        // Key order, so both sides line up; positional lists keep their order.
        if !keys.is_empty() {
            named.sort_by(|a, b| a.0.cmp(&b.0));
        }
        let (mut raw, mut norm, mut names) = (Vec::new(), Vec::new(), Vec::new());
        for (name, item) in named {
            let f = format!("{field}[{name}]");
            if let Some(reason) = rules.not_comparable(&element_path) {
                self.not_comparable.insert(f, reason.to_string());
                continue;
            }
            let p = format!("{ptr}/{}", raw.len());
            let (r, n) = match item {
                Value::Object(o) if !rules.atomic(&element_path) => {
                    let (r, n) = self.object(o, &element_path, &f, &p, &keys, rules);
                    (Value::Object(r), Value::Object(n))
                }
                _ => self.leaf(item, &element_path, &f, rules),
            };
            raw.push(r);
            norm.push(n);
            names.push(name);
        }
        if !keys.is_empty() {
            self.lists.insert(ptr.to_string(), names);
        }
        (Value::Array(raw), Value::Array(norm))
    }

    fn leaf(&mut self, v: &Value, rule_path: &str, field: &str, rules: &Rules) -> (Value, Value) {
        let applied = rules.normalisations(rule_path);
        let normalised = normalise_value(v, &applied);
        self.leaves.insert(
            field.to_string(),
            Leaf {
                rule_path: rule_path.to_string(),
                raw: v.clone(),
                normalised: normalised.clone(),
                rules: applied,
            },
        );
        (v.clone(), normalised)
    }
}

fn is_empty_container(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// `use` → `home`; `system` + `use` → `phone/mobile`; a URL contributes its last segment. Only
/// code-like characters survive (names become metric labels; they must never carry values
/// that could be patient data, and keys are codes, systems and URLs).
fn element_name(item: &Value, keys: &[String]) -> String {
    keys.iter()
        .map(|k| match item.get(k).and_then(Value::as_str) {
            Some(s) => {
                let last = s.trim_end_matches('/').rsplit('/').next().unwrap_or(s);
                let clean: String = last
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    .take(64)
                    .collect();
                if clean.is_empty() {
                    "-".to_string()
                } else {
                    clean
                }
            }
            None => "-".to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn normalise_value(v: &Value, rules: &[Normalisation]) -> Value {
    match v {
        Value::String(s) => Value::String(rules.iter().fold(s.clone(), |acc, n| n.apply(&acc))),
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| normalise_value(i, rules)).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn named_normalisations() {
        assert_eq!(Normalisation::Postcode.apply("ls115pz"), "LS11 5PZ");
        assert_eq!(Normalisation::Postcode.apply(" LS11  5PZ "), "LS11 5PZ");
        assert_eq!(Normalisation::Postcode.apply("LS1 9ZZ"), "LS1 9ZZ");
        assert_eq!(
            Normalisation::Whitespace.apply("  10  Canal\tWharf "),
            "10 Canal Wharf"
        );
        assert_eq!(Normalisation::Case.apply("Ångström"), "ÅNGSTRÖM");
        assert_eq!(Normalisation::Phone.apply("07700 900001"), "07700900001");
        assert_eq!(Normalisation::Phone.apply("+44 7700 900001"), "07700900001");
        assert_eq!(Normalisation::Phone.apply("a@b.example"), "a@b.example");
        assert_eq!(
            Normalisation::Email.apply("Oliver@Example.com"),
            "oliver@example.com"
        );
        assert_eq!(Normalisation::Email.apply("01134960001"), "01134960001");
    }

    #[test]
    fn lists_pair_by_keys_and_not_comparable_fields_are_set_aside() {
        let rules = Rules::embedded().unwrap();
        let p = json!({"resourceType": "Patient", "id": "9990001006",
            "meta": {"versionId": "3"},
            "name": [{"id": "x1", "use": "usual", "family": "Fairweather", "given": ["Oliver"],
                "period": {"start": "2001-01-01"}}],
            "address": [{"use": "temp", "line": ["A"]}, {"use": "home", "line": [" flat  2 "], "postalCode": "ls115pz"}],
            "telecom": [{"system": "phone", "use": "home", "value": "0113 496 0001"}, {"system": "phone", "use": "home", "value": "2"}]});
        let v = View::of(&p, &rules);
        let fields: Vec<_> = v.leaves.keys().cloned().collect();
        assert_eq!(
            fields,
            [
                "address[home].line",
                "address[home].postalCode",
                "address[temp].line",
                "id",
                "name[usual].family",
                "name[usual].given",
                "telecom[phone/home#2].value",
                "telecom[phone/home].value"
            ]
        );
        assert_eq!(
            v.not_comparable.keys().cloned().collect::<Vec<_>>(),
            ["meta.versionId", "name[usual].id", "name[usual].period"]
        );
        assert_eq!(
            v.leaves["address[home].postalCode"].normalised,
            json!("LS11 5PZ")
        );
        assert_eq!(v.leaves["address[home].line"].normalised, json!(["FLAT 2"]));
        assert_eq!(v.leaves["name[usual].family"].raw, json!("Fairweather"));
        // Key order: home before temp, whatever order the side sent.
        assert_eq!(v.raw["address"][0]["use"], "home");
        assert!(v.raw.get("resourceType").is_none());
        assert!(v.raw["name"][0].get("id").is_none());
    }

    #[test]
    fn element_names_never_carry_values() {
        let item = json!({"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NominatedPharmacy"});
        assert_eq!(
            element_name(&item, &["url".into()]),
            "Extension-UKCore-NominatedPharmacy"
        );
        assert_eq!(
            element_name(&json!({"use": "a b<c>"}), &["use".into()]),
            "abc"
        );
        assert_eq!(
            element_name(&json!({}), &["system".into(), "use".into()]),
            "-/-"
        );
    }
}
