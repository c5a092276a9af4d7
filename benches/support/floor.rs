//! The floor under the bridge's XML parse, shared by `benches/messages.rs` (timed) and
//! `examples/hot_paths.rs` (`floor`, counted): quick-xml's own loop over a document.

/// What the parser itself costs on this document (issue 9: is ≤ 10 µs reachable with the
/// chosen XML crate?): every event read and every attribute split out, as `smsp::parse` needs
/// at the least, with no tree, no namespaces and no unescaping. Returns a count of what it saw,
/// so the loop cannot be optimised away.
pub fn quick_xml_events(body: &[u8]) -> usize {
    use quick_xml::events::Event;
    let text = std::str::from_utf8(body).expect("UTF-8 fixture");
    let mut reader = quick_xml::Reader::from_str(text);
    let mut seen = 0;
    loop {
        match reader.read_event().expect("well-formed fixture") {
            Event::Eof => return seen,
            Event::Start(e) | Event::Empty(e) => {
                for a in e.attributes() {
                    seen += a.expect("well-formed attribute").value.len();
                }
            }
            _ => seen += 1,
        }
    }
}
