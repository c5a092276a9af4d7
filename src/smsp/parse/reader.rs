//! A namespace-resolved element tree read with quick-xml's `Reader` (rust-stack notes), the
//! namespaces resolved by `scope` in the same pass.
//!
//! Messages are a few KB, so the parsers work on a small tree (`Document`) that borrows from the
//! input: names are matched on namespace URI + local name (prefix-agnostic), text is assembled
//! from text, CDATA and references and trimmed only when read (never `trim_text`, which would
//! eat the spaces around `&amp;`), DOCTYPE is refused and nesting is capped. Body size is capped
//! by the transport.

use std::borrow::Cow;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::reader::Reader;
use quick_xml::XmlVersion;

use super::scope::Scopes;
use super::ParseError;
use crate::smsp::interaction::ns;

/// Real messages nest about 14 deep; anything past this is not an SMSP message.
pub(crate) const MAX_DEPTH: usize = 64;

/// The namespaces SMSP messages use (SMSP SPEC §2.3), resolved once per element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    Soap,
    Wsa,
    Wsse,
    Wsu,
    Itk,
    Hl7,
    Xsi,
    Other,
    /// No namespace (e.g. SOAP 1.1 `faultcode`, `faultstring`, `detail`).
    None,
}

impl Ns {
    pub(super) fn of(uri: &str) -> Self {
        match uri {
            ns::SOAP => Ns::Soap,
            ns::WSA => Ns::Wsa,
            ns::WSSE => Ns::Wsse,
            ns::WSU => Ns::Wsu,
            ns::ITK => Ns::Itk,
            ns::HL7 => Ns::Hl7,
            ns::XSI => Ns::Xsi,
            _ => Ns::Other,
        }
    }
}

/// A parsed document: every element in one flat arena, in document order, with names, attribute
/// values and text borrowed from the input wherever no unescaping was needed. Parsing a message
/// therefore costs a few allocations rather than several per element (issue 9: the owned tree
/// was half of the mapping time).
#[derive(Debug)]
pub(crate) struct Document<'a> {
    nodes: Vec<Node<'a>>,
    attrs: Vec<Attr<'a>>,
}

#[derive(Debug)]
struct Node<'a> {
    ns: Ns,
    /// Local name (always borrowed in practice: quick-xml never copies names).
    name: Cow<'a, str>,
    /// `attrs[attrs.0..attrs.1]`; namespace declarations are not kept.
    attrs: (u32, u32),
    /// Direct character content (text, CDATA, references), untrimmed; see `append_text`.
    text: Cow<'a, str>,
    first_child: u32,
    next_sibling: u32,
}

#[derive(Debug)]
struct Attr<'a> {
    local: Cow<'a, str>,
    has_prefix: bool,
    value: Cow<'a, str>,
}

/// "No such node" in the child/sibling links.
const NONE: u32 = u32::MAX;

impl<'a> Document<'a> {
    /// The document element (a parsed document always has one).
    pub(crate) fn root(&self) -> Element<'_> {
        Element { doc: self, idx: 0 }
    }
}

/// One element of a `Document`: a copyable handle.
#[derive(Clone, Copy)]
pub(crate) struct Element<'d> {
    doc: &'d Document<'d>,
    idx: u32,
}

impl std::fmt::Debug for Element<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Element({:?}, {})", self.ns(), self.name())
    }
}

impl<'d> Element<'d> {
    fn node(self) -> &'d Node<'d> {
        &self.doc.nodes[self.idx as usize]
    }

