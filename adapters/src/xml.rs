//! A small XML reader and writer for the element/text trees provinces exchange
//! (`<APPROVEDATAINFO><SQRXM>…</SQRXM>…</APPROVEDATAINFO>`), hand-written to stay small and
//! strict: no DTDs (so no entity expansion attacks), the five predefined entities and character
//! references only, bounded depth, and a precise error with line and column for broken input.
//!
//! The tree maps to JSON the way the engine reads it: an element with only text is a string, an
//! element with children is an object, a repeated element is an array, attributes are `@name`
//! members and text beside children is `#text`.

use std::borrow::Cow;

use serde_json::Value;

use crate::engine::Known;
use crate::local::Local;

/// Elements nested deeper than this are refused, the root the first: the gateway's limit on
/// every body and form (real forms are three or four levels deep), so that `tongban adapt` does
/// not take a form the gateway refuses.
pub use tongban_schemas::limits::MAX_DEPTH;

/// Attributes one element may carry. Provincial forms put their fields in elements and a code or
/// two in attributes; the bound keeps the check for a repeated attribute (linear per attribute)
/// from turning quadratic on a start tag with tens of thousands of them.
pub const MAX_ATTRIBUTES: usize = 64;

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("XML line {line}, column {column}: {message}")]
pub struct XmlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The root element's name and content.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub root: String,
    pub content: Value,
}

