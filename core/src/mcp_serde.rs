//! serde for [`McpConfigSource`], so `AmpOptions` can come from a JSON or TOML file:
//! an object is a typed inline configuration; a string is classified like
//! `McpConfigSource::from(String)` (text starting with `{` is inline JSON, anything else a
//! path).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::mcp::{McpConfig, McpConfigSource};

impl Serialize for McpConfigSource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            McpConfigSource::Inline(config) => config.serialize(serializer),
            McpConfigSource::Json(text) | McpConfigSource::Path(text) => {
                serializer.serialize_str(text)
            }
        }
    }
}

impl<'de> Deserialize<'de> for McpConfigSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Text(String),
            Config(McpConfig),
        }
        Ok(match Repr::deserialize(deserializer)? {
            Repr::Text(text) => McpConfigSource::from(text),
            Repr::Config(config) => McpConfigSource::Inline(config),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::McpServer;

    #[test]
    fn sources_round_trip_through_json() {
        let typed = McpConfigSource::Inline(
            McpConfig::new().server("pw", McpServer::stdio("npx").args(["-y", "pw"])),
        );
        for source in [
            typed,
            McpConfigSource::from(r#"{"a":{"command":"x"}}"#),
            McpConfigSource::from("./mcp.json"),
        ] {
            let json = serde_json::to_string(&source).expect("serializes");
            let back: McpConfigSource = serde_json::from_str(&json).expect("deserializes");
            assert_eq!(back, source, "{json}");
        }
        let path: McpConfigSource = serde_json::from_str(r#""/etc/mcp.json""#).expect("path");
        assert!(!path.is_inline());
    }
}
