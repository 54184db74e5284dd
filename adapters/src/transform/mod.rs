//! The value transforms a spec field applies, in order inbound (local → canonical) and in reverse
//! outbound. Each is written so that outbound ∘ inbound is the identity on the values a province
//! really sends in normal form; the normalising ones (trim, half-width, upper case, 15-digit ID
//! upgrade) are identities outbound.

pub mod codes;
pub mod date;
pub mod text;

use std::sync::Arc;

use serde_json::Value;
use tongban_schemas::ids::gb11643::ResidentId;

pub use codes::Table;
pub use date::Layout;

/// Why a transform could not take a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub rule: &'static str,
    pub message: String,
}

impl Failure {
    fn new(rule: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            rule,
            message: message.into(),
        }
    }
}

/// The first of `parts` to be joined by `sep` that holds `sep` itself, with its refusal: read
/// back, it would be two items, and in a joined list every later item would pair with the
/// wrong item of the other columns.
pub(crate) fn holding_separator(parts: &[impl AsRef<str>], sep: &str) -> Option<(usize, Failure)> {
    let i = parts.iter().position(|p| p.as_ref().contains(sep))?;
    Some((
        i,
        Failure::new(
            "separator-in-value",
            format!(
                "第 {} 项含有分隔符 {sep:?}，本地区的表单无法表示 (item {} holds the list \
                 separator {sep:?}, which this region's form cannot carry)",
                i + 1,
                i + 1
            ),
        ),
    ))
}

/// How an integer is written locally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegerForm {
    /// `"1000000"`
    Text,
    /// `1000000`
    Number,
}

/// One compiled transform.
#[derive(Debug, Clone)]
pub enum Transform {
    /// Spaces (ideographic ones too) removed at both ends. Inbound only.
    Trim,
    /// Full-width ASCII to half-width. Inbound only.
    Halfwidth,
    /// ASCII upper case (`x` check characters, credit codes). Inbound only.
    Upper,
    /// ASCII lower case (hex digests, which systems print in either case). Inbound only.
    Lower,
    /// A 公民身份号码 normalised: 15-digit legacy numbers upgraded to 18, `x` → `X`. Numbers that
    /// do not parse are passed on unchanged for the check to report. Inbound only.
    IdNumber,
    /// A 12-digit statistical division code ending in `000000` ↔ its 6-digit GB/T 2260 code.
    Division12,
    /// A date in a local layout ↔ a canonical layout (`yyyy-MM-dd` unless said otherwise).
    Date { local: Layout, canonical: Layout },
    /// A code table.
    Codes(Arc<Table>),
    /// Digits ↔ a JSON integer.
    Integer(IntegerForm),
    /// Numbers sent where text is meant (`"XB_DM": 1`) taken as text. Inbound only.
    Text,
    /// A `separator`-joined text ↔ an array of texts (`"330000;340000"` ↔ handlers). Put it last.
    List(String),
}

impl Transform {
    /// What the transform takes and gives, in an integrator's terms (the field table's
    /// `transforms`): what a province writing its form needs to know of each field beyond its
    /// name, which it otherwise learnt only from a refusal (the date layout above all).
    pub fn described(&self) -> String {
        match self {
            Transform::Trim => {
                "white space at both ends removed (any Unicode space, the ideographic one too, and \
                 a byte-order mark)"
                    .into()
            }
            Transform::Halfwidth => {
                "full-width characters (U+FF01 to U+FF5E: letters, digits, punctuation) taken as \
                 half-width, the ideographic space as a space"
                    .into()
            }
            Transform::Upper => "letters taken in upper case".into(),
            Transform::Lower => "letters taken in lower case".into(),
            Transform::IdNumber => {
                "ID number: a 15-digit one upgraded to 18, a lower-case x taken as X".into()
            }
            Transform::Division12 => {
                "12-digit division code: the 6-digit GB/T 2260 code followed by 000000 is taken \
                 as the 6 digits; a 6-digit code, or a 12-digit one of a town, is taken as it is"
                    .into()
            }
            Transform::Date { local, .. } => format!("date written {}", local.as_str()),
            Transform::Codes(table) => format!("code table {} (see codes)", table.name),
            Transform::Integer(IntegerForm::Text) => {
                "whole number: taken as a JSON number or as digits in text, given back as digits \
                 in text"
                    .into()
            }
            Transform::Integer(IntegerForm::Number) => {
                "whole number: taken as a JSON number or as digits in text, given back as a JSON \
                 number"
                    .into()
            }
            Transform::Text => "a number sent is taken as its text".into(),
            Transform::List(separator) => format!("items joined by {separator}"),
        }
    }
}

/// Text of a scalar: strings as they are, numbers as written (some systems send codes as numbers).
fn text_of(v: &Value) -> Result<String, Failure> {
    match v {
        Value::String(s) => Ok(s.clone()),
        other => into_text(other.clone()),
    }
}