struct Reader<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn err(&self, message: impl Into<String>) -> XmlError {
        let before = &self.s[..self.pos.min(self.s.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        XmlError {
            line,
            column,
            message: message.into(),
        }
    }

    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    #[inline]
    fn eat(&mut self, prefix: &str) -> bool {
        let found = match prefix.as_bytes() {
            // One byte: compared directly rather than through memcmp.
            [b] => self.s.as_bytes().get(self.pos) == Some(b),
            _ => self.rest().starts_with(prefix),
        };
        if found {
            self.pos += prefix.len();
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) {
        // ASCII whitespace byte by byte; from the first other non-ASCII byte, Unicode's rules.
        let rest = self.rest().as_bytes();
        let ascii = rest
            .iter()
            .position(|&b| !matches!(b, b' ' | b'\t'..=b'\r'))
            .unwrap_or(rest.len());
        self.pos += ascii;
        if self
            .rest()
            .as_bytes()
            .first()
            .is_some_and(|b| !b.is_ascii())
        {
            let n = self.rest().len() - self.rest().trim_start().len();
            self.pos += n;
        }
    }

    fn until(&mut self, end: &str, what: &str) -> Result<&'a str, XmlError> {
        let found = match end.as_bytes() {
            // A quote: a byte scan, without setting up a substring search.
            [b] if b.is_ascii() => self.rest().bytes().position(|x| x == *b),
            _ => self.rest().find(end),
        };
        match found {
            Some(i) => {
                let out = &self.rest()[..i];
                self.pos += i + end.len();
                Ok(out)
            }
            None => Err(self.err(format!("unterminated {what}"))),
        }
    }

    /// A processing instruction (at `<?`): skipped, but `<?xml …?>` (the target is reserved)
    /// only as the document's first thing: a second declaration, or one after anything else, is
    /// no well-formed XML.
    fn instruction(&mut self) -> Result<(), XmlError> {
        let at = self.pos;
        self.pos += 2;
        let target = self
            .rest()
            .split(|c: char| c.is_whitespace() || c == '?')
            .next()
            .unwrap_or("");
        // Whitespace before it is let pass (systems that print a line first are common).
        if target.eq_ignore_ascii_case("xml") && !self.s[..at].trim().is_empty() {
            return Err(self.err("an XML declaration (<?xml …?>) may only open the document, once"));
        }
        self.until("?>", "processing instruction")?;
        Ok(())
    }

    /// Comments, processing instructions and whitespace between elements.
    fn skip_misc(&mut self) -> Result<(), XmlError> {
        loop {
            self.skip_ws();
            if self.eat("<!--") {
                self.until("-->", "comment")?;
            } else if self.rest().starts_with("<?") {
                self.instruction()?;
            } else if self.rest().starts_with("<!DOCTYPE") || self.rest().starts_with("<!doctype") {
                return Err(self.err("DOCTYPE declarations are not accepted"));
            } else {
                return Ok(());
            }
        }
    }

    fn name(&mut self) -> Result<&'a str, XmlError> {
        let rest = self.rest();
        let (end, ok) = match ascii_name(rest.as_bytes()) {
            Some(found) => found,
            None => {
                let end = rest
                    .char_indices()
                    .find(|(_, c)| {
                        c.is_whitespace() || matches!(c, '>' | '/' | '=' | '<' | '"' | '\'')
                    })
                    .map_or(rest.len(), |(i, _)| i);
                let name = &rest[..end];
                let ok = name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_' || c == ':')
                    && name
                        .chars()
                        .all(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.'));
                (end, ok)
            }
        };
        let name = &rest[..end];
        if !ok {
            return Err(self.err("expected an element or attribute name"));
        }
        self.pos += end;
        Ok(name)
    }

    /// An element at `depth` (the root's 0), its children read to [`MAX_DEPTH`] levels.
    fn element(&mut self, depth: usize) -> Result<(&'a str, Local<'a>), XmlError> {
        let start = self.pos;
        if !self.eat("<") {
            return Err(self.err("expected '<'"));
        }
        let name = self.name()?;
        if depth >= MAX_DEPTH {
            // Told at its `<`, with the limit and the level the form reached there.
            self.pos = start;
            return Err(self.err(format!(
                "elements nest deeper than {MAX_DEPTH} levels, the limit of every form (the root \
                 the first): <{}> here is level {}",
                shown(name),
                depth + 1
            )));
        }
        let mut attrs: Vec<(&'a str, Cow<'a, str>)> = Vec::new();
        loop {
            self.skip_ws();
            if self.eat("/>") {
                return Ok((name, finish(attrs, Vec::new(), Cow::Borrowed(""))));
            }
            if self.eat(">") {
                break;
            }
            if attrs.len() == MAX_ATTRIBUTES {
                return Err(self.err(format!(
                    "element <{}> has more than {MAX_ATTRIBUTES} attributes",
                    shown(name)
                )));
            }
            let key = self.name()?;
            self.skip_ws();
            if !self.eat("=") {
                return Err(self.err("expected '=' after an attribute name"));
            }
            self.skip_ws();
            let quote = if self.eat("\"") {
                "\""
            } else if self.eat("'") {
                "'"
            } else {
                return Err(self.err("attribute values are quoted"));
            };
            let raw = self.until(quote, "attribute value")?;
            let value = unescape(raw).map_err(|m| self.err(m))?;
            if attrs.iter().any(|(k, _)| *k == key) {
                return Err(self.err(format!("attribute {} given twice", shown(key))));
            }
            attrs.push((key, value));
        }
        // Becomes the element's record (see `finish`), so members are named as a record's are.
        let mut children: Vec<(Cow<'a, str>, Local<'a>)> = Vec::new();
        // Usually one piece of text: borrowed from the document unless it has entities.
        let mut text: Cow<'a, str> = Cow::Borrowed("");
        loop {
            let rest = self.rest().as_bytes();
            match rest {
                [] => {
                    return Err(self.err(format!("element <{}> is not closed", shown(name))));
                }
                [b'<', b'/', after @ ..] => {
                    self.pos += 2;
                    // The usual case, `</NAME>`: what `name()` would read is the opening name.
                    let same = after.starts_with(name.as_bytes())
                        && after.get(name.len()).is_some_and(|b| {
                            matches!(
                                b,
                                b' ' | b'\t'..=b'\r' | b'>' | b'/' | b'=' | b'<' | b'"' | b'\''
                            )
                        });
                    let close = if same {
                        self.pos += name.len();
                        name
                    } else {
                        self.name()?
                    };
                    if close != name {
                        return Err(self.err(format!(
                            "</{}> closes <{}>",
                            shown(close),
                            shown(name)
                        )));
                    }
                    self.skip_ws();
                    if !self.eat(">") {
                        return Err(self.err("expected '>'"));
                    }
                    break;
                }
                [b'<', b'!', ..] => {
                    if self.eat("<!--") {
                        self.until("-->", "comment")?;
                    } else if self.eat("<![CDATA[") {
                        let cdata = self.until("]]>", "CDATA section")?;
                        xml_characters(cdata).map_err(|m| self.err(m))?;
                        append(&mut text, Cow::Borrowed(cdata));
                    } else {
                        return Err(self.err("declarations are not accepted inside elements"));
                    }
                }
                [b'<', b'?', ..] => self.instruction()?,
                [b'<', ..] => {
                    let (child, v) = self.element(depth + 1)?;
                    if children.capacity() == 0 {
                        // An element with children usually has several.
                        children.reserve(8);
                    }
                    children.push((Cow::Borrowed(child), v));
                }
                _ => {
                    // '<' is ASCII, so the byte found is a character boundary.
                    let end = rest.iter().position(|&b| b == b'<').unwrap_or(rest.len());
                    let raw = &self.rest()[..end];
                    // XML 1.0 §2.4: `]]>` only ends a CDATA section.
                    if raw.contains("]]>") {
                        return Err(self.err("']]>' in text (it only ends a CDATA section)"));
                    }
                    append(
                        &mut text,
                        line_ends(unescape(raw).map_err(|m| self.err(m))?),
                    );
                    self.pos += end;
                }
            }
        }
        Ok((name, finish(attrs, children, text)))
    }
}

/// XML 1.0 §2.11: a text's line ends read as `\n`, whether written `\r\n` or a lone `\r`
/// (a form saved on an old Mac system must not keep a line end no other system reads).
fn line_ends(text: Cow<'_, str>) -> Cow<'_, str> {
    if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        text
    }
}

/// A name from the document as an error shows it: the sender made it up, so a number typed
/// into it is masked and a long one cut ([`tongban_schemas::mask::field_name`]).
fn shown(name: &str) -> std::borrow::Cow<'_, str> {
    tongban_schemas::mask::field_name(name)
}

