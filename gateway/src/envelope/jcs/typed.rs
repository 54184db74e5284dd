//! The JCS canonical form of any `Serialize` value, written straight from it.
//!
//! [`super::canonicalize`] needs a `serde_json::Value`, and turning a typed request into one
//! copies every string and rebuilds every object of it: the request digest of each submission
//! did that for the applicant and the form (docs/performance.md, "Instructions per submission").
//! This serializer writes the same bytes without the copy: members are written as they come,
//! and an object whose members did not come in JCS order is reordered once, at its end.
//!
//! It must agree byte for byte with `canonicalize(&serde_json::to_value(v)?)`, or a request
//! digest would change between versions and idempotent retries across an upgrade would be
//! refused; the tests compare the two over every golden form and over values built to reach
//! each rule (numbers, escapes, member order, enums, maps with non-string keys).

use serde::ser::{self, Serialize};
use std::cmp::Ordering;

use super::{es_number, utf16_cmp, write_i64, write_string, write_u64};

/// Why a value has no canonical form: what `serde_json::to_value` refuses too (a map key that is
/// not a string or a number, an integer beyond 64 bits), a `serde_json::value::RawValue` (which
/// `to_value` parses and this does not), or the value's own `Serialize` failing.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Error(String);

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// The struct name under which serde_json passes a `RawValue` through a serializer.
const RAW_VALUE: &str = "$serde_json::private::RawValue";

/// The canonical form of `value`, as `canonicalize(&serde_json::to_value(value)?)` writes it.
pub fn canonical<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    let mut out = String::with_capacity(1024);
    value.serialize(Writer { out: &mut out })?;
    Ok(out)
}

/// Writes one value at the end of `out`.
struct Writer<'a> {
    out: &'a mut String,
}

/// An array under way.
struct Seq<'a> {
    out: &'a mut String,
    first: bool,
}

/// An object under way: its members' names and where each `"name":value` was written.
struct Object<'a> {
    out: &'a mut String,
    /// Where the first member starts (just after `{`).
    start: usize,
    members: Vec<Member>,
    /// The name of a map entry whose value is still to come.
    pending: Option<String>,
    /// For an enum variant with fields: the variant's name, closing an outer object around this.
    variant: Option<&'static str>,
}

struct Member {
    name: String,
    /// The member's `"name":value` text, in `out`.
    at: std::ops::Range<usize>,
}

impl<'a> Object<'a> {
    fn new(out: &'a mut String, variant: Option<&'static str>) -> Object<'a> {
        if let Some(variant) = variant {
            out.push('{');
            write_string(variant, out);
            out.push(':');
        }
        out.push('{');
        let start = out.len();
        Object {
            out,
            start,
            members: Vec::new(),
            pending: None,
            variant,
        }
    }

    fn member<T: Serialize + ?Sized>(&mut self, name: String, value: &T) -> Result<(), Error> {
        if !self.members.is_empty() {
            self.out.push(',');
        }
        let begin = self.out.len();
        write_string(&name, self.out);
        self.out.push(':');
        value.serialize(Writer { out: self.out })?;
        self.members.push(Member {
            name,
            at: begin..self.out.len(),
        });
        Ok(())
    }

    /// Puts the members in JCS order (a later member of the same name replaces an earlier one,
    /// as in `serde_json::Map`) and closes the object.
    fn end(self) -> Result<(), Error> {
        let Object {
            out,
            start,
            mut members,
            variant,
            ..
        } = self;
        let in_order = members
            .windows(2)
            .all(|w| utf16_cmp(&w[0].name, &w[1].name) == Ordering::Less);
        if !in_order {
            let written = out.split_off(start);
            members.sort_by(|a, b| utf16_cmp(&a.name, &b.name));
            let mut first = true;
            for (i, m) in members.iter().enumerate() {
                if members.get(i + 1).is_some_and(|next| next.name == m.name) {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&written[m.at.start - start..m.at.end - start]);
            }
        }
        out.push('}');
        if variant.is_some() {
            out.push('}');
        }
        Ok(())
    }
}

impl<'a> Seq<'a> {
    fn new(out: &'a mut String, variant: Option<&'static str>) -> Seq<'a> {
        if let Some(variant) = variant {
            out.push('{');
            write_string(variant, out);
            out.push(':');
        }
        out.push('[');
        Seq { out, first: true }
    }

    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        value.serialize(Writer { out: self.out })
    }
}