/// Like [`text_of`], taking the value (no copy of the text).
fn into_text(v: Value) -> Result<String, Failure> {
    match v {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(_) => Err(Failure::new("type", "应为文本，收到布尔值 (expected text)")),
        Value::Array(_) => Err(Failure::new("type", "应为文本，收到数组 (expected text)")),
        Value::Object(_) => Err(Failure::new("type", "应为文本，收到对象 (expected text)")),
        Value::Null => Err(Failure::new("type", "应为文本，收到 null (expected text)")),
    }
}

impl Transform {
    /// The transform as a spec writes it (`"trim"`, `{"list": ";"}`), for load errors.
    pub fn spec_text(&self) -> String {
        let quoted = |s: &str| Value::String(s.to_string()).to_string();
        match self {
            Transform::Trim => quoted("trim"),
            Transform::Halfwidth => quoted("halfwidth"),
            Transform::Upper => quoted("upper"),
            Transform::Lower => quoted("lower"),
            Transform::IdNumber => quoted("id-number"),
            Transform::Division12 => quoted("division12"),
            Transform::Text => quoted("text"),
            Transform::Date { local, canonical } => format!(
                "{{\"date\": [{}, {}]}}",
                quoted(local.as_str()),
                quoted(canonical.as_str())
            ),
            Transform::Codes(table) => format!("{{\"codes\": {}}}", quoted(&table.name)),
            Transform::Integer(IntegerForm::Text) => "{\"integer\": \"text\"}".into(),
            Transform::Integer(IntegerForm::Number) => "{\"integer\": \"number\"}".into(),
            Transform::List(sep) => format!("{{\"list\": {}}}", quoted(sep)),
        }
    }

    /// Whether values passing through this transform are codes (shown in messages when they
    /// have a code's shape: [`crate::problem::CodeShape`]).
    pub fn is_code(&self) -> bool {
        matches!(self, Transform::Codes(_))
    }

    /// The code table this transform reads through, if it is one.
    pub fn table(&self) -> Option<&Table> {
        match self {
            Transform::Codes(table) => Some(table),
            _ => None,
        }
    }

    /// Local → canonical.
    pub fn inbound(&self, v: Value) -> Result<Value, Failure> {
        match self {
            Transform::Trim => {
                let s = into_text(v)?;
                let t = text::trim(&s);
                Ok(Value::String(if t.len() == s.len() {
                    s
                } else {
                    t.to_string()
                }))
            }
            Transform::Halfwidth => {
                let s = into_text(v)?;
                Ok(Value::String(if s.is_ascii() {
                    s
                } else {
                    text::halfwidth(&s)
                }))
            }
            Transform::Upper => {
                let mut s = into_text(v)?;
                s.make_ascii_uppercase();
                Ok(Value::String(s))
            }
            Transform::Lower => {
                let mut s = into_text(v)?;
                s.make_ascii_lowercase();
                Ok(Value::String(s))
            }
            Transform::Text => Ok(Value::String(into_text(v)?)),
            Transform::IdNumber => {
                let s = into_text(v)?;
                Ok(Value::String(match ResidentId::parse(&s) {
                    Ok(id) if id.as_str() == s => s,
                    Ok(id) => id.as_str().to_string(),
                    Err(_) => s,
                }))
            }
            Transform::Division12 => {
                let s = into_text(v)?;
                match s.strip_suffix("000000") {
                    Some(six) if s.len() == 12 => Ok(Value::String(six.to_string())),
                    _ => Ok(Value::String(s)),
                }
            }
            Transform::Date { local, canonical } => {
                let s = into_text(v)?;
                let parts = local.parse(&s).ok_or_else(|| {
                    Failure::new(
                        "date-format",
                        format!(
                            "日期应为 {} 格式的真实日期 (date in layout {})",
                            local.as_str(),
                            local.as_str()
                        ),
                    )
                })?;
                canonical.format(&parts).map(Value::String).ok_or_else(|| {
                    Failure::new("date-format", "日期缺少年、月或日 (incomplete date)")
                })
            }
            Transform::Codes(table) => {
                let s = into_text(v)?;
                table.to_canonical(s.trim()).cloned().ok_or_else(|| {
                    Failure::new(
                        "code",
                        // Not the value itself: it is shown, masked, beside the message.
                        format!(
                            "不是代码表 {} 中的代码 (not a code of table {}; expected one of: {})",
                            table.name,
                            table.name,
                            table.expected()
                        ),
                    )
                })
            }
            // Each piece is trimmed as every other value is (`text::trim`: the ideographic space
            // and a stray byte-order mark too), and empty pieces are dropped: systems often end a
            // list with its separator (`310000;`) or space it (`310000; 330000`), and an empty
            // piece names nothing. Joined columns drop their empty trailing items by the same
            // rule.
            Transform::List(sep) => Ok(Value::Array(
                text::split(&into_text(v)?, sep)
                    .map(text::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| Value::String(p.to_string()))
                    .collect(),
            )),
            Transform::Integer(_) => {
                match &v {
                    Value::Number(n) if n.is_u64() => Ok(v),
                    Value::String(s) => s.trim().parse::<u64>().map(Value::from).map_err(|_| {
                        Failure::new("integer", "应为非负整数 (expected a whole number)")
                    }),
                    _ => Err(Failure::new(
                        "integer",
                        "应为非负整数 (expected a whole number)",
                    )),
                }
            }
        }
    }

