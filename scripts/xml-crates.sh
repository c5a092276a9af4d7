#!/usr/bin/env bash
# Is there a maintained XML crate that would bring the mapping under issue 9's 10 µs? quick-xml's
# own event loop takes most of it (docs/PERFORMANCE.md, "Not met"). This builds a scratch
# program outside the project (none of these crates becomes a dependency), with the bridge's
# release profile (fat LTO, one codegen unit), and runs each candidate over the all-fields
# getPatientDetailsResponse fixture:
#   quick-xml  Reader events + attributes: the floor under the bridge's own parser
#   xmlparser  tokens (attributes included); leaves end-tag matching and namespaces to the caller
#   xmltok     a 2026 fork of xmlparser with smaller tokens; the same division of work
#   roxmltree  a whole read-only tree with namespaces resolved (what smsp::parse::reader builds)
#   simdxml    a structural index for XPath queries
# It prints the median time per document (9 samples of N/10 documents, 3 repeats) and, for
# each crate, which of a set of malformed documents it rejects: SMSP answers are untrusted
# input, so a parser that accepts them would leave the checks to hand-written code.
#
# Usage: scripts/xml-crates.sh [N]   (N documents per repeat; 20000 by default)
# Needs: cargo and the crates.io registry.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-20000}"
source scripts/common.sh
FIXTURE="$PWD/tests/fixtures/smsp/getpatientdetails-response-allfields.xml"
mkdir -p "$WORK/xml-crates/src"
cat >"$WORK/xml-crates/Cargo.toml" <<'EOF'
[package]
name = "xml-crates"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
quick-xml = "=0.42.0"
xmlparser = "=0.13.6"
xmltok = "=0.14.0"
roxmltree = "=0.20.0"
simdxml = "=0.2.1"

[profile.release]
lto = "fat"
codegen-units = 1
EOF
cat >"$WORK/xml-crates/src/main.rs" <<'EOF'
use std::hint::black_box;
use std::time::Instant;

/// Each candidate: reads the whole document, returns a count of what it saw (so the work
/// cannot be optimised away), or an error for a document it refuses.
type Candidate = fn(&str) -> Result<usize, String>;

fn quick_xml(text: &str) -> Result<usize, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut seen = 0;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Eof => return Ok(seen),
            Event::Start(e) | Event::Empty(e) => {
                for a in e.attributes() {
                    seen += a.map_err(|e| e.to_string())?.value.len();
                }
            }
            _ => seen += 1,
        }
    }
}

fn xmlparser(text: &str) -> Result<usize, String> {
    let mut seen = 0;
    for t in xmlparser::Tokenizer::from(text) {
        match t.map_err(|e| e.to_string())? {
            xmlparser::Token::Attribute { value, .. } => seen += value.len(),
            _ => seen += 1,
        }
    }
    Ok(seen)
}

fn xmltok(text: &str) -> Result<usize, String> {
    let mut seen = 0;
    for t in xmltok::Tokenizer::from(text) {
        match t.map_err(|e| e.to_string())? {
            xmltok::Token::Attribute { .. } => seen += 2,
            _ => seen += 1,
        }
    }
    Ok(seen)
}

fn roxmltree(text: &str) -> Result<usize, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| e.to_string())?;
    Ok(doc.descendants().count())
}

fn simdxml(text: &str) -> Result<usize, String> {
    let index = simdxml::parse(text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(index.tag_count())
}

const CANDIDATES: [(&str, Candidate); 5] = [
    ("quick-xml 0.42 (events + attributes)", quick_xml),
    ("xmlparser 0.13 (tokens)", xmlparser),
    ("xmltok 0.14 (tokens)", xmltok),
    ("roxmltree 0.20 (tree + namespaces)", roxmltree),
    ("simdxml 0.2 (structural index)", simdxml),
];

/// Not well-formed XML 1.0 / Namespaces in XML, each for one rule.
const MALFORMED: [(&str, &str); 8] = [
    ("end tag does not match", "<a><b></a></b>"),
    ("duplicate attribute", "<a x='1' x='2'/>"),
    ("undeclared prefix", "<p:a/>"),
    ("undefined entity", "<a>&bogus;</a>"),
    ("'<' in an attribute value", "<a x='<'/>"),
    ("two document elements", "<a/><b/>"),
    ("unclosed element", "<a><b></b>"),
    ("unquoted attribute value", "<a x=1/>"),
];

fn main() {
    let mut args = std::env::args().skip(1);
    let body = std::fs::read_to_string(args.next().expect("fixture path")).expect("fixture");
    let n: usize = args.next().map_or(20_000, |s| s.parse().expect("N"));
    println!("document: {} bytes; {n} documents per repeat", body.len());
    println!("| Crate | median µs per document (3 repeats) | malformed documents rejected |");
    println!("|---|---|---|");
    for (name, parse) in CANDIDATES {
        parse(&body).expect("the fixture is well-formed");
        let mut medians = Vec::new();
        for _ in 0..3 {
            let mut samples: Vec<f64> = (0..9)
                .map(|_| {
                    let start = Instant::now();
                    for _ in 0..n / 10 {
                        let _ = black_box(parse(black_box(&body)));
                    }
                    start.elapsed().as_secs_f64() * 1e6 / (n / 10) as f64
                })
                .collect();
            samples.sort_by(|a, b| a.total_cmp(b));
            medians.push(format!("{:.2}", samples[4]));
        }
        let accepted: Vec<&str> = MALFORMED
            .iter()
            .filter(|(_, doc)| parse(doc).is_ok())
            .map(|(rule, _)| *rule)
            .collect();
        let rejected = format!(
            "{}/{}{}",
            MALFORMED.len() - accepted.len(),
            MALFORMED.len(),
            if accepted.is_empty() { String::new() } else { format!(" (accepts: {})", accepted.join("; ")) }
        );
        println!("| {name} | {} | {rejected} |", medians.join(", "));
    }
}
EOF
echo "==> building the comparison (outside the project)" >&2
cargo build --release --quiet --manifest-path "$WORK/xml-crates/Cargo.toml" --target-dir "$WORK/target"
"$WORK/target/release/xml-crates" "$FIXTURE" "$N"
