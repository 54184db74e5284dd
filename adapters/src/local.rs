//! A local form as the engine reads it: the JSON data model (`null`, booleans, numbers, text,
//! lists, records), but borrowing its text from the bytes it was read from wherever it can.
//!
//! Translating a form used to parse it into a `serde_json::Value` — one allocation per member name
//! and per text, all copied again on the way into the canonical body and then freed. A [`Local`]
//! read from JSON or XML text points into that text instead (only texts with escapes or entities
//! are owned), and a record is one sorted vector instead of a tree of map nodes. It is only ever
//! read: the canonical body is still a `Value`.
//!
//! Records behave like `serde_json`'s maps (members sorted by name), except that JSON text with a
//! name given twice in one object is refused rather than read as its last value.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A local form or a part of it.
#[derive(Debug, Clone, PartialEq)]
pub enum Local<'a> {
    Null,
    Bool(bool),
    Number(Number),
    Text(Cow<'a, str>),
    List(Vec<Local<'a>>),
    /// Members sorted by name, each name once (see [`Local::record`]).
    Record(Vec<(Cow<'a, str>, Local<'a>)>),
}

impl<'a> Local<'a> {
    /// A record from members in any order; a name given twice keeps its last value, as in
    /// `serde_json`.
    pub fn record(mut members: Vec<(Cow<'a, str>, Local<'a>)>) -> Local<'a> {
        // Stable, so equal names stay in the order given and the last one can be kept.
        members.sort_by(|a, b| a.0.cmp(&b.0));
        if members.windows(2).any(|w| w[0].0 == w[1].0) {
            let mut unique: Vec<(Cow<'a, str>, Local<'a>)> = Vec::with_capacity(members.len());
            for m in members {
                match unique.last_mut() {
                    Some(last) if last.0 == m.0 => *last = m,
                    _ => unique.push(m),
                }
            }
            members = unique;
        }
        Local::Record(members)
    }

    /// The member `name` of a record.
    pub fn get(&self, name: &str) -> Option<&Local<'a>> {
        match self {
            // A form's records are small: comparing for equality (lengths first) beats ordering.
            Local::Record(members) if members.len() <= 16 => members
                .iter()
                .find(|(k, _)| k.as_ref() == name)
                .map(|(_, v)| v),
            Local::Record(members) => members
                .binary_search_by(|(k, _)| k.as_ref().cmp(name))
                .ok()
                .map(|i| &members[i].1),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Local::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_record(&self) -> bool {
        matches!(self, Local::Record(_))
    }

    /// Writes `value` at `path` (member names from here), creating records on the way. Returns
    /// false (and writes nothing) when a step is occupied by something that is not a record.
    pub fn set(&mut self, path: &'a [String], value: Local<'a>) -> bool {
        let Some((first, rest)) = path.split_first() else {
            *self = value;
            return true;
        };
        let Local::Record(members) = self else {
            return false;
        };
        let i = match members.binary_search_by(|(k, _)| k.as_ref().cmp(first.as_str())) {
            Ok(i) => i,
            Err(i) => {
                let fresh = if rest.is_empty() {
                    Local::Null
                } else {
                    Local::Record(Vec::new())
                };
                members.insert(i, (Cow::Borrowed(first.as_str()), fresh));
                i
            }
        };
        members[i].1.set(rest, value)
    }

    /// The same tree as a `serde_json::Value`.
    pub fn to_value(&self) -> Value {
        match self {
            Local::Null => Value::Null,
            Local::Bool(b) => Value::Bool(*b),
            Local::Number(n) => Value::Number(n.clone()),
            Local::Text(s) => Value::String(s.to_string()),
            Local::List(items) => Value::Array(items.iter().map(Local::to_value).collect()),
            Local::Record(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect::<Map<String, Value>>(),
            ),
        }
    }

    /// A view of a `serde_json::Value` (its texts borrowed).
    pub fn from_value(v: &'a Value) -> Local<'a> {
        match v {
            Value::Null => Local::Null,
            Value::Bool(b) => Local::Bool(*b),
            Value::Number(n) => Local::Number(n.clone()),
            Value::String(s) => Local::Text(Cow::Borrowed(s)),
            Value::Array(items) => Local::List(items.iter().map(Local::from_value).collect()),
            // A serde_json map iterates in name order, each name once: already a record.
            Value::Object(map) => Local::Record(
                map.iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), Local::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// An owned copy of a `serde_json::Value` (for spec constants and defaults).
    pub fn owned(v: &Value) -> Local<'static> {
        match v {
            Value::Null => Local::Null,
            Value::Bool(b) => Local::Bool(*b),
            Value::Number(n) => Local::Number(n.clone()),
            Value::String(s) => Local::Text(Cow::Owned(s.clone())),
            Value::Array(items) => Local::List(items.iter().map(Local::owned).collect()),
            Value::Object(map) => Local::Record(
                map.iter()
                    .map(|(k, v)| (Cow::Owned(k.clone()), Local::owned(v)))
                    .collect(),
            ),
        }
    }
}

/// A record read from JSON: a member name given twice is refused, naming it (the error of
/// [`duplicate_member`]) — a province's form that says two things of one field is not guessed at,
/// as an XML element sent twice is not.
fn unique_record<'a>(
    mut members: Vec<(Cow<'a, str>, Local<'a>)>,
) -> Result<Local<'a>, Cow<'a, str>> {
    // Stable, so the first of two equal names is the one named.
    members.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(i) = members.windows(2).position(|w| w[0].0 == w[1].0) {
        return Err(members.swap_remove(i).0);
    }
    Ok(Local::Record(members))
}

/// What a duplicate member's error says before the name (see [`duplicate_member`]).
const DUPLICATE: &str = "duplicate member ";
/// What it says between the name and the pointer of the object holding it.
const IN: &str = " in ";

/// A member name given twice in one object, as a [`from_json`] error names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The name, as sent.
    pub name: String,
    /// The JSON pointer (RFC 6901) of the member given twice, e.g. `/applicant/name`: where a
    /// problem about it points.
    pub pointer: String,
}

/// The member a [`from_json`] error refuses as given twice, if that is what it is. One detector
/// for every JSON body the gateway reads: the local forms and the canonical JSON routes.
pub fn duplicate_member(e: &serde_json::Error) -> Option<Duplicate> {
    if e.classify() != serde_json::error::Category::Data {
        return None;
    }
    let text = e.to_string();
    let message = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(m, _)| m);
    let (name, parent) = parse_duplicate(message)?;
    let pointer = format!(
        "{parent}{}",
        tongban_schemas::pointer(&[tongban_schemas::Step::Member(&name)])
    );
    Some(Duplicate { name, pointer })
}