/// Non-finite doubles become `null`, as `serde_json::to_value` makes them.
fn write_f64(f: f64, out: &mut String) {
    if f.is_finite() {
        out.push_str(&es_number(f));
    } else {
        out.push_str("null");
    }
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = VariantSeq<'a>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Object<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        write_i64(v, self.out);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        if let Ok(u) = u64::try_from(v) {
            write_u64(u, self.out);
        } else if let Ok(i) = i64::try_from(v) {
            write_i64(i, self.out);
        } else {
            return Err(Error("number out of range".into()));
        }
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        write_u64(v, self.out);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        let u = u64::try_from(v).map_err(|_| Error("number out of range".into()))?;
        write_u64(u, self.out);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        write_f64(f64::from(v), self.out);
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        write_f64(v, self.out);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        write_string(v.encode_utf8(&mut [0; 4]), self.out);
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_string(v, self.out);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let mut seq = Seq::new(self.out, None);
        for b in v {
            ser::SerializeSeq::serialize_element(&mut seq, b)?;
        }
        ser::SerializeSeq::end(seq)
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.out.push('{');
        write_string(variant, self.out);
        self.out.push(':');
        value.serialize(Writer { out: self.out })?;
        self.out.push('}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'a>, Error> {
        Ok(Seq::new(self.out, None))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Seq<'a>, Error> {
        Ok(Seq::new(self.out, None))
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Seq<'a>, Error> {
        Ok(Seq::new(self.out, None))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantSeq<'a>, Error> {
        Ok(VariantSeq(Seq::new(self.out, Some(variant))))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Object<'a>, Error> {
        Ok(Object::new(self.out, None))
    }
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Object<'a>, Error> {
        // serde_json's raw JSON text travels as a struct of this name; `to_value` parses it.
        // Nothing the gateway digests holds one, so it is refused rather than written as an
        // object that would not match.
        if name == RAW_VALUE {
            return Err(Error(
                "raw JSON text has no typed canonical form here".into(),
            ));
        }
        Ok(Object::new(self.out, None))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Object<'a>, Error> {
        Ok(Object::new(self.out, Some(variant)))
    }
}

/// serde's three array-like traits, each an element at a time into [`Seq::item`].
macro_rules! seq_like {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Seq<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.item(value)
            }
            fn end(self) -> Result<(), Error> {
                self.out.push(']');
                Ok(())
            }
        }
    )*};
}

seq_like!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

/// A tuple variant: `{"Variant":[…]}`.
struct VariantSeq<'a>(Seq<'a>);

impl ser::SerializeTupleVariant for VariantSeq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.0.item(value)
    }
    fn end(self) -> Result<(), Error> {
        self.0.out.push_str("]}");
        Ok(())
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.pending = Some(key.serialize(KeyWriter)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let name = self
            .pending
            .take()
            .ok_or_else(|| Error("a map value came without its key".into()))?;
        self.member(name, value)
    }
    fn end(self) -> Result<(), Error> {
        Object::end(self)
    }
}

/// serde's two struct traits, each a named member at a time into [`Object::member`].
macro_rules! struct_like {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Object<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.member(key.to_string(), value)
            }
            fn end(self) -> Result<(), Error> {
                Object::end(self)
            }
        }
    )*};
}

struct_like!(SerializeStruct, SerializeStructVariant);

/// A map key as `serde_json` accepts one: a string, or a number, bool or char written as one.
struct KeyWriter;

fn not_a_key() -> Error {
    Error("key must be a string".into())
}

/// A finite float key, written as `serde_json` writes the number (its map keys are written so).
fn float_key(finite: bool, written: serde_json::Result<String>) -> Result<String, Error> {
    if !finite {
        return Err(Error("float key must be finite".into()));
    }
    written.map_err(|e| Error(e.to_string()))
}

impl ser::Serializer for KeyWriter {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = ser::Impossible<String, Error>;
    type SerializeTuple = ser::Impossible<String, Error>;
    type SerializeTupleStruct = ser::Impossible<String, Error>;
    type SerializeTupleVariant = ser::Impossible<String, Error>;
    type SerializeMap = ser::Impossible<String, Error>;
    type SerializeStruct = ser::Impossible<String, Error>;
    type SerializeStructVariant = ser::Impossible<String, Error>;

