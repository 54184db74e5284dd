//! Bytes ↔ local form trees: JSON (UTF-8) or XML in the charset the caller declares (GBK and
//! GB 18030 via `encoding_rs`). Malformed bytes are refused, never replaced with U+FFFD, because
//! a silently mangled name is worse than a clear error.

use std::borrow::Cow;

use encoding_rs::Encoding;
use serde_json::Value;

use crate::engine::{Adapter, Rejection, Translation, form_problem};
use crate::local::{Local, Unread};
use crate::spec::Format;
use crate::xml;

/// Local forms larger than this are refused before decoding.
pub const MAX_FORM_BYTES: usize = 1 << 20;

/// The `charset` parameter of a Content-Type, if any.
pub fn charset_of(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"'))
    })
}

/// Who named the charset of a local form. A disagreement with the XML declaration is told in the
/// caller's own terms: an HTTP client set a Content-Type header, a command-line user an option,
/// and an error about a header the user never wrote would send them looking for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharsetSource<'a> {
    /// A Content-Type value (`application/xml; charset=GBK`): its `charset` parameter, if any.
    ContentType(&'a str),
    /// A charset label given on its own with the named option (`--charset GBK`), or none: then
    /// the option is what a refusal tells the caller to give one with.
    Option {
        option: &'a str,
        label: Option<&'a str>,
    },
}

impl<'a> CharsetSource<'a> {
    /// The charset label it names, if any.
    fn label(self) -> Option<&'a str> {
        match self {
            CharsetSource::ContentType(ct) => charset_of(ct),
            CharsetSource::Option { label, .. } => label,
        }
    }

    /// What a form whose bytes are not UTF-8 is told: most such forms are GBK (or GB 18030)
    /// sent without saying so, so it says how to say so as the caller names a charset (`source`:
    /// the option on the command line, else a Content-Type, or for XML its declaration).
    fn not_utf8(source: Option<Self>, format: Format) -> String {
        let (zh, en) = match (source, format) {
            (Some(CharsetSource::Option { option, .. }), _) => {
                (format!("{option} GBK"), format!("give {option} GBK"))
            }
            (_, Format::Json) => (
                "Content-Type: application/json; charset=GBK".to_string(),
                "send it as Content-Type: application/json; charset=GBK".to_string(),
            ),
            (_, Format::Xml) => (
                "Content-Type: application/xml; charset=GBK，或 XML 声明 encoding=\"GBK\""
                    .to_string(),
                "send it as Content-Type: application/xml; charset=GBK, or declare \
                 encoding=\"GBK\" in the XML"
                    .to_string(),
            ),
        };
        format!(
            "正文不是有效的 UTF-8 编码；GBK 或 GB18030 编码的表单须注明字符集：{zh} (或 GB18030) \
             (the body is not valid UTF-8: for a form in GBK, {en}, or GB18030)"
        )
    }

    /// The problem when its charset and the XML declaration's disagree.
    fn disagreement(self, header: &str, document: &str) -> String {
        match self {
            CharsetSource::ContentType(_) => format!(
                "Content-Type 的字符集 {header} 与 XML 声明的 {document} 不一致 \
                 (the Content-Type charset and the XML declaration disagree)"
            ),
            CharsetSource::Option { option, .. } => format!(
                "{option} 给出的字符集 {header} 与 XML 声明的 {document} 不一致 \
                 (the charset given with {option} and the XML declaration disagree)"
            ),
        }
    }
}

/// Why bytes could not be read as text in a province's charset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CharsetError {
    /// The label names none of UTF-8, GBK and GB 18030.
    Unsupported(String),
    /// The bytes are not valid in the named encoding: its name, and the offset of the first
    /// byte that is not (of the bytes as given, a byte order mark included), so that a message
    /// can say where.
    Malformed {
        encoding: &'static str,
        offset: usize,
    },
}

/// The offset in `bytes` of the first byte sequence `enc` cannot decode (`bytes.len()` if
/// none): only asked once decoding has failed, so the second pass costs nothing on valid text.
fn first_malformed(enc: &'static Encoding, bytes: &[u8]) -> usize {
    if enc == encoding_rs::UTF_8 {
        return std::str::from_utf8(bytes).map_or_else(|e| e.valid_up_to(), |_| bytes.len());
    }
    let mut decoder = enc.new_decoder_without_bom_handling();
    let room = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len().saturating_mul(4));
    let mut out = String::with_capacity(room);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        // `read` is past the malformed sequence and the bytes read after it.
        encoding_rs::DecoderResult::Malformed(bad, after) => {
            read.saturating_sub(usize::from(bad) + usize::from(after))
        }
        _ => read,
    }
}

