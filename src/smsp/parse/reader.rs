//! A namespace-resolved element tree read with quick-xml's `NsReader` (rust-stack notes).
//!
//! Messages are a few KB, so the parsers work on a small owned tree: names are matched on
//! namespace URI + local name (prefix-agnostic), text is assembled from text, CDATA and
//! references and trimmed only when read (never `trim_text`, which would eat the spaces around
//! `&amp;`), DOCTYPE is refused and nesting is capped. Body size is capped by the transport.

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use quick_xml::XmlVersion;

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
    fn of(uri: &str) -> Self {
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

#[derive(Debug)]
pub(crate) struct Element {
    pub(crate) ns: Ns,
    pub(crate) name: String,
    /// (local name, has a prefix, value) — namespace declarations are not kept.
    attrs: Vec<(String, bool, String)>,
    text: String,
    pub(crate) children: Vec<Element>,
}

impl Element {
    pub(crate) fn is(&self, ns: Ns, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    /// First child with this namespace and local name.
    pub(crate) fn child(&self, ns: Ns, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    pub(crate) fn children_named<'a>(
        &'a self,
        ns: Ns,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// Follows a path of same-namespace children.
    pub(crate) fn path(&self, ns: Ns, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |e, n| e.child(ns, n))
    }

    /// First child element, whatever its name.
    pub(crate) fn first_child(&self) -> Option<&Element> {
        self.children.first()
    }

    /// An unqualified attribute (HL7 and ITK attributes are unqualified); a prefixed one with
    /// the same local name is accepted as a fallback.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        let mut prefixed = None;
        for (local, has_prefix, value) in &self.attrs {
            if local == name {
                if !has_prefix {
                    return Some(value);
                }
                prefixed.get_or_insert(value.as_str());
            }
        }
        prefixed
    }

    /// The attribute, trimmed; `None` when absent or blank.
    pub(crate) fn attr_value(&self, name: &str) -> Option<&str> {
        self.attr(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Direct character content, trimmed.
    pub(crate) fn text(&self) -> &str {
        self.text.trim()
    }

    /// Direct character content, trimmed; `None` when blank.
    pub(crate) fn text_value(&self) -> Option<&str> {
        Some(self.text()).filter(|t| !t.is_empty())
    }
}

/// Parses a whole document into its root element.
pub(crate) fn parse_document(body: &[u8]) -> Result<Element, ParseError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let text =
        std::str::from_utf8(body).map_err(|_| ParseError::NotXml("body is not UTF-8".into()))?;
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| ParseError::NotXml(e.to_string()))?;
        let ns = match resolved {
            ResolveResult::Bound(uri) => Ns::of(uri.into_inner()),
            ResolveResult::Unbound => Ns::None,
            ResolveResult::Unknown(_) => {
                return Err(ParseError::NotXml("undeclared namespace prefix".into()))
            }
        };
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(not_xml("content after the document element"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(ParseError::TooDeep);
                }
                stack.push(element(ns, &start)?);
            }
            Event::Empty(start) => {
                if root.is_some() {
                    return Err(not_xml("content after the document element"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(ParseError::TooDeep);
                }
                let e = element(ns, &start)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(e),
                    None => root = Some(e),
                }
            }
            Event::End(_) => {
                let e = stack.pop().ok_or_else(|| not_xml("unmatched end tag"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(e),
                    None => root = Some(e),
                }
            }
            Event::Text(t) => {
                let content = t.xml_content(XmlVersion::Implicit1_0);
                match stack.last_mut() {
                    Some(e) => e.text.push_str(&content),
                    None if content.trim().is_empty() => {}
                    None => return Err(not_xml("text outside the document element")),
                }
            }
            Event::CData(c) => {
                let content = c.xml_content(XmlVersion::Implicit1_0);
                match stack.last_mut() {
                    Some(e) => e.text.push_str(&content),
                    None => return Err(not_xml("CDATA outside the document element")),
                }
            }
            Event::GeneralRef(r) => {
                let c = reference(&r)?;
                match stack.last_mut() {
                    Some(e) => e.text.push(c),
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
    root.ok_or_else(|| not_xml("no document element"))
}

fn not_xml(what: &str) -> ParseError {
    ParseError::NotXml(what.into())
}

fn element(ns: Ns, start: &BytesStart<'_>) -> Result<Element, ParseError> {
    let mut attrs = Vec::new();
    for a in start.attributes() {
        let a = a.map_err(|e| ParseError::NotXml(e.to_string()))?;
        if a.key.as_namespace_binding().is_some() {
            continue;
        }
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| ParseError::NotXml(e.to_string()))?;
        attrs.push((
            a.key.local_name().into_inner().to_string(),
            a.key.prefix().is_some(),
            value.into_owned(),
        ));
    }
    Ok(Element {
        ns,
        name: start.local_name().into_inner().to_string(),
        attrs,
        text: String::new(),
        children: Vec::new(),
    })
}

/// Character references and the five predefined entities; with no DTD allowed, any other
/// entity is undefined, which makes the document not well-formed.
fn reference(r: &BytesRef<'_>) -> Result<char, ParseError> {
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
        let root = parse_document(doc).unwrap();
        assert!(root.is(Ns::Soap, "Envelope"));
        let body = root.child(Ns::Soap, "Body").unwrap();
        assert_eq!(body.children_named(Ns::Hl7, "a").count(), 2);
        assert_eq!(body.child(Ns::Hl7, "a").unwrap().attr("v"), Some("1"));
    }

    #[test]
    fn keeps_spaces_around_references_and_trims_the_whole() {
        let doc = b"<a> Smith &amp; Co &#x41;<![CDATA[<b>]]> </a>";
        assert_eq!(parse_document(doc).unwrap().text(), "Smith & Co A<b>");
        let doc = br#"<a v=" O&apos;Brien &amp; &lt;Sons&gt; "/>"#;
        assert_eq!(
            parse_document(doc).unwrap().attr("v"),
            Some(" O'Brien & <Sons> ")
        );
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
        ] {
            assert!(
                matches!(parse_document(bad), Err(ParseError::NotXml(_))),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
