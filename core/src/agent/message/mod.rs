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

    /// Lines the SIMD path must take, and get exactly as the serde path does.
    const FAST: &[&str] = &[
        r#"{"type":"user","message":{"role":"user","content":[{"type":"text","text":"h\u00e9 ü \n \"q\" \\ \/ \b\f\r\t \ud83d\ude00 end"}]},"parent_tool_use_id":null,"session_id":"T-1"}"#,
        r#"{"type":"assistant","message":{"type":"message","role":"assistant","model":"m","id":"x","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"tool_use","id":"t1","name":"Read","input":{"p":[1,2.5,null,-0.0,-0e1,1e-400,123456789012345678901234567890e-10,2.2250738585072011e-308,0.1,"\u0041"]}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":null,"max_tokens":9,"service_tier":"s","extra":{"a":[true,false,null,-1.5e+3,"x\"y"]}}},"parent_tool_use_id":"x","session_id":"T-1"}"#,
        r#"{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"a"}],"is_error":true}]},"session_id":"T-1"}"#,
        r#" { "type" : "user" , "message" : { "role" : null , "content" : "hi" } , "session_id" : null } "#,
        r#"{"type":"assistant","message":{"role":null,"content":null,"stop_reason":"novel","usage":null}}"#,
        r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t","content":null,"is_error":null},{"type":"tool_result","tool_use_id":"t","content":"x\u0000y"},{"type":"tool_use","id":"i","name":"n"}]},"x":[[],{},""]}"#,
        r#"{"type":"assistant","message":{"content":[{"type":"thinking","thinking":null}]},"t\u0079pe":1,"session_id":"s\u00e9"}"#,
    ];

    /// Lines the SIMD path may take or leave to the serde path (which decodes them or says why
    /// not); what it takes, it must decode as serde_json does.
    const SLOW: &[&str] = &[
        r#"{"type":"assistant","message":{"type":"message","role":"assistant","model":"m","id":"x","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"tool_use","id":"t1","name":"Read","input":{"p":[1,2.5,null,-0,1e-400,123456789012345678901234567890e-10,2.2250738585072011e-308,0.1,18446744073709551616,-9223372036854775809,"\u0041"]}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":null,"max_tokens":9,"service_tier":"s","extra":{"a":[true,false,null,-1.5e+3,"x\"y"]}}},"parent_tool_use_id":"x","session_id":"T-1"}"#,
        r#"{"type":"user","message":{"content":[{"type":"text","text":"a","text":"b"}]}}"#,
        r#"{"type":"user","message":{"content":[{"type":"img"}]}}"#,
        r#"{"type":"user","message":{"content":[{"type":"text","text":"\ud800"}]}}"#,
        r#"{"type":"user","message":{"content":[{"type":"text","text":"a	b"}]}}"#,
        r#"{"type":"user","message":{"content":"x"},}"#,
        r#"{"type":"user","message":{"content":"x"}} x"#,
        r#"{"type":"user","message":{"content":[1]}}"#,
        r#"{"type":"user","x":01,"message":{}}"#,
        r#"{"type":"user","x":[1,],"message":{}}"#,
        r#"{"type":"user","x":"\x","message":{}}"#,
        r#"{"type":"user"}"#,
        r#"{"type":"assistant","message":{"usage":{"input_tokens":1.0}}}"#,
        r#"{"type":"assistant","message":{"usage":{"input_tokens":-1}}}"#,
        r#"{"type":"assistant","message":{"usage":{"input_tokens":18446744073709551616}}}"#,
        r#"{"type":"assistant","message":{"usage":[1,2,3,4]}}"#,
        r#"{"type":"assistant","message":{"content":[{"type":"tool_use","id":"i","name":"n","input":1e999}]}}"#,
        r#"{"type":"result","subtype":"success","is_error":false,"result":"4","duration_ms":1,"num_turns":1}"#,
        r#"{"session_id":"T-1","type":"user","message":{"content":"hi"}}"#,
        r#"{"type":"system","subtype":"init"}"#,
        r#"{"type":"user","message":{"content":"x"},"session_id":7}"#,
    ];

    /// The SIMD path never accepts what serde_json refuses, and decodes what it accepts
    /// exactly as serde_json does.
    fn agrees(line: &str) -> bool {
        let simd = crate::decode::__decode_simd(line.as_bytes());
        if let Some(m) = &simd {
            assert_eq!(Ok(m), parse(line).as_ref().map_err(|_| ()), "{line}");
        }
        simd.is_some()
    }

    #[test]
    fn simd_path_equals_the_serde_path() {
        for line in FAST {
            assert!(agrees(line), "SIMD path refused {line}");
        }
        for line in SLOW {
            agrees(line);
        }
        for (depth, taken) in [(20, true), (200, false)] {
            let deep = format!(
                r#"{{"type":"user","x":{}{},"message":{{}}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            );
            assert_eq!(agrees(&deep), taken, "nesting {depth}");
            let deep = format!(
                r#"{{"type":"assistant","message":{{"content":[{{"type":"tool_use","id":"i","name":"n","input":{}{}}}]}}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            );
            assert_eq!(agrees(&deep), taken, "nesting {depth}");
        }
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