/// The encodings provinces' systems write (local forms, record exports): UTF-8, GBK, GB 18030.
pub fn accepted_encoding(label: &str) -> Result<&'static Encoding, CharsetError> {
    match Encoding::for_label(label.trim().as_bytes()) {
        Some(e)
            if e == encoding_rs::UTF_8 || e == encoding_rs::GBK || e == encoding_rs::GB18030 =>
        {
            Ok(e)
        }
        _ => Err(CharsetError::Unsupported(label.to_string())),
    }
}

/// The text of `bytes` in the charset `label` names, strictly: a UTF-8 byte order mark is
/// dropped, malformed bytes are an error, never replaced; valid UTF-8 is borrowed, not copied.
pub fn decode_strict<'b>(bytes: &'b [u8], label: &str) -> Result<Cow<'b, str>, CharsetError> {
    let enc = accepted_encoding(label)?;
    let body = if enc == encoding_rs::UTF_8 {
        bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
    } else {
        bytes
    };
    enc.decode_without_bom_handling_and_without_replacement(body)
        .ok_or_else(|| CharsetError::Malformed {
            encoding: enc.name(),
            offset: bytes.len() - body.len() + first_malformed(enc, body),
        })
}

/// Where a bad byte is, for people: `line 3, column 7 (byte 0xFF)`, the column counted in
/// characters of the line so far, as read in `encoding` (the bytes before `offset` read): a
/// province's export that is not in its encoding, a file that must be UTF-8 and is not.
pub fn byte_place(bytes: &[u8], offset: usize, encoding: &str) -> String {
    let before = bytes.get(..offset).unwrap_or(bytes);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let start = if line == 1 && before.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        start
    };
    let so_far = before.get(start..).unwrap_or_default();
    let column = decode_strict(so_far, encoding).map_or(so_far.len(), |t| t.chars().count()) + 1;
    match bytes.get(offset) {
        Some(b) => format!("line {line}, column {column} (byte 0x{b:02X})"),
        None => format!("line {line}, column {column} (the file ends inside a character)"),
    }
}

/// The text of a file that must be UTF-8 (a heads file, a tokens file, a holiday calendar, a
/// candidate schema), or why it is not, for the caller to say after the file's name: where its
/// first byte that is not UTF-8 is, and what to do (`must be UTF-8 text: line 2, column 5 (byte
/// 0xD5) is not valid UTF-8; save it as UTF-8`), where the standard library's error said only
/// `stream did not contain valid UTF-8`. A byte order mark is kept, for the reader to pass over.
pub fn utf8_text(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        format!(
            "must be UTF-8 text: {} is not valid UTF-8; save it as UTF-8",
            byte_place(e.as_bytes(), at, "UTF-8")
        )
    })
}

/// The text of the file at `path`, which must be UTF-8 ([`utf8_text`]), or why it does not
/// read (the system's error, or where it is not UTF-8), for the caller to say after the file's
/// name as it was given.
pub fn read_utf8(path: impl AsRef<std::path::Path>) -> Result<String, String> {
    utf8_text(std::fs::read(path).map_err(|e| e.to_string())?)
}

/// A charset problem with a local form, in the caller's words.
fn charset_problem(e: CharsetError) -> Rejection {
    Rejection::one(match e {
        // The label is the caller's (a Content-Type's `charset=`, an XML declaration): quoted
        // only when it has a media type's form, as the gateway's refusals quote such values.
        CharsetError::Unsupported(label) => form_problem(
            "charset",
            format!(
                "不支持的字符集 {}；请使用 UTF-8、GB18030 或 GBK (unsupported charset)",
                tongban_schemas::shown::said(&label, tongban_schemas::shown::media_type)
            ),
        ),
        CharsetError::Malformed { encoding: name, .. } => form_problem(
            "encoding",
            format!("正文不是有效的 {name} 编码 (the body is not valid {name})"),
        ),
    })
}

/// The encodings accepted for local forms.
fn encoding(label: &str) -> Result<&'static Encoding, Rejection> {
    accepted_encoding(label).map_err(charset_problem)
}