    fn at(self, idx: u32) -> Option<Element<'d>> {
        (idx != NONE).then_some(Element { doc: self.doc, idx })
    }

    pub(crate) fn ns(self) -> Ns {
        self.node().ns
    }

    pub(crate) fn name(self) -> &'d str {
        &self.node().name
    }

    pub(crate) fn is(self, ns: Ns, name: &str) -> bool {
        let n = self.node();
        n.ns == ns && n.name == name
    }

    /// Child elements in document order.
    pub(crate) fn children(self) -> impl Iterator<Item = Element<'d>> {
        let mut next = self.at(self.node().first_child);
        std::iter::from_fn(move || {
            let e = next?;
            next = e.at(e.node().next_sibling);
            Some(e)
        })
    }

    /// First child with this namespace and local name.
    pub(crate) fn child(self, ns: Ns, name: &str) -> Option<Element<'d>> {
        self.children().find(|c| c.is(ns, name))
    }

    pub(crate) fn children_named<'n>(
        self,
        ns: Ns,
        name: &'n str,
    ) -> impl Iterator<Item = Element<'d>> + 'n
    where
        'd: 'n,
    {
        self.children().filter(move |c| c.is(ns, name))
    }

    /// Follows a path of same-namespace children.
    pub(crate) fn path(self, ns: Ns, names: &[&str]) -> Option<Element<'d>> {
        names.iter().try_fold(self, |e, n| e.child(ns, n))
    }

    /// First child element, whatever its name.
    pub(crate) fn first_child(self) -> Option<Element<'d>> {
        self.at(self.node().first_child)
    }

    /// An unqualified attribute (HL7 and ITK attributes are unqualified); a prefixed one with
    /// the same local name is accepted as a fallback.
    pub(crate) fn attr(self, name: &str) -> Option<&'d str> {
        let (from, to) = self.node().attrs;
        let mut prefixed = None;
        for a in &self.doc.attrs[from as usize..to as usize] {
            if a.local == name {
                if !a.has_prefix {
                    return Some(&a.value);
                }
                prefixed.get_or_insert(&*a.value);
            }
        }
        prefixed
    }

    /// The attribute, trimmed; `None` when absent or blank.
    pub(crate) fn attr_value(self, name: &str) -> Option<&'d str> {
        self.attr(name).map(trim).filter(|v| !v.is_empty())
    }

    /// (local name, has a prefix, value) of every attribute, for the differential test.
    #[cfg(test)]
    pub(crate) fn attrs_for_test(self) -> Vec<(&'d str, bool, &'d str)> {
        let (from, to) = self.node().attrs;
        self.doc.attrs[from as usize..to as usize]
            .iter()
            .map(|a| (&*a.local, a.has_prefix, &*a.value))
            .collect()
    }

    /// Direct character content, trimmed.
    pub(crate) fn text(self) -> &'d str {
        trim(&self.node().text)
    }

    /// Direct character content, trimmed; `None` when blank.
    pub(crate) fn text_value(self) -> Option<&'d str> {
        Some(self.text()).filter(|t| !t.is_empty())
    }
}

/// Adds a piece of character content to an element's text. Only the trimmed whole is ever read
/// (`Element::text`), so while the text so far is blank — indentation before a child, say —
/// the piece replaces it instead of being appended: the result reads the same, and the text stays
/// borrowed from the input. Only content really split by references or CDATA is copied.
fn append_text<'a>(text: &mut Cow<'a, str>, piece: Cow<'a, str>) {
    if is_blank(text) {
        *text = piece;
    } else {
        text.to_mut().push_str(&piece);
    }
}

/// `s.trim().is_empty()`, with a fast path for the indentation between elements.
fn is_blank(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) || trim(s).is_empty()
}

/// `str::trim`, answering at once for the usual value that starts and ends with a printable
/// ASCII character (none of which is Unicode white space).
fn trim(s: &str) -> &str {
    let printable = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x80);
    if printable(s.as_bytes().first()) && printable(s.as_bytes().last()) {
        s
    } else {
        s.trim()
    }
}

/// `part` re-borrowed from `input` when it points into it (quick-xml hands out slices of the
/// input with the lifetime of the event); copied otherwise. Pure address arithmetic: no unsafe.
fn reborrow<'a>(input: &'a str, part: &str) -> Cow<'a, str> {
    let start = (part.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize);
    match input.get(start..start.wrapping_add(part.len())) {
        Some(s) if s.as_ptr() == part.as_ptr() => Cow::Borrowed(s),
        _ => Cow::Owned(part.to_owned()),
    }
}