    fn serialize_bool(self, v: bool) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i128(self, v: i128) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u128(self, v: u128) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, v: f32) -> Result<String, Error> {
        float_key(v.is_finite(), serde_json::to_string(&v))
    }
    fn serialize_f64(self, v: f64) -> Result<String, Error> {
        float_key(v.is_finite(), serde_json::to_string(&v))
    }
    fn serialize_char(self, v: char) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<String, Error> {
        Err(not_a_key())
    }
    fn serialize_none(self) -> Result<String, Error> {
        Err(not_a_key())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, Error> {
        Err(not_a_key())
    }
    fn serialize_unit(self) -> Result<String, Error> {
        Err(not_a_key())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, Error> {
        Err(not_a_key())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, Error> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, Error> {
        Err(not_a_key())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(not_a_key())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(not_a_key())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(not_a_key())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(not_a_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use serde_json::json;
    use std::collections::{BTreeMap, HashMap};

    /// The old way: a `Value` copy, then its canonical form.
    fn through_value<T: Serialize>(v: &T) -> String {
        super::super::canonicalize(&serde_json::to_value(v).expect("to_value"))
    }

    fn same<T: Serialize + std::fmt::Debug>(v: &T) {
        assert_eq!(canonical(v).expect("canonical"), through_value(v), "{v:?}");
    }

    #[derive(Debug, Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Plain,
        Wrapped(u8),
        Pair(i32, String),
        Named { z: bool, a: Option<String> },
    }

    #[derive(Debug, Serialize)]
    struct Request {
        zeta: String,
        alpha: Vec<Kind>,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        none: Option<u8>,
        #[serde(rename = "Ünïcode")]
        unicode: f64,
        #[serde(rename = "\u{1f600}")]
        astral: i64,
        #[serde(rename = "\u{fb33}")]
        bmp: u64,
        nested: serde_json::Value,
        unit: (),
        tuple: (u8, char, &'static str),
        bytes: &'static [u8],
    }

    #[test]
    fn writes_what_the_value_copy_wrote() {
        same(&Request {
            zeta: "control \u{1} quote \" backslash \\ 汉字 \u{2028}".into(),
            alpha: vec![
                Kind::Plain,
                Kind::Wrapped(7),
                Kind::Pair(-3, "x".into()),
                Kind::Named { z: true, a: None },
            ],
            skipped: None,
            none: None,
            unicode: 1e21,
            astral: -(1 << 60),
            bmp: u64::MAX,
            nested: json!({"b": [1.5, -0.0, 1e-7, null], "a": {"y": "", "x": 333333333.3333332}, "": 0}),
            unit: (),
            tuple: (255, 'é', "t"),
            bytes: b"\x00\xff",
        });
    }

    #[test]
    fn numbers_at_the_edges_of_exact_doubles() {
        for n in [0u64, 1, (1 << 53) - 1, 1 << 53, (1 << 53) + 1, u64::MAX] {
            same(&n);
        }
        for n in [i64::MIN, -(1 << 53) - 1, -(1 << 53), -1] {
            same(&n);
        }
        for f in [
            0.1f64,
            -5e-324,
            9007199254740993.0,
            f64::NAN,
            f64::INFINITY,
            3.0,
        ] {
            same(&f);
        }
        same(&1.1f32);
    }

    #[test]
    fn maps_with_number_and_duplicate_keys() {
        let mut m = BTreeMap::new();
        m.insert(10u32, "ten");
        m.insert(9u32, "nine");
        same(&m);
        let h: HashMap<String, u8> = (0..50).map(|i| (format!("k{i}"), i)).collect();
        same(&h);
        // A map serialized with a repeated name keeps the last value, as serde_json::Map does.
        struct Repeats;
        impl Serialize for Repeats {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("b", &1)?;
                m.serialize_entry("a", &2)?;
                m.serialize_entry("b", &3)?;
                m.end()
            }
        }
        assert_eq!(canonical(&Repeats).expect("canonical"), r#"{"a":2,"b":3}"#);
        assert_eq!(through_value(&Repeats), r#"{"a":2,"b":3}"#);
        // Inside an outer object that is itself reordered: the inner text shrinks when the
        // repeat is dropped, and the outer members must still be cut at the right places.
        let mut outer = BTreeMap::new();
        outer.insert("z", serde_json::to_value(1).expect("value"));
        #[derive(Serialize)]
        struct Outer<'a> {
            zz: &'a BTreeMap<&'static str, serde_json::Value>,
            inner: Repeats,
            aa: u8,
        }
        let v = Outer {
            zz: &outer,
            inner: Repeats,
            aa: 1,
        };
        assert_eq!(
            canonical(&v).expect("canonical"),
            r#"{"aa":1,"inner":{"a":2,"b":3},"zz":{"z":1}}"#
        );
        assert_eq!(canonical(&v).expect("canonical"), through_value(&v));
    }

    #[test]
    fn float_and_bool_keys_are_written_as_serde_json_writes_them() {
        struct Keys;
        impl Serialize for Keys {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                m.serialize_entry(&1.5f64, "a")?;
                m.serialize_entry(&1e21f64, "b")?;
                m.serialize_entry(&0.1f32, "c")?;
                m.serialize_entry(&true, "d")?;
                m.end()
            }
        }
        same_unprintable(&Keys);
    }

    fn same_unprintable<T: Serialize>(v: &T) {
        assert_eq!(canonical(v).expect("canonical"), through_value(v));
    }

    #[test]
    fn a_key_that_is_not_a_string_is_refused_like_to_value() {
        let mut m = BTreeMap::new();
        m.insert(vec![1u8], 1u8);
        assert!(canonical(&m).is_err());
        assert!(serde_json::to_value(&m).is_err());
    }
}