/// Whether both labels name the GB family (GBK and its superset GB 18030 read GBK text alike).
fn both_gb(a: &str, b: &str) -> Result<bool, Rejection> {
    let gb = |e: &'static Encoding| e == encoding_rs::GBK || e == encoding_rs::GB18030;
    Ok(gb(encoding(a)?) && gb(encoding(b)?))
}

/// The text of a `format` form's `bytes` ([`decode_strict`]) in the charset `label` names,
/// refused in the caller's words; bytes that are not UTF-8 are told how to name their charset
/// as `source` would ([`CharsetSource::not_utf8`]).
fn decode<'b>(
    bytes: &'b [u8],
    label: &str,
    source: Option<CharsetSource<'_>>,
    format: Format,
) -> Result<Cow<'b, str>, Rejection> {
    decode_strict(bytes, label).map_err(|e| match e {
        CharsetError::Malformed { encoding, .. } if encoding == encoding_rs::UTF_8.name() => {
            Rejection::one(form_problem(
                "encoding",
                CharsetSource::not_utf8(source, format),
            ))
        }
        e => charset_problem(e),
    })
}

impl Adapter {
    /// Reads a local form from bytes. `content_type` (e.g. `application/xml; charset=GBK`) names
    /// the charset; XML without one falls back to its declaration, then UTF-8.
    pub fn read_local(&self, bytes: &[u8], content_type: Option<&str>) -> Result<Value, Rejection> {
        let text = self.form_text(bytes, content_type.map(CharsetSource::ContentType))?;
        Ok(self.parse_text(&text)?.to_value())
    }

