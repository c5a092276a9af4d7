//! Compare input (issue 6): a CSV or JSON Lines file of cases — an NHS number with a date of
//! birth (a read), or a set of search parameters (a search). Columns / keys (docs/COMPARE.md):
//! `id`, `nhs_number`, `birthdate`, `family`, `given`, `gender`, `postcode`, `query`.
//!
//! Problems are reported by line number and column, never quoting values (they are patient data).

use anyhow::bail;
use std::path::Path;

use crate::domain::{NhsNumber, PartialDate};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The `id` column, or `line N`.
    pub id: String,
    pub line: usize,
    pub request: CaseRequest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseRequest {
    /// `GET /Patient/{nhs_number}` (the bridge also gets `X-SMSP-Birth-Date`).
    Read {
        nhs_number: String,
        birth_date: String,
    },
    /// `GET /Patient?…` with these parameters, in this order, on both sides.
    Search { params: Vec<(String, String)> },
}

impl Case {
    pub fn kind(&self) -> &'static str {
        match self.request {
            CaseRequest::Read { .. } => "read",
            CaseRequest::Search { .. } => "search",
        }
    }

    /// The request in words for reports: `GET /Patient/N` or the query string.
    pub fn describe(&self) -> String {
        match &self.request {
            CaseRequest::Read {
                nhs_number,
                birth_date,
            } => format!("GET /Patient/{nhs_number} (birth date {birth_date})"),
            CaseRequest::Search { params } => format!("GET /Patient?{}", query_string(params)),
        }
    }
}

pub fn query_string(params: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

/// Columns in the order search parameters are sent.
const SEARCH_COLUMNS: [(&str, &str); 4] = [
    ("family", "family"),
    ("given", "given"),
    ("gender", "gender"),
    ("postcode", "address-postalcode"),
];

const COLUMNS: [&str; 8] = [
    "id",
    "nhs_number",
    "birthdate",
    "family",
    "given",
    "gender",
    "postcode",
    "query",
];

/// Column names are matched without case, with `-` as `_`, and a few aliases.
fn canonical_column(name: &str) -> Option<&'static str> {
    let n = name.trim().to_ascii_lowercase().replace('-', "_");
    let n = match n.as_str() {
        "nhs_no" | "nhsnumber" | "nhs" => "nhs_number",
        "birth_date" | "dob" | "date_of_birth" => "birthdate",
        "address_postalcode" | "address_postcode" | "post_code" => "postcode",
        other => other,
    };
    COLUMNS.iter().copied().find(|c| *c == n)
}

pub fn load(path: &Path) -> anyhow::Result<Vec<Case>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read cases file {}: {e}", path.display()))?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let jsonl = match ext.as_str() {
        "jsonl" | "ndjson" | "json" => true,
        "csv" => false,
        _ => text.trim_start().starts_with('{'),
    };
    let cases = if jsonl {
        parse_jsonl(&text)?
    } else {
        parse_csv(&text)?
    };
    if cases.is_empty() {
        bail!("the cases file {} holds no cases", path.display());
    }
    Ok(cases)
}

pub fn parse_jsonl(text: &str) -> anyhow::Result<Vec<Case>> {
    let mut cases = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| anyhow::anyhow!("line {n}: not valid JSON (column {})", e.column()))?;
        let Some(obj) = value.as_object() else {
            bail!("line {n}: not a JSON object");
        };
        let mut cells = Vec::new();
        for (k, v) in obj {
            let Some(col) = canonical_column(k) else {
                bail!(
                    "line {n}: unknown key '{k}' (known: {})",
                    COLUMNS.join(", ")
                );
            };
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                serde_json::Value::Number(x) if col == "id" => x.to_string(),
                _ => bail!("line {n}: '{k}' must be a string"),
            };
            cells.push((col, v));
        }
        cases.push(case_from(n, &cells)?);
    }
    Ok(cases)
}

pub fn parse_csv(text: &str) -> anyhow::Result<Vec<Case>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = crate::csv_rows::csv_rows(text)?.into_iter();
    let Some((_, header)) = rows.next() else {
        return Ok(Vec::new());
    };
    let mut columns = Vec::new();
    for h in &header {
        match canonical_column(h) {
            Some(c) => columns.push(c),
            None => bail!(
                "line 1: unknown column '{}' (known: {})",
                h.trim(),
                COLUMNS.join(", ")
            ),
        }
    }
    let mut cases = Vec::new();
    for (line, row) in rows {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if row.len() > columns.len() {
            bail!("line {line}: more cells than columns");
        }
        let cells: Vec<(&str, String)> = columns
            .iter()
            .zip(row.iter())
            .map(|(c, v)| (*c, v.clone()))
            .collect();
        cases.push(case_from(line, &cells)?);
    }
    Ok(cases)
}