/// Adds a piece of an element's text (the layout between children is pieces too).
fn append<'a>(text: &mut Cow<'a, str>, piece: Cow<'a, str>) {
    if text.is_empty() {
        *text = piece;
    } else {
        if let Cow::Borrowed(first) = text {
            // Room for the indentation between a few more children in one allocation.
            let mut owned = String::with_capacity(first.len() + piece.len() + 128);
            owned.push_str(first);
            *text = Cow::Owned(owned);
        }
        text.to_mut().push_str(&piece);
    }
}

/// The end of an ASCII name at the start of `b` and whether it is a valid name, exactly as the
/// character rules in [`Reader::name`] would find; `None` when the name has non-ASCII characters
/// (left to those rules).
fn ascii_name(b: &[u8]) -> Option<(usize, bool)> {
    let mut end = 0;
    let mut ok = true;
    while let Some(&c) = b.get(end) {
        match c {
            0x80.. => return None,
            // char::is_whitespace on ASCII: space and \t \n \x0B \x0C \r.
            b' ' | b'\t'..=b'\r' | b'>' | b'/' | b'=' | b'<' | b'"' | b'\'' => break,
            _ if end == 0 => ok = c.is_ascii_alphabetic() || matches!(c, b'_' | b':'),
            _ => ok &= c.is_ascii_alphanumeric() || matches!(c, b'_' | b':' | b'-' | b'.'),
        }
        end += 1;
    }
    Some((end, ok && end > 0))
}

