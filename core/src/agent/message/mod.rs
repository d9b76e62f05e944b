//! Typed stream-JSON messages of the Amp CLI (`--stream-json` output and
//! `--stream-json-input` input).
//!
//! Every type here deserializes from the wire shape printed by the CLI and serializes back to
//! the same shape, so a recorded transcript can be decoded, inspected and replayed. The wire
//! grows over time, and decoding follows three rules:
//!
//! - an unknown field is ignored;
//! - an unknown message `type` or content-block `type` is kept as raw JSON
//!   ([`Message::Unknown`], [`ContentBlock::Unknown`]);
//! - an unknown enum value (a stop reason, an MCP server status, an error subtype) is kept as
//!   text in an `Other(String)` variant. A decoded `Other` never holds a known value.
//!
//! Fields the CLI may leave out (`session_id`, `cwd`, `tools`, counts) default to empty or
//! zero; a core field with the wrong JSON type (a `result` that is not a string, say) is an
//! error.

use std::borrow::Cow;
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign};

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ValidationError;

mod wire;
#[macro_use]
mod open_enum;
mod content;
mod input;
mod kinds;
mod usage;

pub use content::*;
pub use input::*;
pub use kinds::*;
pub use open_enum::*;
pub use usage::*;
#[allow(unused_imports)]
use wire::*;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Message, serde_json::Error> {
        serde_json::from_str(s)
    }

    #[test]
    fn tag_not_first_takes_the_slow_path() {
        let m = parse(r#"{"session_id":"T-1","type":"user","message":{"content":"hi"}}"#)
            .map_err(|e| e.to_string());
        let Ok(Message::User(u)) = m else {
            panic!("expected a user message, got {m:?}")
        };
        assert_eq!(u.text(), "hi");
        assert_eq!(u.session_id, "T-1");
        assert_eq!(u.message.role, "user");
        let m = parse(r#"{"type":"assistant","message":{"role":null,"content":null}}"#)
            .map_err(|e| e.to_string());
        let Ok(Message::Assistant(a)) = m else {
            panic!("expected an assistant message, got {m:?}")
        };
        assert_eq!(a.message.role, "assistant");
        assert!(a.message.content.is_empty());
    }
}