fn case_from(line: usize, cells: &[(&str, String)]) -> anyhow::Result<Case> {
    let get = |col: &str| {
        cells
            .iter()
            .find(|(c, _)| *c == col)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let id = get("id").unwrap_or_else(|| format!("line {line}"));
    let birth_date = get("birthdate");
    if let Some(dob) = &birth_date {
        // A search may carry a prefix (`eq1980-01-15`); the date itself must be FHIR-shaped.
        let date = dob.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        if PartialDate::parse_fhir(date).is_err() {
            bail!("line {line}: 'birthdate' is not a date (YYYY-MM-DD)");
        }
    }
    let search: Vec<(String, String)> = SEARCH_COLUMNS
        .iter()
        .filter_map(|(col, param)| get(col).map(|v| (param.to_string(), v)))
        .collect();
    let query = get("query");
    if let Some(nhs) = get("nhs_number") {
        if !search.is_empty() || query.is_some() {
            bail!("line {line}: a read (nhs_number) takes no search columns; use query=identifier=… for an NHS-number search");
        }
        let nhs: String = nhs.chars().filter(|c| !c.is_whitespace()).collect();
        if NhsNumber::parse(&nhs).is_err() {
            bail!("line {line}: 'nhs_number' is not a valid NHS number (10 digits, Modulus 11)");
        }
        let Some(birth_date) = birth_date else {
            bail!("line {line}: a read needs 'birthdate' (SMSP needs a date of birth for every request)");
        };
        return Ok(Case {
            id,
            line,
            request: CaseRequest::Read {
                nhs_number: nhs,
                birth_date,
            },
        });
    }
    let mut params: Vec<(String, String)> = Vec::new();
    if let Some(q) = &query {
        params.extend(crate::fhir::query_pairs(q.trim_start_matches('?')));
    }
    params.extend(search);
    if let Some(dob) = birth_date {
        params.push(("birthdate".into(), dob));
    }
    if params.is_empty() {
        bail!("line {line}: neither an NHS number nor search parameters");
    }
    Ok(Case {
        id,
        line,
        request: CaseRequest::Search { params },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_reads_and_searches() {
        let cases = parse_csv(
            "id,NHS-Number,birthdate,family,given,gender,postcode\n\
             full,9990001006,1980-01-15,,,,\n\
             \"twins, search\",,1990-05-05,TWINNING,,female,\n\
             ,,eq1980-01-15,FAIRWEATHER,OLIVER,,LS11 5PZ\n",
        )
        .unwrap();
        assert_eq!(cases.len(), 3);
        assert_eq!(
            cases[0].request,
            CaseRequest::Read {
                nhs_number: "9990001006".into(),
                birth_date: "1980-01-15".into()
            }
        );
        assert_eq!(cases[1].id, "twins, search");
        assert_eq!(
            cases[1].describe(),
            "GET /Patient?family=TWINNING&gender=female&birthdate=1990-05-05"
        );
        assert_eq!(cases[2].id, "line 4");
        assert_eq!(
            cases[2].describe(),
            "GET /Patient?family=FAIRWEATHER&given=OLIVER&address-postalcode=LS11+5PZ&birthdate=eq1980-01-15"
        );
    }

    #[test]
    fn jsonl_with_a_query() {
        let cases = parse_jsonl(
            "{\"id\": \"r\", \"nhs_number\": \"9990001006\", \"birthdate\": \"1980-01-15\"}\n\n\
             {\"query\": \"family=SMITH&_exact-match=true\", \"birthdate\": \"2010-10-22\"}\n",
        )
        .unwrap();
        assert_eq!(cases[0].kind(), "read");
        assert_eq!(
            cases[1].request,
            CaseRequest::Search {
                params: vec![
                    ("family".into(), "SMITH".into()),
                    ("_exact-match".into(), "true".into()),
                    ("birthdate".into(), "2010-10-22".into())
                ]
            }
        );
        assert_eq!(cases[1].line, 3);
    }

    #[test]
    fn problems_name_the_line_but_never_the_value() {
        let err = |t: &str| parse_csv(t).unwrap_err().to_string();
        let e = err("nhs_number,birthdate\n9990001007,1980-01-15\n");
        assert!(e.contains("line 2") && !e.contains("9990001007"), "{e}");
        let e = err("nhs_number\n9990001006\n");
        assert!(e.contains("needs 'birthdate'"), "{e}");
        let e = err("nhs_number,colour\n");
        assert!(e.contains("unknown column 'colour'"), "{e}");
        let e = err("birthdate\nnot-a-date\n");
        assert!(e.contains("not a date") && !e.contains("not-a-date"), "{e}");
    }
}