/// An element's value: its text alone, or a record of `@attributes`, children (a repeated child
/// as a list, in document order) and `#text` beside children.
fn finish<'a>(
    attrs: Vec<(&'a str, Cow<'a, str>)>,
    mut members: Vec<(Cow<'a, str>, Local<'a>)>,
    text: Cow<'a, str>,
) -> Local<'a> {
    if attrs.is_empty() && members.is_empty() {
        return Local::Text(text);
    }
    // Stable, so children of one name stay in document order; then each run of one name becomes
    // one member (a list), in place.
    members.sort_by(|a, b| a.0.cmp(&b.0));
    members.dedup_by(|later, first| {
        if later.0 != first.0 {
            return false;
        }
        let v = std::mem::replace(&mut later.1, Local::Null);
        match &mut first.1 {
            // An element's value is a text or a record: a list is one made here.
            Local::List(items) => items.push(v),
            existing => {
                let one = std::mem::replace(existing, Local::Null);
                *existing = Local::List(vec![one, v]);
            }
        }
        true
    });
    let blank = text.bytes().all(|b| matches!(b, b' ' | b'\t'..=b'\r')) || text.trim().is_empty();
    if attrs.is_empty() && blank {
        // Children alone, grouped in name order: already a record.
        return Local::Record(members);
    }
    for (k, v) in attrs {
        members.push((Cow::Owned(format!("@{k}")), Local::Text(v)));
    }
    if !blank {
        members.push((Cow::Borrowed("#text"), Local::Text(text)));
    }
    Local::record(members)
}

fn unescape(raw: &str) -> Result<Cow<'_, str>, String> {
    let text = unescape_references(raw)?;
    xml_characters(&text)?;
    Ok(text)
}

/// XML 1.0 allows no C0 control but tab, line feed and carriage return, and neither U+FFFE nor
/// U+FFFF, raw, as a reference or in CDATA: a document holding one is not well-formed.
fn xml_characters(text: &str) -> Result<(), String> {
    match tongban_schemas::limits::control_character(text) {
        Some((_, c)) => Err(format!(
            "character U+{:04X} is not allowed in XML",
            u32::from(c)
        )),
        None => Ok(()),
    }
}

