//! Open enums: known values plus `Other(String)`.

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------
// Open enums: known values plus `Other(String)`.
// ---------------------------------------------------------------------------------------------

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version of ampere does not know, kept as text.
            Other(String),
        }

        impl $name {
            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $wire => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $( $wire => Self::$variant, )*
                    _ => Self::Other(s),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = d.deserialize_str(TagVisitor)?;
                Ok(match s {
                    Cow::Borrowed(b) => Self::from(b),
                    Cow::Owned(o) => Self::from(o),
                })
            }
        }
    };
}

open_enum! {
    /// Why the model stopped generating (`message.stop_reason`).
    pub enum StopReason {
        /// The model finished its turn.
        EndTurn => "end_turn",
        /// The model wants to call a tool.
        ToolUse => "tool_use",
        /// The output hit the token limit.
        MaxTokens => "max_tokens",
        /// A stop sequence was produced (see `stop_sequence`).
        StopSequence => "stop_sequence",
        /// The turn was paused by the server.
        PauseTurn => "pause_turn",
        /// The model refused to continue.
        Refusal => "refusal",
    }
}

open_enum! {
    /// The state of one MCP server in the `system` init message.
    pub enum McpServerState {
        /// Waiting for the user to approve the server.
        AwaitingApproval => "awaiting-approval",
        /// Signing in to the server.
        Authenticating => "authenticating",
        /// Connecting to the server.
        Connecting => "connecting",
        /// Reconnecting after losing the server.
        Reconnecting => "reconnecting",
        /// Connected and usable.
        Connected => "connected",
        /// The user denied the server.
        Denied => "denied",
        /// The server failed to start or connect.
        Failed => "failed",
        /// A registry policy blocks the server.
        BlockedByRegistry => "blocked-by-registry",
    }
}

open_enum! {
    /// The `subtype` of an error result.
    pub enum ErrorSubtype {
        /// The execution failed.
        ErrorDuringExecution => "error_during_execution",
        /// The agent hit its turn limit.
        ErrorMaxTurns => "error_max_turns",
    }
}

