//! Input messages (`--stream-json-input`).

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------
// Input messages (`--stream-json-input`)
// ---------------------------------------------------------------------------------------------

/// One line of `--stream-json-input`:
/// `{"type":"user","message":{"role":"user","content":[..]},"request_id"?:..}`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct UserInputMessage {
    /// The message.
    pub message: UserMessageDetails,
    /// An id the caller chose for this message (1..=256 characters).
    #[serde(default)]
    pub request_id: Option<String>,
}

/// A user input message holding one text block.
pub fn create_user_message(text: impl Into<String>) -> UserInputMessage {
    UserInputMessage::new(vec![ContentBlock::text(text)])
}

impl UserInputMessage {
    /// The longest `request_id` the CLI accepts, in characters.
    pub const MAX_REQUEST_ID_CHARS: usize = 256;

    /// A user input message with the given blocks (text, tool results).
    pub fn new(content: Vec<ContentBlock>) -> Self {
        Self {
            message: UserMessageDetails {
                role: default_user_role(),
                content,
            },
            request_id: None,
        }
    }

    /// Sets the `request_id` (1..=256 characters).
    pub fn with_request_id(mut self, id: impl Into<String>) -> Result<Self, ValidationError> {
        let id = id.into();
        let n = id.chars().count();
        if n == 0 || n > Self::MAX_REQUEST_ID_CHARS {
            return Err(ValidationError::new(
                "request_id",
                format!(
                    "must be 1..={} characters long (got {n})",
                    Self::MAX_REQUEST_ID_CHARS
                ),
            ));
        }
        self.request_id = Some(id);
        Ok(self)
    }

    /// The message as one JSON line ending in `\n` (the JSON itself holds no raw newline).
    pub fn to_json_line(&self) -> Vec<u8> {
        // Serializing these types into a Vec cannot fail: every map key is a string and
        // no Serialize impl here returns an error.
        let mut out = serde_json::to_vec(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

impl Serialize for UserInputMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("UserInputMessage", 3)?;
        st.serialize_field("type", "user")?;
        st.serialize_field("message", &self.message)?;
        match &self.request_id {
            Some(id) => st.serialize_field("request_id", id)?,
            None => st.skip_field("request_id")?,
        }
        st.end()
    }
}

