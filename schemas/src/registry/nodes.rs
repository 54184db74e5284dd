//! Reading the nodes of a JSON Schema document, as the registry's field tables, its
//! compatibility rules and the adapters' load-time check of a spec all walk one.

use serde_json::Value;

/// `s` with its `$ref`s followed to what they name (see [`follow`]), at most 32 deep.
pub fn resolve<'a>(root: &'a Value, mut s: &'a Value) -> &'a Value {
    for _ in 0..32 {
        match s
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| follow(root, r))
        {
            Some(t) => s = t,
            None => break,
        }
    }
    s
}

/// The node a `$ref` of `root` names, if it names one this crate can find: a JSON pointer
/// fragment (`#/$defs/X`, percent-encoded or not, as RFC 3986 and draft 2020-12 allow), the
/// document itself (`#`), either also through the document's own `$id`
/// (`urn:tongban:schema:<subject>:<n>#/$defs/X`). `None` for anything else (an `$anchor` name,
/// another document, a pointer to nothing): the caller says it cannot follow it rather than
/// treating the reference as anything at all.
pub fn follow<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let (base, fragment) = reference.split_once('#').unwrap_or((reference, ""));
    if !base.is_empty() && root.get("$id").and_then(Value::as_str) != Some(base) {
        return None;
    }
    if fragment.is_empty() {
        return Some(root);
    }
    if !fragment.starts_with('/') {
        return None;
    }
    root.pointer(&percent_decoded(fragment)?)
}

/// `%XX` escapes decoded (UTF-8); `None` for a broken escape or bytes that are not UTF-8.
fn percent_decoded(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_string());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The members object schema `s` requires.
pub fn required(s: &Value) -> Vec<&str> {
    s.get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Keywords whose values are data or annotations, never subschemas a validator evaluates.
const NOT_SUBSCHEMAS: [&str; 11] = [
    "enum",
    "const",
    "examples",
    "default",
    "$defs",
    "definitions",
    "title",
    "description",
    "$comment",
    "required",
    "dependentRequired",
];

/// Keywords whose value maps names to subschemas.
const SCHEMA_MAPS: [&str; 3] = ["properties", "patternProperties", "dependentSchemas"];

/// How many schema nodes `root` amounts to with every `$ref` written out in place, counted up to
/// `limit` (past it, `limit + 1`). A document of a kilobyte whose definitions are each a union of
/// references to the next multiplies: five levels of eight branches are 8⁵ nodes, and a validator
/// walks all of them for an instance that fails (its examples), as the compatibility check walks
/// them for every branch. The size is worked out once per node (shared definitions are counted
/// where they are used, but computed once), so this costs time linear in the document. A `$ref`
/// back into a node being counted counts one: recursion follows the instance, which is finite.
pub fn expanded_size(root: &Value, limit: usize) -> usize {
    struct Count<'a> {
        root: &'a Value,
        limit: usize,
        memo: std::collections::HashMap<*const Value, usize>,
    }
    impl<'a> Count<'a> {
        /// A schema (an object or a boolean).
        fn schema(&mut self, node: &'a Value) -> usize {
            let Value::Object(members) = node else {
                return 1;
            };
            let key: *const Value = node;
            if let Some(n) = self.memo.get(&key) {
                return *n;
            }
            // In progress: a reference back into it counts one (see above).
            self.memo.insert(key, 1);
            let mut n: usize = 1;
            for (k, v) in members {
                if n > self.limit {
                    break;
                }
                let k = k.as_str();
                let more = if k == "$ref" || k == "$dynamicRef" {
                    v.as_str()
                        .and_then(|r| follow(self.root, r))
                        .map_or(0, |t| self.schema(t))
                } else if SCHEMA_MAPS.contains(&k) {
                    v.as_object().map_or(0, |m| {
                        m.values()
                            .map(|s| self.schema(s))
                            .fold(0, usize::saturating_add)
                    })
                } else if k == "required" {
                    // Each member it names is a finding an instance can make here.
                    v.as_array().map_or(0, Vec::len)
                } else if NOT_SUBSCHEMAS.contains(&k) || k.starts_with("x-") {
                    0
                } else {
                    match v {
                        Value::Object(_) => self.schema(v),
                        Value::Array(items) => items
                            .iter()
                            .map(|s| if s.is_object() { self.schema(s) } else { 0 })
                            .fold(0, usize::saturating_add),
                        _ => 0,
                    }
                };
                n = n.saturating_add(more);
            }
            let n = n.min(self.limit.saturating_add(1));
            self.memo.insert(key, n);
            n
        }
    }
    Count {
        root,
        limit,
        memo: std::collections::HashMap::new(),
    }
    .schema(root)
}

/// The JSON nodes of `v` (every value, members and items included), counted up to `cap`: what
/// reading or copying it costs, as the examples check and a compilation weigh it.
pub fn json_nodes(v: &Value, cap: usize) -> usize {
    let mut count = 0;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        count += 1;
        if count >= cap {
            break;
        }
        match v {
            Value::Object(map) => stack.extend(map.values()),
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    count
}