/// `duplicate member "<name>" in "<pointer of its object>"` as (name, pointer).
fn parse_duplicate(message: &str) -> Option<(String, String)> {
    let rest = message.strip_prefix(DUPLICATE)?;
    let mut texts = serde_json::Deserializer::from_str(rest).into_iter::<String>();
    let name = texts.next()?.ok()?;
    let rest = rest.get(texts.byte_offset()..)?.strip_prefix(IN)?;
    let parent = serde_json::from_str(rest).ok()?;
    Some((name, parent))
}

/// The error of a member given twice in the object at `parent` (a JSON pointer).
fn duplicate_error<E: de::Error>(name: &str, parent: &str) -> E {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    E::custom(format!("{DUPLICATE}{}{IN}{}", quote(name), quote(parent)))
}

/// `e` as it leaves the value at `step` of its parent: a duplicate member's error gets the step
/// put in front of its object's pointer, so that the outermost one names the whole path; any
/// other error is returned as it is. Only errors take this path: reading a valid body never
/// builds a pointer. serde_json's own errors keep their line and column, since its custom
/// errors read them back from the message's " at line … column …".
fn within<E: de::Error>(e: E, step: tongban_schemas::Step<'_>) -> E {
    let text = e.to_string();
    let (message, position) = match text.rsplit_once(" at line ") {
        Some((m, p)) => (m, Some(p)),
        None => (text.as_str(), None),
    };
    let Some((name, parent)) = parse_duplicate(message) else {
        return e;
    };
    let parent = format!("{}{parent}", tongban_schemas::pointer(&[step]));
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let moved = format!("{DUPLICATE}{}{IN}{}", quote(&name), quote(&parent));
    match position {
        Some(p) => E::custom(format!("{moved} at line {p}")),
        None => E::custom(moved),
    }
}

