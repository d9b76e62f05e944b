//! Tagged-object decoding: `{"type": TAG, ...}`.

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------
// Tagged-object decoding: `{"type": TAG, ...}` dispatched without buffering when the tag comes
// first (as the CLI prints it), and through a `serde_json::Map` otherwise.
// ---------------------------------------------------------------------------------------------

/// A JSON object whose `type` field selects how the rest of it is decoded.
pub(super) trait Tagged: Sized {
    /// What the visitor expects, for error messages.
    const EXPECTING: &'static str;

    /// Decodes the object (minus its `type` field) from `rest`, given its tag.
    fn from_tagged<'de, D: Deserializer<'de>>(tag: &str, rest: D) -> Result<Self, D::Error>;
}

/// Reads a `type` value as a string, borrowing it when the input allows.
pub(super) struct TagVisitor;

impl<'de> Visitor<'de> for TagVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string `type`")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// Reads a string (a `type` value or a map key) with [`TagVisitor`], borrowing when it can.
pub(super) struct StrSeed;

impl<'de> de::DeserializeSeed<'de> for StrSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(TagVisitor)
    }
}

/// Visits a `{"type": TAG, ...}` object and hands it to [`Tagged::from_tagged`].
pub(super) struct TaggedVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Tagged> Visitor<'de> for TaggedVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let first = match map.next_key_seed(StrSeed)? {
            Some(k) => k,
            None => return Err(de::Error::missing_field("type")),
        };
        if first == "type" {
            // Fast path: the tag comes first; decode the rest straight from the input.
            let tag = map.next_value_seed(StrSeed)?;
            return T::from_tagged(&tag, MapAccessDeserializer::new(map));
        }
        // Slow path: buffer the object, then pull the tag out of it.
        let mut obj = Map::new();
        let v: Value = map.next_value()?;
        obj.insert(first.into_owned(), v);
        while let Some(k) = map.next_key::<String>()? {
            let v: Value = map.next_value()?;
            obj.insert(k, v);
        }
        let tag = match obj.remove("type") {
            Some(Value::String(s)) => s,
            Some(other) => {
                return Err(de::Error::invalid_type(
                    unexpected(&other),
                    &"a string `type`",
                ))
            }
            None => return Err(de::Error::missing_field("type")),
        };
        T::from_tagged(&tag, Value::Object(obj)).map_err(de::Error::custom)
    }
}

pub(super) fn unexpected(v: &Value) -> de::Unexpected<'_> {
    match v {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(_) => de::Unexpected::Other("number"),
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

pub(super) fn deserialize_tagged<'de, T: Tagged, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    d.deserialize_map(TaggedVisitor::<T>(std::marker::PhantomData))
}

/// Decodes the rest of an object of unknown type and puts its tag back in.
pub(super) fn raw_with_tag<'de, D: Deserializer<'de>>(tag: &str, rest: D) -> Result<Value, D::Error> {
    let mut obj = Map::<String, Value>::deserialize(rest)?;
    obj.insert("type".to_owned(), Value::String(tag.to_owned()));
    Ok(Value::Object(obj))
}

/// `null` or absent decodes as the type's default.
pub(super) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + DeserializeOwned,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

