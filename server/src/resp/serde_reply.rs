//! Any [`Serialize`] value as a [`Reply`], so that a command can answer the
//! very value an HTTP route sends as JSON (`KVSTORE.SEGMENTS` and
//! `/segments`) instead of a second description of it.
//!
//! Shapes follow serde_json's: a struct or map is a map (a RESP2 flat
//! array), a sequence an array, `None` and `()` a null, a unit variant its
//! name, other variants a one-entry map from their name. What RESP2 lacks
//! becomes what Redis sends in its place: booleans are integers 1 and 0,
//! floats and integers beyond 64 signed bits are bulk strings.
//!
//! A leaf: it knows only [`Reply`].

use std::fmt;

use serde::Serialize;
use serde::ser::{
    self, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant,
};

use crate::resp::reply::Reply;

/// `value` as a reply. A value whose `Serialize` fails (none of the
/// server's do) answers an internal error, logged here.
pub(crate) fn to_reply<T: Serialize + ?Sized>(value: &T) -> Reply {
    value.serialize(ReplySerializer).unwrap_or_else(|e| {
        tracing::error!(error = %e, "a reply could not be serialized");
        Reply::err("internal error: the reply could not be built")
    })
}

/// Why a value could not become a reply: only what its own `Serialize`
/// reports.
#[derive(Debug)]
struct Unserializable(String);

impl fmt::Display for Unserializable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unserializable {}

impl ser::Error for Unserializable {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Unserializable(msg.to_string())
    }
}

type Result<T, E = Unserializable> = std::result::Result<T, E>;

struct ReplySerializer;

/// A map from the variant's name to `value`, as serde_json tags a variant.
fn tagged(variant: &'static str, value: Reply) -> Reply {
    Reply::Map(vec![(Reply::bulk(variant), value)])
}

impl ser::Serializer for ReplySerializer {
    type Ok = Reply;
    type Error = Unserializable;
    type SerializeSeq = Elements;
    type SerializeTuple = Elements;
    type SerializeTupleStruct = Elements;
    type SerializeTupleVariant = Variant<Elements>;
    type SerializeMap = Entries;
    type SerializeStruct = Entries;
    type SerializeStructVariant = Variant<Entries>;

    fn serialize_bool(self, v: bool) -> Result<Reply> {
        Ok(Reply::Integer(i64::from(v)))
    }

    fn serialize_i8(self, v: i8) -> Result<Reply> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<Reply> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<Reply> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i64(self, v: i64) -> Result<Reply> {
        Ok(Reply::Integer(v))
    }

    fn serialize_i128(self, v: i128) -> Result<Reply> {
        Ok(i64::try_from(v).map_or_else(|_| Reply::bulk(v.to_string()), Reply::Integer))
    }

    fn serialize_u8(self, v: u8) -> Result<Reply> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<Reply> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<Reply> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_u64(self, v: u64) -> Result<Reply> {
        self.serialize_i128(i128::from(v))
    }

    fn serialize_u128(self, v: u128) -> Result<Reply> {
        Ok(i64::try_from(v).map_or_else(|_| Reply::bulk(v.to_string()), Reply::Integer))
    }