/// Reads a JSON text; a member name given twice in one object is an error ([`duplicate_member`]).
/// Forms as provinces send them — texts without escapes, integers — are read by
/// a small scanner that only accepts what it is sure of; anything else (escapes, fractions,
/// exponents, very deep nesting, any syntax error) is read by `serde_json`, so the tree and every
/// error message are exactly `serde_json`'s.
pub fn from_json(text: &str) -> Result<Local<'_>, serde_json::Error> {
    match Scanner::new(text, SCAN_DEPTH).document() {
        Some(local) => Ok(local),
        None => serde_json::from_str(text),
    }
}

/// Why [`from_json_within`] read no form.
#[derive(Debug)]
pub enum Unread {
    /// An object or array opens at this byte one level past the limit: the first such bracket,
    /// as [`tongban_schemas::limits::nested_past`] finds it, whether or not the text is JSON
    /// after it.
    TooDeep(usize),
    /// The text is not JSON, or names a member twice ([`from_json`]'s error).
    Json(serde_json::Error),
}

/// [`from_json`], with objects and arrays nested at most `limit` levels deep. The scanner counts
/// the levels as it reads, so a form it reads whole is not scanned for its depth first; a text
/// it leaves to `serde_json` is ([`tongban_schemas::limits::nested_past`]). Either way the
/// answer is the one a scan before the reading would give: the scanner only goes on over text
/// it has read as JSON, where its count of levels is the scan's.
pub fn from_json_within(text: &str, limit: usize) -> Result<Local<'_>, Unread> {
    let mut scanner = Scanner::new(text, limit.min(SCAN_DEPTH));
    if let Some(local) = scanner.document() {
        return Ok(local);
    }
    if let Some(at) = scanner.deep_at.filter(|_| limit <= SCAN_DEPTH) {
        return Err(Unread::TooDeep(at));
    }
    if let Some(at) = tongban_schemas::limits::nested_past(text, limit) {
        return Err(Unread::TooDeep(at));
    }
    serde_json::from_str(text).map_err(Unread::Json)
}

/// The fast path of [`from_json`]: `None` whenever it is not certain, never a different answer.
struct Scanner<'a> {
    s: &'a str,
    pos: usize,
    /// Objects and arrays nest at most this deep here; deeper is left to `serde_json`.
    limit: usize,
    /// Where a bracket opened past `limit`, if the scan stopped there.
    deep_at: Option<usize>,
}

/// Nesting deeper than this is left to `serde_json` (which stops at 128).
const SCAN_DEPTH: usize = 100;

impl<'a> Scanner<'a> {
    fn new(s: &'a str, limit: usize) -> Self {
        Scanner {
            s,
            pos: 0,
            limit,
            deep_at: None,
        }
    }