    /// The form's bytes as text: size limit, charset, strict decoding (UTF-8 is borrowed). The
    /// first step of [`Adapter::translate_from`], for a caller that holds the text to more before
    /// it is read (the gateway's limit on nesting, which only the decoded text shows: a GBK
    /// character's second byte can be `[` or `\`) and then goes on with
    /// [`Adapter::translate_text`].
    pub fn form_text<'b>(
        &self,
        bytes: &'b [u8],
        source: Option<CharsetSource<'_>>,
    ) -> Result<Cow<'b, str>, Rejection> {
        if bytes.len() > MAX_FORM_BYTES {
            return Err(Rejection::one(form_problem(
                "too-large",
                format!("本地表单超过 {MAX_FORM_BYTES} 字节 (form too large)"),
            )));
        }
        let declared = source.and_then(CharsetSource::label);
        match self.format {
            Format::Json => decode(bytes, declared.unwrap_or("UTF-8"), source, self.format),
            Format::Xml => {
                let in_document = xml::declared_encoding(bytes);
                if let (Some(source), Some(header), Some(document)) =
                    (source, declared, in_document.as_deref())
                    && encoding(header)? != encoding(document)?
                    && !both_gb(header, document)?
                {
                    // UTF-8 bytes of Chinese text are often valid GBK too: decoding with the wrong
                    // one of two disagreeing labels garbles every name without an error.
                    return Err(Rejection::one(form_problem(
                        "charset",
                        source.disagreement(header, document),
                    )));
                }
                let label = declared
                    .map(str::to_string)
                    .or(in_document)
                    .unwrap_or_else(|| "UTF-8".into());
                decode(bytes, &label, source, self.format)
            }
        }
    }

    /// The form tree of decoded text, borrowing from it.
    fn parse_text<'t>(&self, text: &'t str) -> Result<Local<'t>, Rejection> {
        match self.format {
            Format::Json => crate::local::from_json(text).map_err(|e| json_refused(&e)),
            Format::Xml => self.parse_xml(text),
        }
    }

    /// The form tree of decoded XML text, borrowing from it.
    fn parse_xml<'t>(&self, text: &'t str) -> Result<Local<'t>, Rejection> {
        let (doc_root, content) = xml::parse_local(text).map_err(|e| {
            Rejection::one(form_problem(
                "xml-syntax",
                format!("本地表单不是有效的 XML ({e})"),
            ))
        })?;
        let root = self.xml.as_ref().map(|x| x.root.as_str()).unwrap_or("");
        if !root.is_empty() && doc_root != root {
            return Err(Rejection::one(form_problem(
                "xml-root",
                format!(
                    "根元素应为 <{root}>，收到 <{}> (wrong root element)",
                    tongban_schemas::mask::field_name(doc_root)
                ),
            )));
        }
        Ok(content)
    }

    /// Bytes of a local form → canonical body: [`Adapter::read_local`] then [`Adapter::inbound`],
    /// without building the local form as a `serde_json::Value` in between: the form is read into
    /// a [`Local`] that borrows its texts from `bytes`.
    pub fn translate(
        &self,
        bytes: &[u8],
        content_type: Option<&str>,
    ) -> Result<Translation, Rejection> {
        self.translate_from(bytes, content_type.map(CharsetSource::ContentType), &|_| {
            Vec::new()
        })
    }

    /// [`Adapter::translate`] with its two choices made by the caller: who names the charset
    /// (`source`: a Content-Type, or a label given with a command-line option, which problems
    /// then name instead of a header), and the caller's own checks of the canonical body
    /// (`extra`, see [`Adapter::inbound_local_with`]; `&|_| Vec::new()` for none). Every reading
    /// of a form goes through here, so that a fix to the reading path reaches the gateway's form
    /// route and `tongban adapt` alike.
    pub fn translate_from(
        &self,
        bytes: &[u8],
        source: Option<CharsetSource<'_>>,
        extra: &dyn Fn(&Value) -> Vec<tongban_schemas::Violation>,
    ) -> Result<Translation, Rejection> {
        let text = self.form_text(bytes, source)?;
        self.translate_text(&text, extra)
    }

    /// The second step of [`Adapter::translate_from`]: the text of a form
    /// ([`Adapter::form_text`]) read and translated.
    pub fn translate_text(
        &self,
        text: &str,
        extra: &dyn Fn(&Value) -> Vec<tongban_schemas::Violation>,
    ) -> Result<Translation, Rejection> {
        self.inbound_local_with(&self.parse_text(text)?, extra)
    }

    /// [`Adapter::translate_text`], with a JSON form's objects and arrays nested at most
    /// `max_depth` levels deep, counted as the form is read rather than by a scan before it: the
    /// gateway holds every JSON body to its limit, and a form past it is its 400, not a problem of
    /// the form. An XML form's elements are not counted here.
    pub fn translate_text_within(
        &self,
        text: &str,
        max_depth: usize,
        extra: &dyn Fn(&Value) -> Vec<tongban_schemas::Violation>,
    ) -> Result<Result<Translation, Rejection>, TooDeep> {
        match self.format {
            Format::Json => match crate::local::from_json_within(text, max_depth) {
                Ok(local) => Ok(self.inbound_local_with(&local, extra)),
                Err(Unread::TooDeep(at)) => Err(TooDeep(at)),
                Err(Unread::Json(e)) => Ok(Err(json_refused(&e))),
            },
            Format::Xml => Ok(self.translate_text(text, extra)),
        }
    }

    /// The content type this region's forms are written in (`application/xml; charset=GBK`).
    pub fn content_type(&self) -> String {
        match (self.format, &self.xml) {
            (Format::Xml, Some(x)) => format!("application/xml; charset={}", x.charset),
            (Format::Xml, None) => "application/xml; charset=UTF-8".into(),
            (Format::Json, _) => "application/json".into(),
        }
    }

    /// Writes a local form tree as bytes in this region's format and charset. Characters the
    /// charset cannot hold (GBK has no 生僻字 beyond its repertoire) become XML character references.
    pub fn write_local(&self, local: &Value) -> Vec<u8> {
        match self.format {
            Format::Json => {
                let mut out = serde_json::to_vec_pretty(local).unwrap_or_default();
                out.push(b'\n');
                out
            }
            Format::Xml => {
                let (root, charset) = self
                    .xml
                    .as_ref()
                    .map_or(("form", "UTF-8"), |x| (x.root.as_str(), x.charset.as_str()));
                let enc = Encoding::for_label(charset.as_bytes()).unwrap_or(encoding_rs::UTF_8);
                let mut text = xml::write(root, local, self.known(), charset);
                // The WHATWG GBK encoder writes € as the single byte 0x80 (Windows code page
                // 936), which GB 18030 and many GBK decoders refuse: a reference every XML
                // reader takes instead, as for the characters GBK lacks.
                if enc == encoding_rs::GBK && text.contains('€') {
                    text = text.replace('€', "&#8364;");
                }
                let (bytes, _, _) = enc.encode(&text);
                bytes.into_owned()
            }
        }
    }

    /// Canonical body → local form bytes.
    pub fn render(&self, canonical: &Value) -> Result<Vec<u8>, Rejection> {
        Ok(self.write_local(&self.outbound(canonical)?))
    }
}