    fn serialize_f32(self, v: f32) -> Result<Reply> {
        self.serialize_f64(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<Reply> {
        Ok(Reply::bulk(v.to_string()))
    }

    fn serialize_char(self, v: char) -> Result<Reply> {
        Ok(Reply::bulk(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Result<Reply> {
        Ok(Reply::bulk(v))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Reply> {
        Ok(Reply::bulk(v))
    }

    fn serialize_none(self) -> Result<Reply> {
        Ok(Reply::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Reply> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Reply> {
        Ok(Reply::Null)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Reply> {
        Ok(Reply::Null)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Reply> {
        Ok(Reply::bulk(variant))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Reply> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Reply> {
        Ok(tagged(variant, value.serialize(self)?))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Elements> {
        Ok(Elements(Vec::with_capacity(len.unwrap_or(0))))
    }

    fn serialize_tuple(self, len: usize) -> Result<Elements> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Elements> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Variant<Elements>> {
        Ok(Variant {
            variant,
            inner: Elements(Vec::with_capacity(len)),
        })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Entries> {
        Ok(Entries {
            entries: Vec::with_capacity(len.unwrap_or(0)),
            key: None,
        })
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Entries> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Variant<Entries>> {
        Ok(Variant {
            variant,
            inner: self.serialize_map(Some(len))?,
        })
    }
}

/// A sequence or tuple being built.
struct Elements(Vec<Reply>);

impl SerializeSeq for Elements {
    type Ok = Reply;
    type Error = Unserializable;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.0.push(value.serialize(ReplySerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Reply> {
        Ok(Reply::Array(self.0))
    }
}

impl SerializeTuple for Elements {
    type Ok = Reply;
    type Error = Unserializable;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<Reply> {
        SerializeSeq::end(self)
    }
}

impl SerializeTupleStruct for Elements {
    type Ok = Reply;
    type Error = Unserializable;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<Reply> {
        SerializeSeq::end(self)
    }
}

/// A map or struct being built; `key` waits for its value.
struct Entries {
    entries: Vec<(Reply, Reply)>,
    key: Option<Reply>,
}

impl SerializeMap for Entries {
    type Ok = Reply;
    type Error = Unserializable;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.key = Some(key.serialize(ReplySerializer)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Unserializable("a map value came without its key".into()))?;
        self.entries.push((key, value.serialize(ReplySerializer)?));
        Ok(())
    }

    fn end(self) -> Result<Reply> {
        Ok(Reply::Map(self.entries))
    }
}

impl SerializeStruct for Entries {
    type Ok = Reply;
    type Error = Unserializable;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<()> {
        self.entries
            .push((Reply::bulk(name), value.serialize(ReplySerializer)?));
        Ok(())
    }

    fn end(self) -> Result<Reply> {
        SerializeMap::end(self)
    }
}

/// A tuple or struct variant being built, to be tagged with its name.
struct Variant<T> {
    variant: &'static str,
    inner: T,
}

impl SerializeTupleVariant for Variant<Elements> {
    type Ok = Reply;
    type Error = Unserializable;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        SerializeSeq::serialize_element(&mut self.inner, value)
    }

    fn end(self) -> Result<Reply> {
        Ok(tagged(self.variant, SerializeSeq::end(self.inner)?))
    }
}

impl SerializeStructVariant for Variant<Entries> {
    type Ok = Reply;
    type Error = Unserializable;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<()> {
        SerializeStruct::serialize_field(&mut self.inner, name, value)
    }

    fn end(self) -> Result<Reply> {
        Ok(tagged(self.variant, SerializeMap::end(self.inner)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Log,
        Seal { next_seq: u64 },
    }

    #[derive(Serialize)]
    struct Segment {
        id: u64,
        sealed: bool,
        ratio: f64,
        kind: Kind,
        meta: Option<Kind>,
        records: Vec<u32>,
    }

    #[test]
    fn shapes_follow_serde_json() {
        let segment = Segment {
            id: 3,
            sealed: true,
            ratio: 0.5,
            kind: Kind::Log,
            meta: Some(Kind::Seal { next_seq: 9 }),
            records: vec![1, 2],
        };
        assert_eq!(
            to_reply(&segment),
            Reply::map([
                ("id", Reply::Integer(3)),
                ("sealed", Reply::Integer(1)),
                ("ratio", Reply::bulk("0.5")),
                ("kind", Reply::bulk("log")),
                (
                    "meta",
                    Reply::map([("seal", Reply::map([("next_seq", Reply::Integer(9))]))])
                ),
                (
                    "records",
                    Reply::Array(vec![Reply::Integer(1), Reply::Integer(2)])
                ),
            ])
        );
        assert_eq!(to_reply(&None::<u8>), Reply::Null);
        assert_eq!(to_reply(&u64::MAX), Reply::bulk(u64::MAX.to_string()));
    }
}