/// Parses a whole document.
pub(crate) fn parse_document(body: &[u8]) -> Result<Document<'_>, ParseError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let text =
        std::str::from_utf8(body).map_err(|_| ParseError::NotXml("body is not UTF-8".into()))?;
    let mut reader = Reader::from_str(text);
    let mut doc = Document {
        nodes: Vec::with_capacity(text.len() / 40 + 8),
        attrs: Vec::with_capacity(text.len() / 60 + 8),
    };
    let mut scopes = Scopes::default();
    // Open elements: (node, its last child so far, the namespace scope it opened).
    let mut stack: Vec<Open> = Vec::with_capacity(16);
    // The document element has ended: any further element is an error.
    let mut closed_root = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| ParseError::NotXml(e.to_string()))?;
        match event {
            Event::Start(start) => {
                let mark = scopes.mark();
                let idx = element(text, &start, &mut doc, &mut scopes, &mut stack, closed_root)?;
                stack.push(Open {
                    idx,
                    last_child: NONE,
                    scope: mark,
                });
            }
            Event::Empty(start) => {
                let mark = scopes.mark();
                element(text, &start, &mut doc, &mut scopes, &mut stack, closed_root)?;
                scopes.close(mark);
                closed_root |= stack.is_empty();
            }
            Event::End(_) => {
                let open = stack.pop().ok_or_else(|| not_xml("unmatched end tag"))?;
                scopes.close(open.scope);
                closed_root |= stack.is_empty();
            }
            Event::Text(t) => match stack.last() {
                // Indentation while the element's text is still blank changes nothing that
                // `Element::text` reads (see `append_text`): skipped without normalising it.
                Some(open) if is_blank(&t) && is_blank(&doc.nodes[open.idx as usize].text) => {}
                Some(open) => append_text(
                    &mut doc.nodes[open.idx as usize].text,
                    t.xml_content(XmlVersion::Implicit1_0),
                ),
                None if is_blank(&t) => {}
                None => return Err(not_xml("text outside the document element")),
            },
            Event::CData(c) => {
                let content = c.xml_content(XmlVersion::Implicit1_0);
                match stack.last() {
                    Some(open) => append_text(&mut doc.nodes[open.idx as usize].text, content),
                    None => return Err(not_xml("CDATA outside the document element")),
                }
            }
            Event::GeneralRef(r) => {
                let c = reference(&r)?;
                match stack.last() {
                    Some(open) => append_text(
                        &mut doc.nodes[open.idx as usize].text,
                        Cow::Owned(c.to_string()),
                    ),
                    None => return Err(not_xml("reference outside the document element")),
                }
            }
            Event::DocType(_) => return Err(ParseError::Doctype),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(not_xml("unexpected end of document"));
    }
    if doc.nodes.is_empty() {
        return Err(not_xml("no document element"));
    }
    Ok(doc)
}

pub(super) fn not_xml(what: &str) -> ParseError {
    ParseError::NotXml(what.into())
}

/// An element whose end tag has not been read yet.
struct Open {
    idx: u32,
    last_child: u32,
    /// `Scopes::mark` before its declarations.
    scope: usize,
}

/// Appends the element `start` to the arena as the last child of the innermost open element
/// (start tags arrive in document order, so siblings stay in order), after taking its namespace
/// declarations into `scopes`; returns its index.
fn element<'a>(
    input: &'a str,
    start: &BytesStart<'_>,
    doc: &mut Document<'a>,
    scopes: &mut Scopes<'a>,
    stack: &mut [Open],
    closed_root: bool,
) -> Result<u32, ParseError> {
    if closed_root {
        return Err(not_xml("content after the document element"));
    }
    if stack.len() >= MAX_DEPTH {
        return Err(ParseError::TooDeep);
    }
    let from = doc.attrs.len() as u32;
    for a in start.attributes() {
        let a = a.map_err(|e| ParseError::NotXml(e.to_string()))?;
        // XML 1.0 §3.1, WFC "No < in Attribute Values": quick-xml lets it through
        // (scripts/xml-crates.sh), so the check is here, for declarations too. memchr per value
        // was the cheapest of five ways measured (docs/PERFORMANCE-LOG.md, session 8).
        if memchr::memchr(b'<', a.value.as_bytes()).is_some() {
            return Err(not_xml("'<' in an attribute value"));
        }
        let (prefix, local) = split_qname(a.key.0);
        match (prefix, local) {
            (None, "xmlns") => {
                scopes.declare(Cow::Borrowed(""), &a.value)?;
                continue;
            }
            (Some("xmlns"), p) => {
                scopes.declare(reborrow(input, p), &a.value)?;
                continue;
            }
            _ => {}
        }
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| ParseError::NotXml(e.to_string()))?;
        let value = match value {
            Cow::Borrowed(v) => reborrow(input, v),
            Cow::Owned(v) => Cow::Owned(v),
        };
        doc.attrs.push(Attr {
            local: reborrow(input, local),
            has_prefix: prefix.is_some(),
            value,
        });
    }
    let (prefix, local) = split_qname(start.name().0);
    let ns = scopes.resolve(prefix)?;
    let idx = u32::try_from(doc.nodes.len()).map_err(|_| not_xml("too many elements"))?;
    doc.nodes.push(Node {
        ns,
        name: reborrow(input, local),
        attrs: (from, doc.attrs.len() as u32),
        text: Cow::Borrowed(""),
        first_child: NONE,
        next_sibling: NONE,
    });
    if let Some(parent) = stack.last_mut() {
        match parent.last_child {
            NONE => doc.nodes[parent.idx as usize].first_child = idx,
            prev => doc.nodes[prev as usize].next_sibling = idx,
        }
        parent.last_child = idx;
    }
    Ok(idx)
}