    /// Canonical → local.
    pub fn outbound(&self, v: Value) -> Result<Value, Failure> {
        match self {
            Transform::Trim
            | Transform::Halfwidth
            | Transform::Upper
            | Transform::Lower
            | Transform::IdNumber
            | Transform::Text => Ok(v),
            Transform::Division12 => {
                let s = text_of(&v)?;
                Ok(Value::String(if s.len() == 6 { format!("{s}000000") } else { s }))
            }
            Transform::Date { local, canonical } => {
                let s = text_of(&v)?;
                canonical
                    .parse(&s)
                    .and_then(|p| local.format(&p))
                    .map(Value::String)
                    .ok_or_else(|| {
                        Failure::new(
                            "date-format",
                            format!("规范日期应为 {} 格式 (canonical date)", canonical.as_str()),
                        )
                    })
            }
            Transform::Codes(table) => table
                .to_local(&v)
                .map(|s| Value::String(s.to_string()))
                .ok_or_else(|| {
                    Failure::new(
                        "code-outbound",
                        format!(
                            "规范值 {v} 在本地代码表 {} 中没有对应代码 (no local code for this value)",
                            table.name
                        ),
                    )
                }),
            Transform::List(sep) => match &v {
                Value::Array(items) => {
                    let parts = items
                        .iter()
                        .map(text_of)
                        .collect::<Result<Vec<String>, Failure>>()?;
                    if let Some((_, refused)) = holding_separator(&parts, sep) {
                        return Err(refused);
                    }
                    Ok(Value::String(parts.join(sep)))
                }
                _ => Err(Failure::new("type", "规范值应为数组 (canonical array)")),
            },
            Transform::Integer(form) => match (&v, form) {
                (Value::Number(n), IntegerForm::Text) => Ok(Value::String(n.to_string())),
                (Value::Number(_), IntegerForm::Number) => Ok(v),
                _ => Err(Failure::new("integer", "规范值应为整数 (canonical integer)")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn id_numbers_normalise_inbound_only() {
        let t = Transform::IdNumber;
        assert_eq!(
            t.inbound(json!("11010519491231002x")).unwrap(),
            json!("11010519491231002X")
        );
        assert_eq!(
            t.inbound(json!("110105491231002")).unwrap(),
            json!("11010519491231002X")
        );
        assert_eq!(t.inbound(json!("bad")).unwrap(), json!("bad"));
        assert_eq!(
            t.outbound(json!("11010519491231002X")).unwrap(),
            json!("11010519491231002X")
        );
    }

    #[test]
    fn lists_drop_empty_pieces_and_refuse_a_part_holding_the_separator() {
        let t = Transform::List(";".into());
        assert_eq!(t.inbound(json!("310000;")).unwrap(), json!(["310000"]));
        assert_eq!(
            t.inbound(json!("310000;;330000")).unwrap(),
            json!(["310000", "330000"])
        );
        // Pieces are trimmed as single values are: spaces, ideographic spaces, a byte-order mark.
        assert_eq!(
            t.inbound(json!("310000; \u{3000}330000 ;\u{FEFF};"))
                .unwrap(),
            json!(["310000", "330000"])
        );
        assert_eq!(
            t.outbound(json!(["310000", "330000"])).unwrap(),
            json!("310000;330000")
        );
        let e = t.outbound(json!(["a", "b;c"])).unwrap_err();
        assert_eq!(e.rule, "separator-in-value");
        assert!(e.message.contains("第 2 项"), "{}", e.message);
    }

    #[test]
    fn division12_round_trip() {
        let t = Transform::Division12;
        assert_eq!(t.inbound(json!("511602000000")).unwrap(), json!("511602"));
        assert_eq!(t.outbound(json!("511602")).unwrap(), json!("511602000000"));
        assert_eq!(
            t.inbound(json!("511602001000")).unwrap(),
            json!("511602001000")
        );
    }

    #[test]
    fn integers_and_types() {
        let t = Transform::Integer(IntegerForm::Text);
        assert_eq!(t.inbound(json!("1000000")).unwrap(), json!(1_000_000));
        assert_eq!(t.outbound(json!(1_000_000)).unwrap(), json!("1000000"));
        assert_eq!(t.inbound(json!("-1")).unwrap_err().rule, "integer");
        assert_eq!(Transform::Trim.inbound(json!({})).unwrap_err().rule, "type");
        assert_eq!(Transform::Trim.inbound(json!(12)).unwrap(), json!("12"));
    }
}
