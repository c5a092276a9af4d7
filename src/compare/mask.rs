//! NHS numbers in reports are masked unless `--show-identifiers` is given (issue 6): every run
//! of exactly ten digits in any string becomes `999***1006` (first three, last four). Runs of
//! other lengths (11-digit phone numbers, dates) are left alone; a ten-digit run that is not an
//! NHS number is masked too, which errs on the safe side.

use serde_json::Value;

/// `9990001006` → `999***1006`.
pub fn mask_number(n: &str) -> String {
    if n.len() == 10 && n.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}***{}", &n[..3], &n[6..])
    } else {
        n.to_string()
    }
}

/// Masks every run of exactly ten ASCII digits in `s`.
pub fn mask_text(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            // Digits are ASCII, so these byte offsets are char boundaries.
            out.push_str(&mask_number(&s[start..i]));
        } else {
            let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// Masks every string value (not object keys: those are field names) in place.
pub fn mask_value(v: &mut Value) {
    match v {
        Value::String(s) if s.bytes().any(|b| b.is_ascii_digit()) => *s = mask_text(s),
        Value::Array(items) => items.iter_mut().for_each(mask_value),
        Value::Object(map) => map.values_mut().for_each(mask_value),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_ten_digit_runs_only() {
        assert_eq!(mask_number("9990001006"), "999***1006");
        assert_eq!(mask_text("Patient/9990001006?x"), "Patient/999***1006?x");
        assert_eq!(
            mask_text("01134960001"),
            "01134960001",
            "11 digits: a phone number"
        );
        assert_eq!(mask_text("1980-01-15"), "1980-01-15");
        assert_eq!(mask_text("ÅNGSTRÖM 9990001006"), "ÅNGSTRÖM 999***1006");
        let mut v = json!({"9990001006": ["9990001006", {"id": "9990001014"}], "n": 9990001006u64});
        mask_value(&mut v);
        assert_eq!(
            v,
            json!({"9990001006": ["999***1006", {"id": "999***1014"}], "n": 9990001006u64})
        );
    }
}
