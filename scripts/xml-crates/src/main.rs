//! scripts/xml-crates.sh's comparison (issue 9; docs/PERFORMANCE-LOG.md, sessions 8 and 17):
//! each maintained XML crate reads the bridge's all-fields getPatientDetailsResponse fixture,
//! timed, and is given documents that each break one XML 1.0 or Namespaces rule. SMSP answers
//! are untrusted input: a crate that accepts them leaves those checks to hand-written code.

use std::hint::black_box;
use std::time::Instant;

/// Each candidate: reads the whole document, returns a count of what it saw (so the work
/// cannot be optimised away), or an error for a document it refuses.
type Candidate = fn(&str) -> Result<usize, String>;

/// The loop of `benches/support/floor.rs` (the benches' `quick_xml_events_floor`), returning
/// the refusal instead of panicking. Not shared with it: carrying the error out costs the floor
/// about 2 500 instructions a document (callgrind, session 18), and it is the floor.
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

fn rxml(text: &str) -> Result<usize, String> {
    use rxml::{Parse, WithOptions};
    let mut options = rxml::Options::default();
    // Comments are refused by default ("restricted XML"); SMSP answers may carry them.
    options.comments = rxml::parser::CommentMode::Discard;
    let mut parser = rxml::Parser::with_options(options);
    let mut input = text.as_bytes();
    let mut seen = 0;
    loop {
        match parser.parse(&mut input, true) {
            Ok(None) => return Ok(seen),
            Ok(Some(rxml::Event::StartElement(_, _, attrs))) => seen += attrs.len() + 1,
            Ok(Some(_)) => seen += 1,
            Err(e) => return Err(format!("{e:?}")),
        }
    }
}

fn xml(text: &str) -> Result<usize, String> {
    use xml::reader::{EventReader, XmlEvent};
    let mut seen = 0;
    for event in EventReader::new(text.as_bytes()) {
        match event.map_err(|e| e.to_string())? {
            XmlEvent::StartElement { attributes, .. } => seen += attributes.len() + 1,
            _ => seen += 1,
        }
    }
    Ok(seen)
}

const CANDIDATES: [(&str, Candidate); 7] = [
    ("quick-xml 0.42 (events + attributes)", quick_xml),
    ("xmlparser 0.13 (tokens)", xmlparser),
    ("xmltok 0.14 (tokens)", xmltok),
    ("roxmltree 0.20 (tree + namespaces)", roxmltree),
    ("simdxml 0.2 (structural index)", simdxml),
    ("rxml 0.14 (events, namespaces resolved)", rxml),
    ("xml 1.4 (events, namespaces resolved)", xml),
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
    let fixture = std::fs::read_to_string(args.next().expect("fixture path")).expect("fixture");
    let n: usize = args.next().map_or(20_000, |s| s.parse().expect("N"));
    // Timed on the fixture without its leading comment (the provenance note), which rxml
    // refuses: it reads a comment in the prolog, but not the line break after it.
    let body = without_leading_comment(&fixture);
    println!(
        "document: {} bytes ({} with its leading comment); {n} documents per repeat",
        body.len(),
        fixture.len()
    );
    println!("| Crate | median µs per document (3 repeats) | reads the fixture as is | malformed documents rejected |");
    println!("|---|---|---|---|");
    for (name, parse) in CANDIDATES {
        parse(&body).expect("the fixture is well-formed");
        let as_is = match parse(&fixture) {
            Ok(_) => "yes".to_string(),
            Err(e) => format!("no: {e}"),
        };
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
            if accepted.is_empty() {
                String::new()
            } else {
                format!(" (accepts: {})", accepted.join("; "))
            }
        );
        println!("| {name} | {} | {as_is} | {rejected} |", medians.join(", "));
    }
}

/// The document with the comment between its XML declaration and its element removed.
fn without_leading_comment(text: &str) -> String {
    match (text.find("<!--"), text.find("-->")) {
        (Some(from), Some(to)) if from < to => {
            let rest = text[to + 3..].trim_start();
            format!("{}{rest}", &text[..from])
        }
        _ => text.to_string(),
    }
}