/// `prefix:local` split at the first colon, as quick-xml's `QName` does, in one search.
/// Names are short: a byte loop beats a `char` pattern search here.
fn split_qname(name: &str) -> (Option<&str>, &str) {
    match name.bytes().position(|b| b == b':') {
        Some(i) => (Some(&name[..i]), &name[i + 1..]),
        None => (None, name),
    }
}

/// Character references and the five predefined entities; with no DTD allowed, any other
/// entity is undefined, which makes the document not well-formed. The differential test's
/// oracle resolves references with this too: it checks the tree and the well-formedness rules,
/// not this table.
pub(super) fn reference(r: &BytesRef<'_>) -> Result<char, ParseError> {
    if let Some(c) = r
        .resolve_char_ref()
        .map_err(|e| ParseError::NotXml(e.to_string()))?
    {
        return Ok(c);
    }
    match &**r {
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "quot" => Ok('"'),
        "apos" => Ok('\''),
        _ => Err(not_xml("undefined entity reference")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_namespaces_regardless_of_prefix() {
        let doc = br#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><x:a xmlns:x="urn:hl7-org:v3" v="1"/><a xmlns="urn:hl7-org:v3"/></S:Body></S:Envelope>"#;
        let parsed = parse_document(doc).unwrap();
        let root = parsed.root();
        assert!(root.is(Ns::Soap, "Envelope"));
        let body = root.child(Ns::Soap, "Body").unwrap();
        assert_eq!(body.children_named(Ns::Hl7, "a").count(), 2);
        assert_eq!(body.child(Ns::Hl7, "a").unwrap().attr("v"), Some("1"));
    }

    #[test]
    fn keeps_spaces_around_references_and_trims_the_whole() {
        let doc = b"<a> Smith &amp; Co &#x41;<![CDATA[<b>]]> </a>";
        assert_eq!(
            parse_document(doc).unwrap().root().text(),
            "Smith & Co A<b>"
        );
        let doc = br#"<a v=" O&apos;Brien &amp; &lt;Sons&gt; "/>"#;
        assert_eq!(
            parse_document(doc).unwrap().root().attr("v"),
            Some(" O'Brien & <Sons> ")
        );
    }

    #[test]
    fn fast_trim_and_blank_agree_with_str_trim() {
        for s in [
            "",
            " ",
            "a",
            " a ",
            "\n\t\t",
            "a b",
            "\u{a0}x\u{a0}",
            "\x0b",
            "x\x0b",
            "\u{2003}",
            "Zoë",
            "ë",
            "\r\n",
            "\x1f",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
            assert_eq!(is_blank(s), s.trim().is_empty(), "{s:?}");
        }
    }

    #[test]
    fn indentation_and_mixed_content_read_as_before() {
        let doc = b"<a>\n  <b/>\n  x <c/> y\n</a>";
        assert_eq!(parse_document(doc).unwrap().root().text(), "x  y");
        let doc = b"<a>  <b/>\r\n</a>";
        assert_eq!(parse_document(doc).unwrap().root().text(), "");
    }

    #[test]
    fn rejects_doctype_depth_and_malformed_documents() {
        let doctype = b"<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>";
        assert_eq!(parse_document(doctype).unwrap_err(), ParseError::Doctype);
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert_eq!(
            parse_document(deep.as_bytes()).unwrap_err(),
            ParseError::TooDeep
        );
        let ok = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(parse_document(ok.as_bytes()).is_ok());
        for bad in [
            &b""[..],
            b"not xml",
            b"<a>",
            b"<a></b>",
            b"<a/><b/>",
            b"<a>&bogus;</a>",
            b"<p:a/>",
            b"\xff\xfe<a/>",
            b"<a x='1' x='2'/>",
            b"<a x='<'/>",
            b"<a xmlns:p='urn:<'/>",
            b"<a x=1/>",
            b"<a><b></a></b>",
            b"<a><b></b>",
        ] {
            assert!(
                matches!(parse_document(bad), Err(ParseError::NotXml(_))),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
