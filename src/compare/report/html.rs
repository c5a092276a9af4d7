//! `report.html` (issue 6): one self-contained page — inline CSS, an inline SVG bar chart of
//! agreement per field, and a drill-down per case in `<details>`. No scripts, fonts, images or
//! links to anything outside the file (reports travel by e-mail and into CI artefacts). Every
//! value is HTML-escaped: PDS and SMSP data is untrusted input.

use std::fmt::Write as _;
use std::path::Path;

use super::{ClassCounts, FieldStats, Report};
use crate::compare::diff::{CaseResult, FieldClass};

pub fn write(report: &Report, path: &Path) -> anyhow::Result<()> {
    std::fs::write(path, render(report))
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn pct(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_string(), |r| format!("{:.1}%", r * 100.0))
}

const CSS: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2733;background:#f4f6f8}
header{background:#005eb8;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;opacity:.9;font-size:13px}
main{padding:20px 28px;max-width:1180px}
section{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:14px 18px;margin-bottom:18px}
h2{font-size:17px;margin:0 0 10px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{flex:1 1 130px;border:1px solid #d8dde3;border-radius:6px;padding:10px 12px;background:#fafbfc}
.card b{display:block;font-size:24px}
.card span{font-size:12px;color:#4c6272}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e3e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f3f5}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
pre{background:#f6f8fa;border:1px solid #e3e7eb;padding:8px;overflow:auto;max-height:320px}
details{border:1px solid #e3e7eb;border-radius:5px;margin:6px 0;padding:4px 10px;background:#fff}
summary{cursor:pointer;padding:3px 0}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;margin-right:6px}
.same{background:#d8f0df;color:#14532d}.different{background:#fde2d8;color:#7c2d12}.error{background:#e5e7eb;color:#374151}
.equal{color:#14532d}.cls-different{color:#b42318}.only_smsp{color:#1d4ed8}.only_pds{color:#7e22ce}.not_comparable{color:#6b7280}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px}
.muted{color:#6b7280}
"#;

/// Colours of the classes in the chart.
fn colour(class: FieldClass) -> &'static str {
    match class {
        FieldClass::Equal => "#2e8540",
        FieldClass::Different => "#d5281b",
        FieldClass::OnlySmsp => "#2563eb",
        FieldClass::OnlyPds => "#9333ea",
        FieldClass::NotComparable => "#9ca3af",
    }
}

fn label(class: FieldClass) -> &'static str {
    match class {
        FieldClass::Equal => "equal",
        FieldClass::Different => "different",
        FieldClass::OnlySmsp => "only SMSP",
        FieldClass::OnlyPds => "only PDS",
        FieldClass::NotComparable => "not comparable",
    }
}

const COMPARED: [FieldClass; 4] = [
    FieldClass::Equal,
    FieldClass::Different,
    FieldClass::OnlySmsp,
    FieldClass::OnlyPds,
];

pub fn render(r: &Report) -> String {
    let mut h = String::new();
    let s = &r.summary;
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>smsp-bridge compare report</title><style>{CSS}</style></head><body>\
         <header><h1>SMSP-derived answers against PDS FHIR</h1>\
         <p>A: {} &nbsp;·&nbsp; B: PDS FHIR at {} &nbsp;·&nbsp; {} &nbsp;·&nbsp; smsp-bridge {}{}</p></header><main>",
        esc(&r.smsp_source),
        esc(&r.pds_base_url),
        esc(&r.generated_at),
        esc(&r.tool_version),
        if r.identifiers_masked {
            " &nbsp;·&nbsp; NHS numbers masked"
        } else {
            " &nbsp;·&nbsp; <b>NHS numbers shown</b>"
        }
    );

    // Summary.
    h.push_str("<section><h2>Summary</h2><div class=\"cards\">");
    let cards = [
        (s.cases.to_string(), "cases"),
        (s.same_outcome.to_string(), "same outcome"),
        (s.different_outcome.to_string(), "different outcome"),
        (s.errors.to_string(), "errors (not compared)"),
        (pct(s.agreement), "agreement on compared fields"),
        (
            format!("{}/{}", s.pds.throttled, s.pds.requests),
            "PDS requests throttled (429)",
        ),
    ];
    for (value, what) in cards {
        let _ = write!(
            h,
            "<div class=\"card\"><b>{}</b><span>{}</span></div>",
            esc(&value),
            esc(what)
        );
    }
    h.push_str("</div><h2 style=\"margin-top:14px\">Outcomes (SMSP / PDS)</h2><table style=\"width:auto\"><tr><th>SMSP / PDS</th><th class=\"n\">cases</th></tr>");
    for (pair, n) in &s.outcome_pairs {
        let _ = write!(h, "<tr><td>{}</td><td class=\"n\">{n}</td></tr>", esc(pair));
    }
    let _ = write!(
        h,
        "</table><p class=\"muted\">Fields: {} equal, {} different, {} only from SMSP, {} only from PDS, {} not comparable.</p></section>",
        s.fields.equal, s.fields.different, s.fields.only_smsp, s.fields.only_pds, s.fields.not_comparable
    );

    // Chart.
    let mut compared: Vec<&FieldStats> =
        r.fields.iter().filter(|f| f.agreement.is_some()).collect();
    compared.sort_by(|a, b| {
        a.agreement
            .partial_cmp(&b.agreement)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.field.cmp(&b.field))
    });
    h.push_str("<section><h2>Agreement per field</h2><div class=\"legend\">");
    for c in COMPARED {
        let _ = write!(
            h,
            "<span><i style=\"background:{}\"></i>{}</span>",
            colour(c),
            label(c)
        );
    }
    h.push_str("</div>");
    h.push_str(&chart(&compared));
    h.push_str("</section>");

    // Field table.
    h.push_str("<section><h2>Fields</h2><table><tr><th>field</th><th class=\"n\">equal</th><th class=\"n\">different</th><th class=\"n\">only SMSP</th><th class=\"n\">only PDS</th><th class=\"n\">not comparable</th><th class=\"n\">agreement</th></tr>");
    for f in &r.fields {
        let _ = write!(h, "<tr><td><code>{}</code></td>", esc(&f.field));
        for c in FieldClass::ALL {
            let _ = write!(h, "<td class=\"n\">{}</td>", f.counts.get(c));
        }
        let _ = write!(h, "<td class=\"n\">{}</td></tr>", pct(f.agreement));
    }
    h.push_str("</table></section>");

    // Not comparable, with reasons.
    let nc: Vec<&FieldStats> = r.fields.iter().filter(|f| f.reason.is_some()).collect();
    if !nc.is_empty() {
        h.push_str("<section><h2>Not comparable, and why</h2><table><tr><th>field</th><th>cases</th><th>reason</th></tr>");
        for f in nc {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&f.field),
                f.counts.not_comparable,
                esc(f.reason.as_deref().unwrap_or(""))
            );
        }
        h.push_str("</table></section>");
    }

    // Cases.
    h.push_str("<section><h2>Cases</h2>");
    for c in &r.cases {
        let cls = match c.outcome {
            CaseResult::Same => "same",
            CaseResult::Different => "different",
            CaseResult::Error => "error",
        };
        let mut counts = ClassCounts::default();
        c.fields.iter().for_each(|f| counts.add(f.class));
        let _ = write!(
            h,
            "<details><summary><span class=\"badge {cls}\">{}</span><b>{}</b> &nbsp;<span class=\"muted\">{} · SMSP {} / PDS {}{}</span></summary>",
            esc(c.outcome.as_str()),
            esc(&c.id),
            esc(&c.kind),
            esc(c.smsp.outcome.as_str()),
            esc(c.pds.outcome.as_str()),
            if c.fields.is_empty() {
                String::new()
            } else {
                format!(
                    " · {} equal, {} different, {} only SMSP, {} only PDS",
                    counts.equal, counts.different, counts.only_smsp, counts.only_pds
                )
            }
        );
        let _ = write!(h, "<p><code>{}</code></p><table><tr><th></th><th>outcome</th><th>status</th><th>code</th><th>detail</th></tr>", esc(&c.request));
        for (side, rep) in [("SMSP (bridge)", &c.smsp), ("PDS", &c.pds)] {
            let _ = write!(
                h,
                "<tr><td>{side}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(rep.outcome.as_str()),
                rep.status.map(|s| s.to_string()).unwrap_or_default(),
                esc(rep.code.as_deref().unwrap_or("")),
                esc(rep.detail.as_deref().unwrap_or(""))
            );
        }
        h.push_str("</table>");
        if let Some(note) = &c.note {
            let _ = write!(h, "<p>{}</p>", esc(note));
        }
        if !c.fields.is_empty() {
            // Differences first, then agreements; not-comparable fields as one line (their
            // reasons are in the section above).
            let order = |class: FieldClass| match class {
                FieldClass::Different => 0,
                FieldClass::OnlySmsp => 1,
                FieldClass::OnlyPds => 2,
                FieldClass::Equal => 3,
                FieldClass::NotComparable => 4,
            };
            let mut shown: Vec<_> = c.fields.iter().filter(|f| f.class.compared()).collect();
            shown.sort_by_key(|f| (order(f.class), f.field.as_str()));
            h.push_str("<table><tr><th>field</th><th>class</th><th>SMSP</th><th>PDS</th><th>note</th></tr>");
            for f in shown {
                let class_css = match f.class {
                    FieldClass::Different => "cls-different",
                    other => other.as_str(),
                };
                let note = if f.normalised_by.is_empty() {
                    String::new()
                } else {
                    format!("equal after {}", f.normalised_by.join(", "))
                };
                let _ = write!(
                    h,
                    "<tr><td><code>{}</code></td><td class=\"{class_css}\">{}</td><td><code>{}</code></td><td><code>{}</code></td><td class=\"muted\">{}</td></tr>",
                    esc(&f.field),
                    label(f.class),
                    esc(&f.smsp.as_ref().map(|v| v.to_string()).unwrap_or_default()),
                    esc(&f.pds.as_ref().map(|v| v.to_string()).unwrap_or_default()),
                    esc(&note)
                );
            }
            h.push_str("</table>");
            let nc: Vec<String> = c
                .fields
                .iter()
                .filter(|f| !f.class.compared())
                .map(|f| format!("<code>{}</code>", esc(&f.field)))
                .collect();
            if !nc.is_empty() {
                let _ = write!(
                    h,
                    "<p class=\"muted\">Not comparable ({}): {}</p>",
                    nc.len(),
                    nc.join(", ")
                );
            }
        }
        if let Some(patch) = &c.patch {
            let text = serde_json::to_string_pretty(patch).unwrap_or_default();
            let _ = write!(
                h,
                "<p>JSON Patch (RFC 6902), SMSP → PDS:</p><pre>{}</pre>",
                esc(&text)
            );
        }
        h.push_str("</details>");
    }
    h.push_str("</section></main></body></html>\n");
    h
}

/// Horizontal stacked bars: each compared field's equal / different / only-SMSP / only-PDS
/// shares, worst agreement first, with the agreement rate at the end.
fn chart(fields: &[&FieldStats]) -> String {
    const LABEL_W: f64 = 380.0;
    const BAR_W: f64 = 560.0;
    const ROW_H: f64 = 22.0;
    let width = LABEL_W + BAR_W + 70.0;
    let height = ROW_H * fields.len().max(1) as f64 + 6.0;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Agreement per field\" font-family=\"system-ui,sans-serif\" font-size=\"12\">"
    );
    if fields.is_empty() {
        s.push_str("<text x=\"0\" y=\"16\" fill=\"#6b7280\">No field was compared (no case where both sides found the same patient).</text>");
    }
    for (i, f) in fields.iter().enumerate() {
        let y = i as f64 * ROW_H + 3.0;
        let total = f.counts.compared().max(1) as f64;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#1d2733\"><title>{}</title>{}</text>",
            LABEL_W - 8.0,
            y + 13.0,
            esc(&f.field),
            esc(&shorten(&f.field, 50))
        );
        let mut x = LABEL_W;
        for c in COMPARED {
            let n = f.counts.get(c);
            if n == 0 {
                continue;
            }
            let w = BAR_W * n as f64 / total;
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{}\" fill=\"{}\"><title>{}: {n}</title></rect>",
                ROW_H - 6.0,
                colour(c),
                label(c)
            );
            x += w;
        }
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" fill=\"#1d2733\">{}</text>",
            LABEL_W + BAR_W + 6.0,
            y + 13.0,
            esc(&pct(f.agreement))
        );
    }
    s.push_str("</svg>");
    s
}