    fn document(&mut self) -> Option<Local<'a>> {
        let v = self.value(0)?;
        self.ws();
        (self.pos == self.s.len()).then_some(v)
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    /// JSON whitespace, as serde_json skips it.
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Option<Local<'a>> {
        self.ws();
        match self.peek()? {
            b'{' | b'[' if depth >= self.limit => {
                self.deep_at = Some(self.pos);
                None
            }
            b'{' => self.record(depth + 1),
            b'[' => self.list(depth + 1),
            b'"' => self.text().map(|t| Local::Text(Cow::Borrowed(t))),
            b't' => self.word("true", Local::Bool(true)),
            b'f' => self.word("false", Local::Bool(false)),
            b'n' => self.word("null", Local::Null),
            b'-' | b'0'..=b'9' => self.integer(),
            _ => None,
        }
    }

    fn word(&mut self, word: &str, v: Local<'a>) -> Option<Local<'a>> {
        self.s[self.pos..].starts_with(word).then(|| {
            self.pos += word.len();
            v
        })
    }

    /// A text without escapes or control characters, borrowed.
    fn text(&mut self) -> Option<&'a str> {
        let b = self.s.as_bytes();
        let start = self.pos + 1;
        let mut i = start;
        // Eight bytes at a time while none of them is a quote, a backslash or a control
        // character.
        while let Some(word) = b.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
            if let Some(k) = tongban_schemas::json_text::first_to_escape(word) {
                i += k;
                break;
            }
            i += 8;
        }
        loop {
            match *b.get(i)? {
                b'"' => break,
                b'\\' | 0..=0x1F => return None,
                _ => i += 1,
            }
        }
        self.pos = i + 1;
        // Quotes are ASCII, so both ends are character boundaries.
        self.s.get(start..i)
    }

    /// `-?(0|[1-9][0-9]*)` of at most 18 digits (no overflow), not followed by a fraction or an
    /// exponent; `-0` is left to serde_json (which reads it as a float).
    fn integer(&mut self) -> Option<Local<'a>> {
        let b = self.s.as_bytes();
        let negative = b.get(self.pos) == Some(&b'-');
        let start = self.pos + usize::from(negative);
        let mut end = start;
        let mut n: u64 = 0;
        while let Some(d @ b'0'..=b'9') = b.get(end).copied() {
            n = n * 10 + u64::from(d - b'0');
            end += 1;
            if end - start > 18 {
                return None;
            }
        }
        let digits = end - start;
        if digits == 0 || (digits > 1 && b[start] == b'0') {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = b.get(end) {
            return None;
        }
        self.pos = end;
        if negative {
            // Non-zero and below 10^18, so it fits.
            (n != 0).then(|| Local::Number(Number::from(-(n as i64))))
        } else {
            Some(Local::Number(Number::from(n)))
        }
    }

    fn list(&mut self, depth: usize) -> Option<Local<'a>> {
        self.pos += 1;
        let mut items = Vec::with_capacity(4);
        self.ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(Local::List(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(Local::List(items));
                }
                _ => return None,
            }
        }
    }

    fn record(&mut self, depth: usize) -> Option<Local<'a>> {
        self.pos += 1;
        let mut members = Vec::with_capacity(8);
        self.ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(Local::Record(members));
        }
        loop {
            self.ws();
            if self.peek()? != b'"' {
                return None;
            }
            let name = self.text()?;
            self.ws();
            if self.peek()? != b':' {
                return None;
            }
            self.pos += 1;
            let v = self.value(depth)?;
            members.push((Cow::Borrowed(name), v));
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    // A name given twice is left to serde_json, which refuses it with position.
                    return unique_record(members).ok();
                }
                _ => return None,
            }
        }
    }
}

/// Reads JSON into a [`Local`], borrowing every text without escapes.
impl<'de> Deserialize<'de> for Local<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Local<'de>, D::Error> {
        d.deserialize_any(LocalVisitor)
    }
}

struct LocalVisitor;

