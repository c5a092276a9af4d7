//! RFC 6902 JSON Patch from A's comparable view to B's (issue 6). Lists of keyed elements
//! (`address` by `use`, `telecom` by `system`/`use` …) are paired by their names, as the field
//! table pairs them, so a missing billing address is one `remove`, not a cascade of `replace`s
//! along shifted indices (a positional diff such as `json_patch::diff` gives the latter). Lists
//! of values (`given`, `line`) are replaced whole: they are compared whole.
//!
//! Operations apply in order (RFC 6902 §3): per keyed list, removals from the highest index
//! down, then changes inside the paired elements, then additions at B's indices in ascending
//! order — each index is valid at the moment its operation applies.

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Compares `a` with `b`; added and replaced values are taken from `b_values` at B's pointer
/// (the same document as `b` before normalisation, so values appear as B sent them).
/// `names_a`/`names_b`: the keyed lists of each side (`View::lists`), by JSON Pointer.
pub fn diff(
    a: &Value,
    b: &Value,
    b_values: &Value,
    names_a: &BTreeMap<String, Vec<String>>,
    names_b: &BTreeMap<String, Vec<String>>,
) -> Vec<Value> {
    let mut ops = Vec::new();
    Differ {
        names_a,
        names_b,
        b_values,
        ops: &mut ops,
    }
    .value(a, b, "", "", "");
    ops
}

struct Differ<'a> {
    names_a: &'a BTreeMap<String, Vec<String>>,
    names_b: &'a BTreeMap<String, Vec<String>>,
    b_values: &'a Value,
    ops: &'a mut Vec<Value>,
}

impl Differ<'_> {
    /// `pa`/`pb`: the value's pointer in each view (for list names); `out`: where the operation
    /// applies at that moment.
    fn value(&mut self, a: &Value, b: &Value, pa: &str, pb: &str, out: &str) {
        if a == b {
            return;
        }
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => self.object(x, y, pa, pb, out),
            (Value::Array(x), Value::Array(y)) => {
                match (self.names_a.get(pa), self.names_b.get(pb)) {
                    (Some(na), Some(nb)) if na.len() == x.len() && nb.len() == y.len() => {
                        self.keyed(x, y, na, nb, (pa, pb), out)
                    }
                    _ => self.replace(out, pb, b),
                }
            }
            _ => self.replace(out, pb, b),
        }
    }

    fn object(
        &mut self,
        x: &Map<String, Value>,
        y: &Map<String, Value>,
        pa: &str,
        pb: &str,
        out: &str,
    ) {
        for (k, vx) in x {
            let key = escape(k);
            match y.get(k) {
                Some(vy) => self.value(
                    vx,
                    vy,
                    &format!("{pa}/{key}"),
                    &format!("{pb}/{key}"),
                    &format!("{out}/{key}"),
                ),
                None => self
                    .ops
                    .push(json!({"op": "remove", "path": format!("{out}/{key}")})),
            }
        }
        for (k, vy) in y {
            if !x.contains_key(k) {
                let key = escape(k);
                let value = self.b_value(&format!("{pb}/{key}"), vy);
                self.ops
                    .push(json!({"op": "add", "path": format!("{out}/{key}"), "value": value}));
            }
        }
    }

    fn keyed(
        &mut self,
        x: &[Value],
        y: &[Value],
        na: &[String],
        nb: &[String],
        (pa, pb): (&str, &str),
        out: &str,
    ) {
        // Removals, highest index first, so lower indices stay valid.
        for (i, name) in na.iter().enumerate().rev() {
            if !nb.contains(name) {
                self.ops
                    .push(json!({"op": "remove", "path": format!("{out}/{i}")}));
            }
        }
        // Changes inside the paired elements, at their index among the elements A keeps.
        let kept: Vec<(usize, &String)> = na
            .iter()
            .enumerate()
            .filter(|(_, n)| nb.contains(n))
            .collect();
        for (now, (i, name)) in kept.iter().enumerate() {
            if let Some(j) = nb.iter().position(|n| n == *name) {
                self.value(
                    &x[*i],
                    &y[j],
                    &format!("{pa}/{i}"),
                    &format!("{pb}/{j}"),
                    &format!("{out}/{now}"),
                );
            }
        }
        // Additions at B's indices, ascending: everything before each is already in place (both
        // views list elements in name order).
        for (j, name) in nb.iter().enumerate() {
            if !na.contains(name) {
                let value = self.b_value(&format!("{pb}/{j}"), &y[j]);
                self.ops
                    .push(json!({"op": "add", "path": format!("{out}/{j}"), "value": value}));
            }
        }
    }

    fn replace(&mut self, out: &str, pb: &str, b: &Value) {
        let value = self.b_value(pb, b);
        self.ops
            .push(json!({"op": "replace", "path": out, "value": value}));
    }

    fn b_value(&self, pb: &str, fallback: &Value) -> Value {
        self.b_values.pointer(pb).unwrap_or(fallback).clone()
    }
}

/// RFC 6901 escaping of a key.
fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        list.iter()
            .map(|(p, n)| (p.to_string(), n.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn keyed_lists_pair_by_name_and_the_patch_applies() {
        let a = json!({"address": [{"use": "billing", "line": ["PO BOX 17"]}, {"use": "home", "line": ["1 A ST"]}, {"use": "temp", "line": ["X"]}],
            "gender": "male", "x~/y": 1});
        let b = json!({"address": [{"use": "home", "line": ["1 A STREET"]}, {"use": "temp", "line": ["X"]}, {"use": "work", "line": ["W"]}],
            "birthDate": "1980-01-15", "x~/y": 2});
        let na = names(&[("/address", &["billing", "home", "temp"])]);
        let nb = names(&[("/address", &["home", "temp", "work"])]);
        let ops = diff(&a, &b, &b, &na, &nb);
        assert_eq!(
            Value::Array(ops.clone()),
            json!([
                {"op": "remove", "path": "/address/0"},
                {"op": "replace", "path": "/address/0/line", "value": ["1 A STREET"]},
                {"op": "add", "path": "/address/2", "value": {"use": "work", "line": ["W"]}},
                {"op": "remove", "path": "/gender"},
                {"op": "replace", "path": "/x~0~1y", "value": 2},
                {"op": "add", "path": "/birthDate", "value": "1980-01-15"}
            ])
        );
        let patch: json_patch::Patch = serde_json::from_value(Value::Array(ops)).unwrap();
        let mut doc = a.clone();
        json_patch::patch(&mut doc, &patch).unwrap();
        assert_eq!(doc, b);
    }

    #[test]
    fn positional_lists_and_values_are_replaced_whole() {
        let a = json!({"given": ["OLIVER", "JAMES"], "n": [{"v": 1}]});
        let b = json!({"given": ["OLIVER", "JAMIE"], "n": [{"v": 2}]});
        let ops = diff(&a, &b, &b, &BTreeMap::new(), &BTreeMap::new());
        assert_eq!(
            Value::Array(ops),
            json!([
                {"op": "replace", "path": "/given", "value": ["OLIVER", "JAMIE"]},
                {"op": "replace", "path": "/n", "value": [{"v": 2}]}
            ])
        );
        assert!(diff(&a, &a, &a, &BTreeMap::new(), &BTreeMap::new()).is_empty());
    }
}