fn unescape_references(raw: &str) -> Result<Cow<'_, str>, String> {
    // Element texts are short: a plain loop beats setting up memchr.
    if !raw.bytes().any(|b| b == b'&') {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        let end = rest
            .find(';')
            .filter(|&e| e <= 10)
            .ok_or_else(|| "'&' must start an entity such as &amp;".to_string())?;
        let entity = &rest[..end];
        let c = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = entity.strip_prefix('#') {
                    dec.parse::<u32>().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .filter(|c| *c != '\0')
                    .ok_or_else(|| format!("unknown entity &{};", shown(entity)))?
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// Reads a whole document (after the caller decoded it to text).
pub fn parse(text: &str) -> Result<Document, XmlError> {
    let (root, content) = parse_local(text)?;
    Ok(Document {
        root: root.to_string(),
        content: content.to_value(),
    })
}

/// [`parse`], the tree borrowing its texts from `text`: the root element's name and content.
pub fn parse_local(text: &str) -> Result<(&str, Local<'_>), XmlError> {
    let mut r = Reader {
        s: text.strip_prefix('\u{FEFF}').unwrap_or(text),
        pos: 0,
    };
    r.skip_misc()?;
    if r.rest().is_empty() {
        return Err(r.err("the document is empty"));
    }
    let (root, content) = r.element(0)?;
    r.skip_misc()?;
    if !r.rest().is_empty() {
        return Err(r.err("content after the root element"));
    }
    Ok((root, content))
}

/// The `encoding` of an XML declaration (`<?xml version="1.0" encoding="GBK"?>`), read from the
/// ASCII bytes at the start, before the document can be decoded.
pub fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.iter().position(|&b| b == b'>')?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &rest[1..];
    Some(body[..body.find(quote)?].to_string())
}

fn escape(s: &str, out: &mut String, attribute: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Writes `content` as the document `<root>…</root>`, children in the order `known` gives (the
/// spec's order), two-space indented, with a declaration naming `encoding`.
pub fn write(root: &str, content: &Value, known: &Known, encoding: &str) -> String {
    let mut out = format!("<?xml version=\"1.0\" encoding=\"{encoding}\"?>\n");
    element(root, content, Some(known), 0, &mut out);
    out
}

fn element(name: &str, v: &Value, known: Option<&Known>, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    match v {
        Value::Array(items) => {
            let item_known = known.and_then(Known::item).or(known);
            for it in items {
                element(name, it, item_known, depth, out);
            }
        }
        Value::Object(map) => {
            out.push_str(&indent);
            out.push('<');
            out.push_str(name);
            for (k, a) in map.iter().filter(|(k, _)| k.starts_with('@')) {
                out.push(' ');
                out.push_str(&k[1..]);
                out.push_str("=\"");
                escape(&text_of(a), out, true);
                out.push('"');
            }
            out.push_str(">\n");
            if let Some(t) = map.get("#text") {
                out.push_str(&indent);
                out.push_str("  ");
                escape(&text_of(t), out, false);
                out.push('\n');
            }
            let mut keys: Vec<&String> = map
                .keys()
                .filter(|k| !k.starts_with('@') && *k != "#text")
                .collect();
            keys.sort_by_key(|k| known.map_or(usize::MAX, |n| n.rank(k)));
            for k in keys {
                let child_known = known.and_then(|n| n.child(k));
                element(k, &map[k.as_str()], child_known, depth + 1, out);
            }
            out.push_str(&indent);
            out.push_str("</");
            out.push_str(name);
            out.push_str(">\n");
        }
        scalar => {
            out.push_str(&indent);
            out.push('<');
            out.push_str(name);
            out.push('>');
            escape(&text_of(scalar), out, false);
            out.push_str("</");
            out.push_str(name);
            out.push_str(">\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_trees() {
        let d = parse(
            "<?xml version=\"1.0\"?>\n<!-- c --><R a=\"1\"><X>陳 &amp; &#x4E2D;</X><L><I>1</I><I>2</I></L><E/><C><![CDATA[<b>]]></C></R>",
        )
        .unwrap();
        assert_eq!(d.root, "R");
        assert_eq!(
            d.content,
            json!({"@a": "1", "X": "陳 & 中", "L": {"I": ["1", "2"]}, "E": "", "C": "<b>"})
        );
    }

    #[test]
    fn refuses_broken_documents() {
        for bad in [
            "",
            "<R>",
            "<R></S>",
            "<R><X></R>",
            "<R>&bogus;</R>",
            "<R>a & b</R>",
            "<!DOCTYPE R [<!ENTITY x \"y\">]><R/>",
            "<R/><S/>",
            "<R a=1/>",
            "<1R/>",
            "<R>&#0;</R>",
            "<R>&#1;</R>",
            "<R>a\u{1}b</R>",
            "<R a=\"&#x1F;\"/>",
            "<R><![CDATA[a\u{1}b]]></R>",
            "<R>a&#xFFFF;b</R>",
            "<R>a\u{FFFE}b</R>",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert!(parse(&deep).unwrap_err().message.contains("deeper"));
    }

    /// Given a form whose elements nest one level past the gateway's limit (the root the first),
    /// when it is read, then it is refused at that element's `<`, naming the limit and the level;
    /// at the limit itself it is read.
    #[test]
    fn elements_nest_as_deep_as_the_gateway_allows_and_no_deeper() {
        let nested = |levels: usize| {
            let mut text = String::new();
            for _ in 0..levels {
                text.push_str("<a>\n");
            }
            text.push('x');
            text.push_str(&"</a>".repeat(levels));
            text
        };
        assert!(parse(&nested(MAX_DEPTH)).is_ok());
        let err = parse(&nested(MAX_DEPTH + 1)).expect_err("one level too deep");
        assert_eq!((err.line, err.column), (MAX_DEPTH + 1, 1), "{err}");
        assert!(
            err.message
                .contains("elements nest deeper than 32 levels, the limit of every form"),
            "{err}"
        );
        assert!(err.message.contains("<a> here is level 33"), "{err}");
        assert!(
            parse("<R a=\"1\" b=\"2\" a=\"3\"/>")
                .unwrap_err()
                .message
                .contains("attribute a given twice")
        );
    }

    /// A name in an error is shown as made-up names are: a phone number typed into an element
    /// name is not echoed, nor a name of a megabyte.
    #[test]
    fn names_in_errors_hide_numbers_and_are_cut() {
        let err = parse("<SQRXX><顾雪13601701234>x</SQRXX>").expect_err("mismatched");
        assert!(!err.message.contains("13601701234"), "{err:?}");
        assert!(err.message.contains("顾雪136******34"), "{err:?}");
        let long = "a".repeat(100_000);
        let err = parse(&format!("<R><{long}>")).expect_err("not closed");
        assert!(err.message.len() < 1000, "{} bytes", err.message.len());
    }

    /// XML 1.0's rules a reader must keep: one declaration, first; `]]>` never in text; line
    /// ends read as `\n` (a lone `\r` too).
    #[test]
    fn declarations_cdata_ends_and_line_ends_are_read_as_xml_says() {
        assert!(parse("<?xml version=\"1.0\"?>\n<R><X>a</X></R>").is_ok());
        assert!(parse("\n<?xml version=\"1.0\"?><R/>").is_ok());
        for bad in [
            "<?xml version=\"1.0\"?><?xml version=\"1.0\"?><R/>",
            "<R><?xml version=\"1.0\"?></R>",
            "<!-- c --><?xml version=\"1.0\"?><R/>",
        ] {
            let err = parse(bad).expect_err(bad);
            assert!(err.message.contains("declaration"), "{bad}: {err:?}");
        }
        let err = parse("<R><X>a]]>b</X></R>").expect_err("]]> in text");
        assert!(err.message.contains("]]>"), "{err:?}");
        let doc = parse("<R><X>a\rb\r\nc</X></R>").expect("line ends");
        assert_eq!(doc.content["X"], "a\nb\nc");
    }

    #[test]
    fn a_start_tag_with_too_many_attributes_is_refused_by_count() {
        let tag = |n: usize| {
            let attrs: String = (0..n).map(|i| format!(" a{i}=\"\"")).collect();
            format!("<R{attrs}/>")
        };
        let most = parse(&tag(MAX_ATTRIBUTES)).expect("as many as allowed");
        assert_eq!(
            most.content.as_object().map(|o| o.len()),
            Some(MAX_ATTRIBUTES)
        );
        // Tens of thousands used to take seconds (each checked against all before it).
        let err = parse(&tag(80_000)).unwrap_err();
        assert!(
            err.message
                .contains(&format!("<R> has more than {MAX_ATTRIBUTES} attributes")),
            "{err:?}"
        );
    }

    #[test]
    fn declared_encodings() {
        assert_eq!(
            declared_encoding(b"<?xml version=\"1.0\" encoding=\"GBK\"?><R/>").as_deref(),
            Some("GBK")
        );
        assert_eq!(declared_encoding(b"<R/>"), None);
    }

    #[test]
    fn writes_what_it_reads() {
        let v = json!({"B": "2", "A": {"I": ["x", "y"]}, "C": "<&>"});
        let text = write("R", &v, &Known::default(), "UTF-8");
        assert_eq!(parse(&text).unwrap().content, v);
    }
}