/// A JSON form's reading error as the form's problem: a member given twice at its pointer, or
/// the syntax error with serde_json's line and column.
fn json_refused(e: &serde_json::Error) -> Rejection {
    Rejection::one(match crate::local::duplicate_member(e) {
        // Which of two values was meant is the province's to say, not ours. Named
        // at its pointer (`/SQRY/0/XM`), as the canonical routes name one, and as
        // every other problem of the form is: the name alone does not say which
        // record of a list holds it.
        Some(duplicate) => {
            let name = tongban_schemas::mask::field_name(&duplicate.name).into_owned();
            let mut p = form_problem(
                "duplicate-member",
                format!(
                    "字段 {name} 重复出现 (member {name:?} given twice; \
                     line {}, column {})",
                    e.line(),
                    e.column()
                ),
            );
            p.pointer = tongban_schemas::mask::field_path(&duplicate.pointer).into_owned();
            p.field = name;
            p
        }
        None => form_problem(
            "json-syntax",
            format!("本地表单不是有效的 JSON (not valid JSON: {e})"),
        ),
    })
}

/// The byte at which a JSON form opens an object or array past the depth it was held to
/// ([`Adapter::translate_text_within`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep(pub usize);

#[cfg(test)]
mod tests {
    use super::*;

    /// Given a file that must be UTF-8 and holds GBK (张 is D5 C5) on its second line, then the
    /// refusal says it must be UTF-8, the line, the column in characters and the byte; UTF-8
    /// text, a byte order mark kept, is read as it is.
    #[test]
    fn a_file_that_is_not_utf8_is_refused_saying_where() {
        assert_eq!(
            utf8_text(b"{\n  \"\xE5\xBC\xA0\xD5\xC5\": 1}".to_vec()),
            Err(
                "must be UTF-8 text: line 2, column 5 (byte 0xD5) is not valid UTF-8; save it \
                 as UTF-8"
                    .into()
            )
        );
        assert_eq!(
            utf8_text(b"\xEF\xBB\xBF{}".to_vec()).as_deref(),
            Ok("\u{feff}{}")
        );
        assert!(
            utf8_text(b"ab\xE5\xBC".to_vec())
                .is_err_and(|e| e.contains("line 1, column 3 (byte 0xE5)"))
        );
    }

    #[test]
    fn charsets() {
        assert_eq!(charset_of("application/xml; charset=GBK"), Some("GBK"));
        assert_eq!(
            charset_of("application/xml;charset=\"gb18030\""),
            Some("gb18030")
        );
        assert_eq!(charset_of("application/json"), None);
        let decode = |bytes, label| decode(bytes, label, None, Format::Json);
        assert!(decode(b"\xB3\xC2", "GBK").is_ok());
        assert!(decode(b"\xB3", "GBK").is_err());
        assert!(decode(b"\xFF\xFE", "UTF-8").is_err());
        assert!(decode(b"x", "latin1").is_err());
    }

    /// Given a charset the adapters do not read, when it is refused, then its label is quoted
    /// when it has a media type's form (`latin1`), and described by its length when it holds
    /// what may be an ID number or a phone (a value pasted into `charset=`).
    #[test]
    fn an_unsupported_charset_is_quoted_only_when_it_has_a_charsets_form() {
        let said = |label: &str| {
            let refused = charset_problem(CharsetError::Unsupported(label.to_string()));
            serde_json::to_string(&refused.problems).expect("json")
        };
        assert!(
            said("latin1").contains("\\\"latin1\\\""),
            "{}",
            said("latin1")
        );
        let pasted = said("11010519491231002X");
        assert!(!pasted.contains("11010519491231002"), "{pasted}");
        assert!(pasted.contains("18 characters, not shown"), "{pasted}");
    }

    /// Given bytes malformed in UTF-8 (after a byte order mark) and in GBK, when they are
    /// decoded strictly, then the error gives the offset of the first bad byte in the bytes as
    /// given.
    #[test]
    fn malformed_bytes_are_located() {
        let at = |bytes: &[u8], label: &str| match decode_strict(bytes, label) {
            Err(CharsetError::Malformed { encoding, offset }) => Some((encoding, offset)),
            _ => None,
        };
        assert_eq!(at(b"\xEF\xBB\xBFab\xFFc", "UTF-8"), Some(("UTF-8", 5)));
        assert_eq!(at(b"\xB3\xC2x\n\xFF", "GBK"), Some(("GBK", 4)));
        assert_eq!(at(b"\xB3\xC2\xB3", "GB18030"), Some(("gb18030", 2)));
    }
}
