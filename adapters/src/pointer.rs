//! Paths into a form, written as JSON pointers (`/txnBodyCom/sqrXm`, `/applicant/name`).
//!
//! Spec paths only ever address object members: lists are mapped by list fields, whose items use
//! paths relative to the item. So a path is a list of member names, parsed once when a spec is
//! compiled, and reading or writing it never indexes into arrays.

use serde_json::{Map, Value};

use crate::local::Local;

/// A parsed path: member names from the root.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Path {
    tokens: Vec<String>,
    text: String,
}

impl Path {
    /// Parses `/a/b` (RFC 6901 escapes `~0`, `~1` honoured). `""` is the root.
    pub fn parse(text: &str) -> Option<Path> {
        if text.is_empty() {
            return Some(Path {
                tokens: Vec::new(),
                text: String::new(),
            });
        }
        let rest = text.strip_prefix('/')?;
        // `~` escapes only `~` (~0) and `/` (~1): any other is no pointer (RFC 6901).
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
                return None;
            }
        }
        let tokens: Vec<String> = rest
            .split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect();
        if tokens.iter().any(String::is_empty) {
            return None;
        }
        Some(Path {
            tokens,
            text: text.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    pub fn is_root(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The last member name (the local field's own name, for messages).
    pub fn leaf(&self) -> &str {
        self.tokens.last().map_or("", String::as_str)
    }

    /// Reads the value at this path; `None` when a member is missing or a step is not an object.
    pub fn get<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        let mut cur = root;
        for t in &self.tokens {
            cur = cur.as_object()?.get(t)?;
        }
        Some(cur)
    }

    /// Reads the member at this path of a local form; `None` when a member is missing or a step
    /// is not a record.
    pub fn find<'v, 'a>(&self, root: &'v Local<'a>) -> Option<&'v Local<'a>> {
        let mut cur = root;
        for t in &self.tokens {
            cur = cur.get(t)?;
        }
        Some(cur)
    }

    /// Writes `value` at this path, creating objects on the way. Returns false (and writes nothing)
    /// when a step is already occupied by something that is not an object: two spec fields that
    /// disagree about the shape, reported by the caller rather than overwritten silently.
    pub fn set(&self, root: &mut Value, value: Value) -> bool {
        if self.tokens.is_empty() {
            *root = value;
            return true;
        }
        match root.as_object_mut() {
            Some(obj) => set_in(obj, &self.tokens, value),
            None => false,
        }
    }

    /// This path below `prefix` (a list item's base), as text for messages.
    pub fn under(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.text)
    }
}

/// [`Path::set`] below an object, one member lookup per step (a name is only copied when new).
fn set_in(obj: &mut Map<String, Value>, tokens: &[String], value: Value) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        return true;
    };
    if rest.is_empty() {
        obj.insert(first.clone(), value);
        return true;
    }
    if let Some(next) = obj.get_mut(first) {
        return match next.as_object_mut() {
            Some(inner) => set_in(inner, rest, value),
            None => false,
        };
    }
    let mut inner = Map::new();
    set_in(&mut inner, rest, value);
    obj.insert(first.clone(), Value::Object(inner));
    true
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn get_and_set() {
        let p = Path::parse("/a/b").unwrap();
        let mut v = json!({});
        assert!(p.set(&mut v, json!(1)));
        assert_eq!(v, json!({"a": {"b": 1}}));
        assert_eq!(p.get(&v), Some(&json!(1)));
        let blocked = Path::parse("/a/b/c").unwrap();
        assert!(!blocked.set(&mut v, json!(2)));
        assert_eq!(Path::parse("/x~1y").unwrap().leaf(), "x/y");
        assert!(Path::parse("a").is_none());
        assert!(Path::parse("/a//b").is_none());
        assert!(Path::parse("").unwrap().is_root());
    }
}