/// Long field names keep their start and end (`identifier[nhs-number].ext…VerificationStatus]`)
/// so they fit beside the bars; the full name is the label's tooltip.
fn shorten(s: &str, max: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= max {
        return s.to_string();
    }
    let head = max * 2 / 5;
    let tail = max - head - 1;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::diff::FieldDiff;
    use crate::compare::outcome::OutcomeKind;
    use crate::compare::report::{CaseReport, PdsCounts, SideReport};

    fn side(kind: OutcomeKind) -> SideReport {
        SideReport {
            outcome: kind,
            status: Some(200),
            code: None,
            detail: None,
        }
    }

    #[test]
    fn self_contained_and_escaped() {
        let case = CaseReport {
            id: "<script>alert(1)</script>".into(),
            kind: "read".into(),
            request: "GET /Patient/999***1006".into(),
            smsp: side(OutcomeKind::Found),
            pds: side(OutcomeKind::Found),
            outcome: CaseResult::Same,
            pair: "found/found".into(),
            note: None,
            fields: vec![FieldDiff {
                field: "name[usual].given".into(),
                class: FieldClass::Different,
                smsp: Some(serde_json::json!(["O'NEIL & <b>"])),
                pds: Some(serde_json::json!(["ONEIL"])),
                normalised_by: vec![],
                reason: None,
            }],
            patch: Some(
                serde_json::json!([{"op": "replace", "path": "/name/0/given/0", "value": "<i>"}]),
            ),
        };
        let r = Report::build(
            "in-process".into(),
            "https://pds.example".into(),
            vec![case],
            PdsCounts::default(),
        );
        let html = render(&r);
        assert!(!html.contains("<script"), "nothing executable");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("O&#39;NEIL &amp; &lt;b&gt;"));
        assert!(html.contains("&lt;i&gt;"));
        assert!(html.contains("<svg") && html.contains("<details>"));
        assert_eq!(shorten("abcdefghij", 10), "abcdefghij");
        assert_eq!(shorten("abcdefghijk", 10), "abcd…ghijk");
        // No external assets: the only URLs are the SVG namespace and the report's own text.
        for attr in ["src=", "href=", "@import", "url("] {
            assert!(!html.contains(attr), "{attr}");
        }
    }
}
