//! Reading a recording file: every refusal names the line and what was wrong.

use serde_json::Value;

use super::{Event, Header, Recording, FORMAT_NAME, FORMAT_VERSION};

/// Why a recording cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordingError {
    /// The file is empty.
    #[error("the recording is empty (no header line)")]
    Empty,
    /// A line is not a JSON object of a known shape.
    #[error("recording line {line}: {message}")]
    Line {
        /// The 1-based line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// The header names another format.
    #[error("recording line 1: format is {found:?}, expected {FORMAT_NAME:?}")]
    NotARecording {
        /// The `format` value found.
        found: String,
    },
    /// The file was written by a newer format version.
    #[error(
        "the recording has format version {found}; this ampere reads version {FORMAT_VERSION}"
    )]
    Version {
        /// The version found.
        found: u32,
    },
}

fn line_error(line: usize, message: impl Into<String>) -> RecordingError {
    RecordingError::Line {
        line,
        message: message.into(),
    }
}

const KNOWN: [&str; 5] = ["stdout", "stderr", "stdin", "stdin_closed", "exit"];

pub(super) fn parse(bytes: &[u8]) -> Result<Recording, RecordingError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        line_error(line, "not UTF-8")
    })?;
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((number, first)) = lines.next() else {
        return Err(RecordingError::Empty);
    };
    let header = parse_header(number, first)?;
    let mut events = Vec::new();
    let mut skipped = 0;
    let mut last_t = 0;
    for (number, line) in lines {
        let value: Value =
            serde_json::from_str(line).map_err(|e| line_error(number, format!("not JSON: {e}")))?;
        let kind = match value.get("event") {
            Some(Value::String(kind)) => kind.clone(),
            _ => return Err(line_error(number, "no \"event\" string field")),
        };
        if kind == "header" {
            return Err(line_error(number, "a second header"));
        }
        if !KNOWN.contains(&kind.as_str()) {
            skipped += 1;
            continue;
        }
        let event: Event = serde_json::from_value(value)
            .map_err(|e| line_error(number, format!("bad {kind} event: {e}")))?;
        check_event(number, &event)?;
        if event.t_us() < last_t {
            return Err(line_error(
                number,
                format!(
                    "t_us {} is earlier than the line before ({last_t})",
                    event.t_us()
                ),
            ));
        }
        last_t = event.t_us();
        events.push(event);
    }
    Ok(Recording {
        header,
        events,
        skipped,
    })
}

fn parse_header(number: usize, line: &str) -> Result<Header, RecordingError> {
    let mut value: Value = serde_json::from_str(line)
        .map_err(|e| line_error(number, format!("the header is not JSON: {e}")))?;
    let Value::Object(map) = &mut value else {
        return Err(line_error(number, "the header is not a JSON object"));
    };
    if map.remove("event") != Some(Value::String("header".into())) {
        return Err(line_error(
            number,
            "the first line is not a header (\"event\":\"header\")",
        ));
    }
    match map.get("format") {
        Some(Value::String(format)) if format == FORMAT_NAME => {}
        Some(Value::String(format)) => {
            return Err(RecordingError::NotARecording {
                found: format.clone(),
            })
        }
        _ => return Err(line_error(number, "the header has no \"format\" string")),
    }
    let version = map
        .get("version")
        .and_then(Value::as_u64)
        .ok_or_else(|| line_error(number, "the header has no integer \"version\""))?;
    if version > u64::from(FORMAT_VERSION) || version == 0 {
        return Err(RecordingError::Version {
            found: u32::try_from(version).unwrap_or(u32::MAX),
        });
    }
    serde_json::from_value(value).map_err(|e| line_error(number, format!("bad header: {e}")))
}

fn check_event(number: usize, event: &Event) -> Result<(), RecordingError> {
    let chunk = match event {
        Event::Stdout { chunk, .. } | Event::Stderr { chunk, .. } | Event::Stdin { chunk, .. } => {
            chunk
        }
        Event::Exit { code, signal, .. } => {
            return match (code, signal) {
                (Some(_), None) | (None, Some(_)) => Ok(()),
                _ => Err(line_error(
                    number,
                    "an exit needs exactly one of \"code\" and \"signal\"",
                )),
            };
        }
        Event::StdinClosed { .. } => return Ok(()),
    };
    if chunk.bytes().is_none() {
        return Err(line_error(
            number,
            "needs exactly one of \"text\" and \"hex\" (hex: pairs of hex digits)",
        ));
    }
    Ok(())
}
