//! The validated argv of every [`ThreadCommand`], checked the way the CLI checks it before
//! it connects (and stricter where the CLI would only fail after connecting).

use std::ffi::OsString;

use super::{
    thread_id_from_url, MultiplayerSetting, ThreadCommand, MAX_TTL_MINUTES, MIN_TTL_MINUTES,
};
use crate::error::ValidationError;
use crate::options::{validate_label, validate_thread_id, MAX_LABELS};

/// The longest thread name, in UTF-16 code units once trimmed (the CLI's limit).
pub const MAX_THREAD_NAME_LEN: usize = 256;
/// The largest `--limit` of `threads list` (the CLI's limit).
pub const MAX_LIST_LIMIT: u32 = 500;

fn os(s: &str) -> OsString {
    OsString::from(s)
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether `id` is a thread id as the CLI reads one: `T-` and a lowercase UUID
/// (`T-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`).
fn is_thread_id(id: &str) -> bool {
    let Some(uuid) = id.strip_prefix("T-") else {
        return false;
    };
    let parts: Vec<&str> = uuid.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(part, len)| is_hex(part, len))
}

/// Checks a thread reference and returns the thread id to send: a thread id
/// (`T-` and a lowercase UUID, as the CLI requires) or a thread URL
/// (`https://ampcode.com/threads/T-…`), whose id is sent.
pub fn validate_thread_ref(field: &str, thread: &str) -> Result<String, ValidationError> {
    validate_thread_id(field, thread)?;
    if is_thread_id(thread) {
        return Ok(thread.to_string());
    }
    if thread.starts_with("https://") || thread.starts_with("http://") {
        if let Some(id) = thread_id_from_url(thread).filter(|id| is_thread_id(id)) {
            return Ok(id);
        }
    }
    Err(ValidationError::new(
        field,
        "must be a thread id (T-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, lowercase hex) or a thread URL",
    ))
}

/// Checks a new thread name: 1..=256 UTF-16 code units once trimmed (the CLI trims it),
/// on one line, without control characters.
pub fn validate_thread_name(field: &str, name: &str) -> Result<(), ValidationError> {
    let len = name.trim().encode_utf16().count();
    if len == 0 || len > MAX_THREAD_NAME_LEN {
        return Err(ValidationError::new(
            field,
            format!("must be 1..={MAX_THREAD_NAME_LEN} characters long once trimmed (is {len})"),
        ));
    }
    if name.contains('\0') {
        return Err(ValidationError::new(field, "must not contain NUL"));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(ValidationError::new(
            field,
            format!("must be one line without control characters (found {c:?})"),
        ));
    }
    Ok(())
}

/// Free text (a search query, a timestamp): non-blank, no NUL, newline or other control
/// character.
fn validate_text(field: &str, text: &str) -> Result<(), ValidationError> {
    if text.trim().is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if text.contains('\0') {
        return Err(ValidationError::new(field, "must not contain NUL"));
    }
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(ValidationError::new(
            field,
            format!("must be one line without control characters (found {c:?})"),
        ));
    }
    Ok(())
}

/// `--limit N` / `--offset N`, when set.
fn paging(
    a: &mut Vec<OsString>,
    limit: Option<u32>,
    offset: Option<u32>,
    max_limit: Option<u32>,
) -> Result<(), ValidationError> {
    if let Some(limit) = limit {
        if limit == 0 || max_limit.is_some_and(|max| limit > max) {
            let rule = match max_limit {
                Some(max) => format!("must be between 1 and {max} (is {limit})"),
                None => "must be at least 1".to_string(),
            };
            return Err(ValidationError::new("limit", rule));
        }
        a.extend([os("--limit"), os(&limit.to_string())]);
    }
    if let Some(offset) = offset {
        a.extend([os("--offset"), os(&offset.to_string())]);
    }
    Ok(())
}

