//! Namespace scopes for `reader` (Namespaces in XML 1.0). quick-xml's `NsReader` did this, but
//! it walks every start tag's attributes a second time and resolves every event; here the
//! declarations are taken during the one attribute pass the reader makes anyway (issue 9:
//! that resolver was a sixth of the parse). The rules and refusals are `NsReader`'s:
//! - `xmlns="uri"` binds the default namespace (`xmlns=""` unbinds it), `xmlns:p="uri"` a prefix,
//!   for the element and its descendants; the raw attribute value is the URI;
//! - `xml` is pre-bound and may only be re-declared to its own URI, `xmlns` never; no other
//!   prefix may be bound to either reserved URI;
//! - an element whose prefix is not bound (or was unbound with `xmlns:p=""`) is not well-formed;
//! - at most `MAX_BINDINGS` declarations are in scope at once.

use std::borrow::Cow;

use super::reader::Ns;
use super::ParseError;

const XML_URI: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS_URI: &str = "http://www.w3.org/2000/xmlns/";
/// quick-xml's default bound on declarations in scope.
const MAX_BINDINGS: usize = 128;

struct Binding<'a> {
    /// Empty for the default namespace.
    prefix: Cow<'a, str>,
    /// `None`: declared empty (unbound).
    ns: Option<Ns>,
}

#[derive(Default)]
pub(super) struct Scopes<'a> {
    bindings: Vec<Binding<'a>>,
}

impl<'a> Scopes<'a> {
    /// Where the current scope ends: `close` returns to it.
    pub(super) fn mark(&self) -> usize {
        self.bindings.len()
    }

    /// Ends the scopes opened since `mark`.
    pub(super) fn close(&mut self, mark: usize) {
        self.bindings.truncate(mark);
    }

    /// Records the declaration `xmlns[:prefix]="uri"` (`prefix` empty for the default).
    pub(super) fn declare(&mut self, prefix: Cow<'a, str>, uri: &str) -> Result<(), ParseError> {
        match &*prefix {
            "xml" if uri == XML_URI => return Ok(()),
            "xml" | "xmlns" => return Err(refused("a reserved prefix cannot be re-declared")),
            p if !p.is_empty() && (uri == XML_URI || uri == XMLNS_URI) => {
                return Err(refused(
                    "a reserved namespace cannot be bound to another prefix",
                ))
            }
            _ => {}
        }
        if self.bindings.len() >= MAX_BINDINGS {
            return Err(refused("too many namespace declarations in scope"));
        }
        let ns = (!uri.is_empty()).then(|| Ns::of(uri));
        self.bindings.push(Binding { prefix, ns });
        Ok(())
    }

    /// The namespace of an element named with `prefix` (`None`: unprefixed).
    pub(super) fn resolve(&self, prefix: Option<&str>) -> Result<Ns, ParseError> {
        let mut scope = self.bindings.iter().rev();
        match prefix {
            None => Ok(scope
                .find(|b| b.prefix.is_empty())
                .and_then(|b| b.ns)
                .unwrap_or(Ns::None)),
            // Pre-bound, and `declare` keeps them so.
            Some("xml" | "xmlns") => Ok(Ns::Other),
            // `<:a>`: an empty prefix is never bound (it is not the default namespace).
            Some("") => Err(ParseError::NotXml("undeclared namespace prefix".into())),
            Some(p) => scope
                .find(|b| b.prefix == p)
                .and_then(|b| b.ns)
                .ok_or_else(|| ParseError::NotXml("undeclared namespace prefix".into())),
        }
    }
}

fn refused(what: &str) -> ParseError {
    ParseError::NotXml(what.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smsp::interaction::ns;

    #[test]
    fn scopes_nest_and_unwind() {
        let mut s = Scopes::default();
        assert_eq!(s.resolve(None).unwrap(), Ns::None);
        let outer = s.mark();
        s.declare("".into(), ns::HL7).unwrap();
        s.declare("soap".into(), ns::SOAP).unwrap();
        assert_eq!(s.resolve(None).unwrap(), Ns::Hl7);
        let inner = s.mark();
        s.declare("".into(), "").unwrap();
        s.declare("soap".into(), "urn:other").unwrap();
        assert_eq!(s.resolve(None).unwrap(), Ns::None);
        assert_eq!(s.resolve(Some("soap")).unwrap(), Ns::Other);
        s.close(inner);
        assert_eq!(s.resolve(Some("soap")).unwrap(), Ns::Soap);
        s.close(outer);
        assert!(s.resolve(Some("soap")).is_err());
        assert_eq!(s.resolve(Some("xml")).unwrap(), Ns::Other);
        s.declare("".into(), ns::HL7).unwrap();
        assert!(s.resolve(Some("")).is_err());
    }

    #[test]
    fn reserved_prefixes_and_unbound_prefixes_are_refused() {
        let mut s = Scopes::default();
        assert!(s.declare("xml".into(), XML_URI).is_ok());
        assert!(s.declare("xml".into(), "urn:x").is_err());
        assert!(s.declare("xmlns".into(), "urn:x").is_err());
        assert!(s.declare("p".into(), XMLNS_URI).is_err());
        s.declare("p".into(), "").unwrap();
        assert!(s.resolve(Some("p")).is_err());
        for _ in 0..MAX_BINDINGS {
            let _ = s.declare("q".into(), "urn:q");
        }
        assert!(s.declare("r".into(), "urn:r").is_err());
    }
}
