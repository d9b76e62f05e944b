//! `amp-flood`: a stand-in for the Amp CLI that writes a lot of stream JSON as fast as the
//! pipe takes it, and says from outside how far it got. The backpressure scenarios of the
//! suite use it to see how many bytes ampere has read but not yet delivered.
//!
//! It reads the prompt (text mode: stdin to its end; with `--stream-json-input`: the first
//! line), then writes one `system/init` line, `AMP_FLOOD_LINES` assistant lines of exactly
//! `AMP_FLOOD_LINE_BYTES` bytes each (newline included), and a success result. In
//! stream-input mode it then waits for stdin to close before it exits (as a session does).
//!
//! Progress: when `AMP_FLOOD_PROGRESS` names a file, after each line the total number of
//! stdout bytes written so far (the line's `write` returned) is written at offset 0 as
//! [`PROGRESS_WIDTH`] ASCII digits and a newline; [`read_progress`] reads it.

use std::ffi::OsString;
use std::io::{BufRead, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Bytes of the progress record (20 digits and a newline).
pub const PROGRESS_WIDTH: usize = 21;

/// The default number of assistant lines.
pub const DEFAULT_LINES: u64 = 4096;

/// The default length of an assistant line in bytes, its newline included.
pub const DEFAULT_LINE_BYTES: usize = 16 * 1024;

/// The session id on every line.
pub const SESSION_ID: &str = "T-f100d000-0000-7000-8000-000000000000";

/// The number of stdout bytes the flood had written, from its progress file (`None` before
/// the first line).
pub fn read_progress(path: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    text.trim().parse().ok()
}

/// The `system/init` line (with its newline).
pub fn init_line() -> String {
    format!(
        "{{\"type\":\"system\",\"subtype\":\"init\",\"cwd\":\"/\",\"session_id\":\"{SESSION_ID}\",\"tools\":[\"Bash\"],\"mcp_servers\":[]}}\n"
    )
}

/// Assistant line number `i`, padded with text to exactly `len` bytes (newline included;
/// at least the line without padding).
pub fn assistant_line(i: u64, len: usize) -> String {
    let head = format!(
        "{{\"type\":\"assistant\",\"message\":{{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{{\"type\":\"text\",\"text\":\"chunk {i:010} "
    );
    let tail = format!(
        "\"}}],\"stop_reason\":\"end_turn\",\"usage\":{{\"input_tokens\":1,\"output_tokens\":1}}}},\"parent_tool_use_id\":null,\"session_id\":\"{SESSION_ID}\"}}\n"
    );
    let pad = len.saturating_sub(head.len() + tail.len());
    let mut line = String::with_capacity(len);
    line.push_str(&head);
    line.push_str(&"x".repeat(pad));
    line.push_str(&tail);
    line
}

/// The success result line (with its newline).
pub fn result_line(lines: u64) -> String {
    format!(
        "{{\"type\":\"result\",\"subtype\":\"success\",\"duration_ms\":1,\"is_error\":false,\"num_turns\":1,\"result\":\"flooded {lines} lines\",\"session_id\":\"{SESSION_ID}\",\"usage\":{{\"input_tokens\":1,\"output_tokens\":1}}}}\n"
    )
}

fn env_num(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs the flood with `args` (argv without the program name); returns the exit code
/// (1 if stdout went away).
pub fn main_with(args: Vec<OsString>) -> i32 {
    let stream_input = args.iter().any(|a| a == "--stream-json-input");
    let mut stdin = std::io::stdin().lock();
    if stream_input {
        let mut first = String::new();
        let _ = stdin.read_line(&mut first);
    } else {
        let _ = stdin.read_to_end(&mut Vec::new());
    }
    let lines = env_num("AMP_FLOOD_LINES", DEFAULT_LINES);
    let len = env_num("AMP_FLOOD_LINE_BYTES", DEFAULT_LINE_BYTES as u64) as usize;
    let progress = std::env::var_os("AMP_FLOOD_PROGRESS").and_then(|p| {
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(p)
            .ok()
    });
    let mut out = std::io::stdout().lock();
    let mut written = 0u64;
    let mut put = |bytes: &[u8]| -> std::io::Result<()> {
        out.write_all(bytes)?;
        out.flush()?;
        written += bytes.len() as u64;
        if let Some(f) = &progress {
            let record = format!("{written:0width$}\n", width = PROGRESS_WIDTH - 1);
            f.write_all_at(record.as_bytes(), 0)?;
        }
        Ok(())
    };
    let mut go = || -> std::io::Result<()> {
        put(init_line().as_bytes())?;
        for i in 0..lines {
            put(assistant_line(i, len).as_bytes())?;
        }
        put(result_line(lines).as_bytes())
    };
    if go().is_err() {
        return 1;
    }
    if stream_input {
        let _ = stdin.read_to_end(&mut Vec::new());
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_the_asked_length_and_decode() {
        for len in [600, 1000, 16 * 1024] {
            let line = assistant_line(7, len);
            assert_eq!(line.len(), len);
            let v: serde_json::Value = serde_json::from_str(line.trim_end()).expect("json");
            assert_eq!(v["type"], "assistant");
        }
        for l in [init_line(), result_line(3)] {
            serde_json::from_str::<serde_json::Value>(l.trim_end()).expect("json");
        }
    }
}
