//! Reading the nodes of a JSON Schema document, as the registry's field tables, its
//! compatibility rules and the adapters' load-time check of a spec all walk one.

use serde_json::Value;

/// `s` with its `$ref`s (local, `#/…`) followed to what they name, at most 32 deep.
pub fn resolve<'a>(root: &'a Value, mut s: &'a Value) -> &'a Value {
    for _ in 0..32 {
        match s
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| root.pointer(p))
        {
            Some(t) => s = t,
            None => break,
        }
    }
    s
}

/// The members object schema `s` requires.
pub fn required(s: &Value) -> Vec<&str> {
    s.get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}
