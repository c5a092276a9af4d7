//! A minimal XML writer over one pre-sized `String` (SMSP SPEC §2–§5 messages are small and
//! fixed in shape, so markup is written literally and only values go through escaping).
//! No DOM and no template parsing: building a request is a single pass of `push_str`s.

use chrono::{DateTime, Datelike, NaiveTime, Timelike, Utc};
use uuid::Uuid;

use crate::domain::{push_zero_padded, PartialDate};

pub(crate) struct Xml {
    out: String,
}

impl Xml {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            out: String::with_capacity(capacity),
        }
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }

    /// Trusted markup written verbatim (element names, fixed attributes, namespace URIs).
    #[inline]
    pub(crate) fn raw(&mut self, markup: &str) -> &mut Self {
        self.out.push_str(markup);
        self
    }

    /// Character data, escaped.
    #[inline]
    pub(crate) fn text(&mut self, value: &str) -> &mut Self {
        escape_into(&mut self.out, value, false);
        self
    }

    /// ` name="value"` with the value escaped for a double-quoted attribute.
    #[inline]
    pub(crate) fn attr(&mut self, name: &str, value: &str) -> &mut Self {
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        escape_into(&mut self.out, value, true);
        self.out.push('"');
        self
    }

    /// `<name>escaped text</name>`; `name` is trusted markup.
    pub(crate) fn text_element(&mut self, name: &str, value: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        if value.is_empty() {
            self.out.push_str("/>");
            return self;
        }
        self.out.push('>');
        escape_into(&mut self.out, value, false);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// An upper-case hyphenated UUID, as the ITK/HL7 patterns require (SMSP SPEC §0.8).
    pub(crate) fn uuid(&mut self, id: &Uuid) -> &mut Self {
        let mut buf = Uuid::encode_buffer();
        self.out.push_str(id.hyphenated().encode_upper(&mut buf));
        self
    }

    /// ` name="<prefix><UPPER-UUID>"`.
    pub(crate) fn uuid_attr(&mut self, name: &str, prefix: &str, id: &Uuid) -> &mut Self {
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        self.out.push_str(prefix);
        self.uuid(id);
        self.out.push('"');
        self
    }

    /// `YYYY-MM-DDThh:mm:ssZ` with no fraction (SMSP SPEC §2.4 wsu:Created/Expires).
    pub(crate) fn utc_seconds(&mut self, t: &DateTime<Utc>) -> &mut Self {
        self.digits(t.year().clamp(0, 9999) as u32, 4)
            .raw("-")
            .digits(t.month(), 2)
            .raw("-")
            .digits(t.day(), 2)
            .raw("T")
            .digits(t.hour(), 2)
            .raw(":")
            .digits(t.minute(), 2)
            .raw(":")
            .digits(t.second(), 2)
            .raw("Z")
    }

    /// HL7 TS date: `YYYY`, `YYYYMM` or `YYYYMMDD` (`PartialDate::to_hl7`'s digits, written
    /// without an intermediate `String`).
    pub(crate) fn hl7_date(&mut self, d: &PartialDate) -> &mut Self {
        d.write_to(&mut self.out, "");
        self
    }

    /// HL7 TS with an optional time: `HHMM`, or `HHMMSS` when seconds are set.
    pub(crate) fn hl7_date_time(&mut self, d: &PartialDate, t: Option<&NaiveTime>) -> &mut Self {
        self.hl7_date(d);
        if let (Some(t), true) = (t, d.is_full()) {
            self.digits(t.hour(), 2).digits(t.minute(), 2);
            if t.second() != 0 {
                self.digits(t.second(), 2);
            }
        }
        self
    }

    /// Zero-padded decimal of `width` digits (values are range-checked upstream).
    fn digits(&mut self, n: u32, width: usize) -> &mut Self {
        push_zero_padded(&mut self.out, n, width);
        self
    }
}

/// Escapes `value` into `out`. `&`, `<`, `>` always; quotes inside attributes; tab, CR and LF
/// inside attributes as character references so attribute-value normalisation keeps them, and
/// CR in text for the same reason. Characters XML 1.0 cannot carry at all (C0 controls other than
/// tab/LF/CR, U+FFFE, U+FFFF) become U+FFFD so the document stays well-formed and a query with
/// such a value cannot silently match something else.
fn escape_into(out: &mut String, value: &str, in_attribute: bool) {
    let needs = |c: char| match c {
        '&' | '<' | '>' | '\r' => true,
        '"' | '\'' | '\t' | '\n' => in_attribute,
        c if (c as u32) < 0x20 => true,
        '\u{FFFE}' | '\u{FFFF}' => true,
        _ => false,
    };
    let mut start = 0;
    for (i, c) in value.char_indices() {
        if !needs(c) {
            continue;
        }
        out.push_str(&value[start..i]);
        start = i + c.len_utf8();
        out.push_str(match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&apos;",
            '\t' => "&#9;",
            '\n' => "&#10;",
            '\r' => "&#13;",
            _ => "\u{FFFD}",
        });
    }
    out.push_str(&value[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        let mut x = Xml::with_capacity(16);
        x.text(s);
        x.finish()
    }

    fn attr(s: &str) -> String {
        let mut x = Xml::with_capacity(16);
        x.attr("a", s);
        x.finish()
    }

    #[test]
    fn escapes_markup_in_text_and_attributes() {
        assert_eq!(
            text(r#"O'Brien & <Sons> "Ltd""#),
            r#"O'Brien &amp; &lt;Sons&gt; "Ltd""#
        );
        assert_eq!(
            attr(r#"O'Brien & <Sons> "Ltd""#),
            r#" a="O&apos;Brien &amp; &lt;Sons&gt; &quot;Ltd&quot;""#
        );
        assert_eq!(text("Zoë Ångström"), "Zoë Ångström");
        assert_eq!(attr("a\tb\nc\rd"), " a=\"a&#9;b&#10;c&#13;d\"");
        assert_eq!(text("a\u{1}b\u{FFFF}"), "a\u{FFFD}b\u{FFFD}");
    }

    #[test]
    fn writes_dates_and_timestamps() {
        let mut x = Xml::with_capacity(64);
        let t = DateTime::parse_from_rfc3339("2016-07-27T11:10:23.987Z")
            .unwrap()
            .with_timezone(&Utc);
        x.utc_seconds(&t).raw(" ");
        x.hl7_date(&PartialDate::full(1996, 5, 3).unwrap()).raw(" ");
        x.hl7_date(&PartialDate::new(1996, Some(5), None).unwrap())
            .raw(" ");
        let time = NaiveTime::from_hms_opt(12, 7, 0).unwrap();
        x.hl7_date_time(&PartialDate::full(2010, 12, 25).unwrap(), Some(&time));
        assert_eq!(
            x.finish(),
            "2016-07-27T11:10:23Z 19960503 199605 201012251207"
        );
    }

    #[test]
    fn writes_upper_case_uuids() {
        let id = Uuid::parse_str("b72f7785-534c-11e6-adca-29c651a3be6f").unwrap();
        let mut x = Xml::with_capacity(64);
        x.uuid_attr("id", "uuid_", &id);
        assert_eq!(
            x.finish(),
            r#" id="uuid_B72F7785-534C-11E6-ADCA-29C651A3BE6F""#
        );
    }
}