impl<'de> Visitor<'de> for LocalVisitor {
    type Value = Local<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Local<'de>, E> {
        Ok(Local::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Local<'de>, E> {
        Ok(Local::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Local<'de>, E> {
        Ok(Local::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Local<'de>, E> {
        // As serde_json's own Value: a float JSON cannot hold becomes null.
        Ok(Number::from_f64(n).map_or(Local::Null, Local::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Local<'de>, E> {
        Ok(Local::Text(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Local<'de>, E> {
        Ok(Local::Text(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Local<'de>, E> {
        Ok(Local::Text(Cow::Owned(s)))
    }

    fn visit_unit<E>(self) -> Result<Local<'de>, E> {
        Ok(Local::Null)
    }

    fn visit_none<E>(self) -> Result<Local<'de>, E> {
        Ok(Local::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Local<'de>, D::Error> {
        Local::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Local<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(x) = seq
            .next_element()
            .map_err(|e| within(e, tongban_schemas::Step::Item(items.len())))?
        {
            items.push(x);
        }
        Ok(Local::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Local<'de>, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(k) = map.next_key_seed(Name)? {
            let v = map
                .next_value()
                .map_err(|e| within(e, tongban_schemas::Step::Member(&k)))?;
            members.push((k, v));
        }
        unique_record(members).map_err(|name| duplicate_error(&name, ""))
    }
}

/// A member name, borrowed when the text allows (serde's own `Cow<str>` always copies).
struct Name;

impl<'de> DeserializeSeed<'de> for Name {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Name {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E>(self, s: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_json_like_serde_json() {
        for text in [
            r#"{"b": 1, "a": [true, null, 1.5, -2, "x\"y"], "c": {"d": "中文"}}"#,
            r#"[1e400]"#,
            r#""\u00e9""#,
            r#"{}"#,
        ] {
            let ours: Result<Local<'_>, _> = serde_json::from_str(text);
            let theirs: Result<Value, _> = serde_json::from_str(text);
            match (ours, theirs) {
                (Ok(o), Ok(t)) => {
                    assert_eq!(o.to_value(), t, "{text}");
                    assert_eq!(Local::from_value(&t), o, "{text}");
                }
                (Err(o), Err(t)) => assert_eq!(o.to_string(), t.to_string(), "{text}"),
                (o, t) => panic!("{text}: {o:?} vs {t:?}"),
            }
        }
    }

    #[test]
    fn errors_are_serde_json_errors() {
        for text in ["", "{", "{\"a\" 1}", "[1,]", "\"\\x\"", "nul", "{} x"] {
            let ours = serde_json::from_str::<Local<'_>>(text).unwrap_err();
            let theirs = serde_json::from_str::<Value>(text).unwrap_err();
            assert_eq!(ours.to_string(), theirs.to_string(), "{text:?}");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let ours = serde_json::from_str::<Local<'_>>(&deep).unwrap_err();
        let theirs = serde_json::from_str::<Value>(&deep).unwrap_err();
        assert_eq!(ours.to_string(), theirs.to_string());
    }

    /// The scanner answers exactly as serde_json, or leaves the text to it.
    #[test]
    fn scanner_agrees_with_serde_json() {
        let mut texts: Vec<String> = [
            "",
            " ",
            "{}",
            "[]",
            "[[]]",
            "{\"a\":{}}",
            "0",
            "-0",
            "-1",
            "01",
            "-01",
            "1.5",
            "1e3",
            "1E3",
            "-",
            "--1",
            "123456789012345678",
            "1234567890123456789",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "true",
            "truex",
            "tru",
            "false",
            "null",
            "nul",
            "\"a\"",
            "\"a\\\"b\"",
            "\"\\u4e2d\"",
            "\"\u{1}\"",
            "\"\u{7f}\"",
            "\"中文 𬌗\"",
            "[1,]",
            "[,1]",
            "[1 2]",
            "{\"a\":1,}",
            "{,}",
            "{\"a\" 1}",
            "{\"a\":1 \"b\":2}",
            "{\"a\":1}x",
            "{\"a\":1} ",
            "\t\n\r {}",
            "\u{c}{}",
            "{\"k\":1,\"k\":2,\"a\":[true,false,null]}",
            "[\"x\",{\"y\":[-7]}]",
            "{1:2}",
            "{\"a\":}",
            "[",
            "{",
            "\"",
            "{\"a\":\"b",
            "[1]]",
            "{\"a\":1}}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        texts.push(format!("{}1{}", "[".repeat(99), "]".repeat(99)));
        texts.push(format!("{}1{}", "[".repeat(100), "]".repeat(100)));
        texts.push(format!("{}1{}", "[".repeat(101), "]".repeat(101)));
        texts.push(format!("{}1{}", "[".repeat(130), "]".repeat(130)));
        texts.push(format!("{}1{}", "{\"a\":".repeat(120), "}".repeat(120)));
        // Every prefix of a realistic form, and the form with one byte changed at each place.
        let form = r#"{"事项编码": "330000-GA-HKQY", "办理地": "340000;510000", "申请人": {"姓名": "李明", "年龄": 35, "余额": -12, "x": [true, null, {}]}}"#;
        for i in 0..=form.len() {
            if let Some(p) = form.get(..i) {
                texts.push(p.to_string());
            }
        }
        for i in 0..form.len() {
            for b in [
                b' ', b'"', b'\\', b',', b'}', b']', b'1', b'-', b'.', b'e', 1,
            ] {
                let mut v = form.as_bytes().to_vec();
                v[i] = b;
                if let Ok(t) = String::from_utf8(v) {
                    texts.push(t);
                }
            }
        }
        let mut scanned = 0;
        for t in &texts {
            let ours = Scanner::new(t, SCAN_DEPTH).document();
            let theirs = serde_json::from_str::<Local<'_>>(t);
            if let Some(o) = ours {
                scanned += 1;
                assert_eq!(Ok(&o), theirs.as_ref().map_err(|e| e.to_string()), "{t:?}");
                assert_eq!(
                    o.to_value(),
                    serde_json::from_str::<Value>(t).unwrap(),
                    "{t:?}"
                );
            }
            let via = from_json(t).map_err(|e| e.to_string());
            assert_eq!(via, theirs.map_err(|e| e.to_string()), "{t:?}");
        }
        assert!(
            scanned > texts.len() / 10,
            "the scanner takes ordinary forms"
        );
        let golden = include_str!("../regions/330000/golden/hukou-transfer.local.json");
        assert!(Scanner::new(golden, SCAN_DEPTH).document().is_some());
    }

    /// Held to a depth, the reader answers what a scan of the whole text before reading it would:
    /// the first bracket past the limit, whether the scanner reads the text or leaves it to
    /// serde_json (an escape, a fraction, a syntax error, a name given twice, before or after the
    /// deep part), and otherwise exactly [`from_json`]'s answer.
    #[test]
    fn held_to_a_depth_it_answers_as_a_scan_before_it() {
        let nest = |depth: usize, inner: &str| {
            format!("{}{inner}{}", r#"{"a": "#.repeat(depth), "}".repeat(depth))
        };
        let lists = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        let mut texts = Vec::new();
        for depth in [1, 2, 3, 4, 5, 31, 32, 33, 34, 99, 100, 101, 129, 130] {
            texts.push(lists(depth));
            texts.push(nest(depth, "1"));
            texts.push(nest(depth, r#""x\"y""#));
            texts.push(nest(depth, "1.5"));
            texts.push(nest(depth, "[1,]"));
            texts.push(format!(r#"{{"e": "\n", "b": {}}}"#, lists(depth)));
            texts.push(format!(r#"{{"s": "[[[[{{{{", "b": {}}}"#, lists(depth)));
            texts.push(format!(r#"{{"b": {}, "b": 1}}"#, lists(depth)));
            texts.push(format!(r#"{{"b": 1, "b": {}}}"#, lists(depth)));
            texts.push(format!("{{\"b\" 1, \"c\": {}}}", lists(depth)));
            texts.push(format!("[{}, nul]", lists(depth)));
            texts.push(format!(" \n[ {} ] ", lists(depth)));
        }
        for text in &texts {
            for limit in [1, 2, 4, 32, 100, 200] {
                let held = from_json_within(text, limit);
                match tongban_schemas::limits::nested_past(text, limit) {
                    Some(at) => match held {
                        Err(Unread::TooDeep(got)) => assert_eq!(got, at, "{limit}: {text}"),
                        other => panic!("{limit}: {text}: {other:?}, not too deep at {at}"),
                    },
                    None => match (held, from_json(text)) {
                        (Ok(ours), Ok(theirs)) => assert_eq!(ours, theirs, "{limit}: {text}"),
                        (Err(Unread::Json(ours)), Err(theirs)) => {
                            assert_eq!(ours.to_string(), theirs.to_string(), "{limit}: {text}")
                        }
                        (ours, theirs) => panic!("{limit}: {text}: {ours:?} vs {theirs:?}"),
                    },
                }
            }
        }
    }

    #[test]
    fn a_member_given_twice_is_refused_by_name() {
        for text in [
            r#"{"k": 1, "a": 0, "k": 2}"#,
            r#"{"k":1,"k":2}"#,
            r#"{"x": {"名\u79f0": 1, "名称": 2}}"#,
        ] {
            let e = from_json(text).expect_err(text);
            let name = duplicate_member(&e).map(|d| d.name);
            assert!(
                name.as_deref() == Some("k") || name.as_deref() == Some("名称"),
                "{text}: {e}"
            );
        }
        assert!(duplicate_member(&from_json("{").unwrap_err()).is_none());
        assert!(from_json(r#"{"k": {"k": 1}}"#).is_ok());
    }

    /// Given a member given twice at any depth, when the text is read, then the error names the
    /// member's JSON pointer (escaped per RFC 6901) and keeps serde_json's line and column; any
    /// other error is serde_json's, untouched. Guards the pointer the canonical JSON routes
    /// answer `duplicate-member` at.
    #[test]
    fn a_member_given_twice_is_named_at_its_pointer() {
        for (text, pointer) in [
            (r#"{"expected_seq":7,"expected_seq":1}"#, "/expected_seq"),
            (r#"{"a": [0, {"b": {"m": 1, "m": 2}}]}"#, "/a/1/b/m"),
            (r#"{"a/b": {"~": 1, "~": 2}}"#, "/a~1b/~0"),
            (r#"[{"xA": 1, "xA": 2}]"#, "/0/xA"),
        ] {
            let e = from_json(text).expect_err(text);
            let d = duplicate_member(&e).expect(text);
            assert_eq!(d.pointer, pointer, "{text}: {e}");
            assert!(e.line() == 1 && e.column() > 1, "{text}: {e}");
        }
        // A syntax error nested in objects is serde_json's own, position and all.
        let text = r#"{"a": {"b": [1,]}}"#;
        let ours = from_json(text).unwrap_err().to_string();
        let theirs = serde_json::from_str::<Value>(text).unwrap_err().to_string();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn borrows_plain_texts() {
        let text = r#"{"姓名": "李明", "e\u0073c": "a\nb"}"#;
        let l: Local<'_> = serde_json::from_str(text).unwrap();
        let Local::Record(m) = &l else { panic!() };
        assert!(matches!(m[0].0, Cow::Owned(_)));
        assert!(matches!(m[0].1, Local::Text(Cow::Owned(_))));
        assert!(matches!(m[1].0, Cow::Borrowed(_)));
        assert!(matches!(m[1].1, Local::Text(Cow::Borrowed(_))));
        assert_eq!(l.get("姓名").and_then(Local::as_str), Some("李明"));
        assert_eq!(l.get("esc").and_then(Local::as_str), Some("a\nb"));
    }

    #[test]
    fn set_creates_records() {
        let path = |p: &str| p.split('/').map(str::to_string).collect::<Vec<String>>();
        let (bc, a, ax, bcd) = (path("b/c"), path("a"), path("a/x"), path("b/c/d"));
        let mut l = Local::Record(Vec::new());
        assert!(l.set(&bc, Local::Bool(true)));
        assert!(l.set(&a, Local::Null));
        assert_eq!(l.to_value(), json!({"a": null, "b": {"c": true}}));
        assert!(!l.set(&ax, Local::Null));
        assert!(!l.set(&bcd, Local::Null));
    }
}