impl ThreadCommand {
    /// The validated arguments (after the program name). Nothing is spawned when this fails.
    pub fn args(&self) -> Result<Vec<OsString>, ValidationError> {
        let mut a = vec![os("threads")];
        match self {
            ThreadCommand::New { visibility } => {
                a.push(os("new"));
                if let Some(v) = visibility {
                    a.extend([os("--visibility"), os(v.cli_value())]);
                }
            }
            ThreadCommand::Markdown { thread_id } => {
                validate_thread_id("thread_id", thread_id)?;
                a.extend([os("markdown"), os(thread_id)]);
            }
            ThreadCommand::Multiplayer { thread_id, setting } => {
                validate_thread_id("thread_id", thread_id)?;
                multiplayer(&mut a, thread_id, setting)?;
            }
            ThreadCommand::List {
                limit,
                offset,
                include_archived,
            } => {
                a.extend([os("list"), os("--json")]);
                if *include_archived {
                    a.push(os("--include-archived"));
                }
                paging(&mut a, *limit, *offset, Some(MAX_LIST_LIMIT))?;
            }
            ThreadCommand::Search {
                query,
                limit,
                offset,
            } => {
                validate_text("query", query)?;
                a.extend([os("search"), os("--json")]);
                paging(&mut a, *limit, *offset, None)?;
                a.extend([os("--"), os(query)]);
            }
            ThreadCommand::Usage {
                thread_id,
                details,
                range,
            } => {
                let id = validate_thread_ref("thread_id", thread_id)?;
                a.push(os("usage"));
                if *details {
                    a.push(os("--details"));
                }
                if let Some(range) = range {
                    validate_text("range.start", &range.start)?;
                    validate_text("range.end", &range.end)?;
                    a.extend([
                        os("--start"),
                        os(range.start.trim()),
                        os("--end"),
                        os(range.end.trim()),
                    ]);
                }
                a.push(os(&id));
            }
            ThreadCommand::Context { thread_id } => {
                let id = validate_thread_ref("thread_id", thread_id)?;
                a.extend([os("context"), os(&id)]);
            }
            ThreadCommand::Visibility { set } => {
                a.push(os("visibility"));
                if let Some(v) = set {
                    a.push(os(v.as_str()));
                }
            }
            ThreadCommand::Label { thread_id, labels } => {
                let id = validate_thread_ref("thread_id", thread_id)?;
                if labels.is_empty() || labels.len() > MAX_LABELS {
                    return Err(ValidationError::new(
                        "labels",
                        format!("1..={MAX_LABELS} labels (got {})", labels.len()),
                    ));
                }
                for (i, label) in labels.iter().enumerate() {
                    validate_label(&format!("labels[{i}]"), label)?;
                }
                a.extend([os("label"), os(&id)]);
                a.extend(labels.iter().map(|l| os(l)));
            }
            ThreadCommand::Rename { thread_id, name } => {
                let id = validate_thread_ref("thread_id", thread_id)?;
                validate_thread_name("name", name)?;
                a.extend([os("rename"), os(&id), os("--"), os(name.trim())]);
            }
            ThreadCommand::Archive {
                thread_id,
                unarchive,
            } => {
                let id = validate_thread_ref("thread_id", thread_id)?;
                a.push(os("archive"));
                if *unarchive {
                    a.push(os("--unarchive"));
                }
                a.push(os(&id));
            }
            ThreadCommand::Delete { thread_id } => {
                let id = validate_thread_ref("thread_id", thread_id)?;
                a.extend([os("delete"), os(&id)]);
            }
            ThreadCommand::Export { thread_id } => {
                let id = validate_thread_ref("thread_id", thread_id)?;
                a.extend([os("export"), os(&id)]);
            }
            ThreadCommand::Share {
                thread_id,
                visibility,
            } => {
                let id = validate_thread_ref("thread_id", thread_id)?;
                a.extend([
                    os("share"),
                    os("--visibility"),
                    os(visibility.cli_value()),
                    os(&id),
                ]);
            }
        }
        Ok(a)
    }

    /// The command's name as the CLI's help spells it (`threads list`, `threads share
    /// multiplayer`, ...), for messages.
    pub fn name(&self) -> &'static str {
        match self {
            ThreadCommand::New { .. } => "threads new",
            ThreadCommand::Markdown { .. } => "threads markdown",
            ThreadCommand::Multiplayer { .. } => "threads share multiplayer",
            ThreadCommand::List { .. } => "threads list",
            ThreadCommand::Search { .. } => "threads search",
            ThreadCommand::Usage { .. } => "threads usage",
            ThreadCommand::Context { .. } => "threads context",
            ThreadCommand::Visibility { .. } => "threads visibility",
            ThreadCommand::Label { .. } => "threads label",
            ThreadCommand::Rename { .. } => "threads rename",
            ThreadCommand::Archive { .. } => "threads archive",
            ThreadCommand::Delete { .. } => "threads delete",
            ThreadCommand::Export { .. } => "threads export",
            ThreadCommand::Share { .. } => "threads share",
        }
    }
}

fn multiplayer(
    a: &mut Vec<OsString>,
    thread_id: &str,
    setting: &MultiplayerSetting,
) -> Result<(), ValidationError> {
    a.extend([os("share"), os("multiplayer")]);
    match setting {
        MultiplayerSetting::Off => a.extend([os("off"), os(thread_id)]),
        MultiplayerSetting::On => a.extend([os("on"), os(thread_id)]),
        MultiplayerSetting::Ttl(d) => {
            let total = d.total_minutes();
            if !(MIN_TTL_MINUTES..=MAX_TTL_MINUTES).contains(&total) {
                return Err(ValidationError::new(
                    "ttl",
                    format!(
                        "total duration must be between 5 minutes and 7 days (is {total} minutes)"
                    ),
                ));
            }
            a.extend([os("ttl"), os(thread_id)]);
            for (flag, n) in [
                ("--minutes", d.minutes),
                ("--hours", d.hours),
                ("--days", d.days),
                ("--weeks", d.weeks),
            ] {
                if n > 0 {
                    a.extend([os(flag), os(&n.to_string())]);
                }
            }
        }
    }
    Ok(())
}
