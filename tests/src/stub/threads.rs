//! Thread commands: `threads new`, `threads markdown ID`, `threads share multiplayer`, and
//! `threads list/search/usage/context/visibility/label/rename/archive/delete/export/share`
//! answered in the shapes the pinned CLI prints (its bundled JavaScript).

use super::*;

impl Stub {
    pub(super) fn threads_fail() -> Result<(), Fail> {
        if std::env::var_os("AMP_STUB_THREADS_FAIL").is_some_and(|v| v == "1") {
            return Err(Fail::Cli(
                "Cannot reach Amp servers. Are you offline?".into(),
            ));
        }
        Ok(())
    }

    pub(super) fn check_visibility(&self) -> Result<(), Fail> {
        if let Some(v) = &self.inv.visibility {
            if !["private", "unlisted", "workspace", "group"].contains(&v.as_str()) {
                // The real CLI only finds out on the server; the stub says it up front.
                return Err(Fail::Cli(format!(
                    "Invalid visibility \"{v}\". Valid values: private, unlisted, workspace, group"
                )));
            }
        }
        Ok(())
    }

    pub(super) fn threads_new(&mut self) -> Result<i32, Fail> {
        self.check_visibility()?;
        Self::threads_fail()?;
        let id = new_thread_id();
        self.record
            .insert("session_id".into(), Value::String(id.clone()));
        if std::env::var_os("AMP_STUB_THREADS_NEW_URL").is_some_and(|v| v == "1") {
            // `amp threads new --help` says it prints the thread's URL.
            let base = std::env::var("AMP_URL").unwrap_or_else(|_| "https://ampcode.com".into());
            writeln!(
                std::io::stdout(),
                "{}/threads/{id}",
                base.trim_end_matches('/')
            )?;
        } else {
            writeln!(std::io::stdout(), "{id}")?;
        }
        Ok(0)
    }

    pub(super) fn threads_markdown(&mut self) -> Result<i32, Fail> {
        let Some(id) = self.inv.positionals.first().cloned() else {
            return Err(Fail::Cli(
                "error: missing required argument 'thread'".into(),
            ));
        };
        if !args::is_valid_thread_ref(&id) {
            return Err(Fail::Cli(invalid_thread(&id)));
        }
        Self::threads_fail()?;
        let id = thread_id_of(&id);
        writeln!(
            std::io::stdout(),
            "# Thread {id}\n\n## User\n\nwhat is 2+2?\n\n## Assistant\n\n2 + 2 equals 4.\n"
        )?;
        Ok(0)
    }

    pub(super) fn multiplayer(&mut self, action: MultiplayerAction) -> Result<i32, Fail> {
        let Some(id) = self.inv.positionals.first().cloned() else {
            return Err(Fail::Cli(
                "error: missing required argument 'thread'".into(),
            ));
        };
        let mut minutes = 0u64;
        if action == MultiplayerAction::Ttl {
            let parts = [
                ("minutes", self.inv.minutes.clone(), 1u64),
                ("hours", self.inv.hours.clone(), 60),
                ("days", self.inv.days.clone(), 60 * 24),
                ("weeks", self.inv.weeks.clone(), 60 * 24 * 7),
            ];
            if parts.iter().all(|p| p.1.is_none()) {
                return Err(Fail::Cli(
                    "Specify a duration with --minutes, --hours, --days, or --weeks.".into(),
                ));
            }
            for (name, value, unit) in parts {
                if let Some(v) = value {
                    let parsed = v
                        .parse::<u64>()
                        .ok()
                        .filter(|n| *n > 0 && v.bytes().all(|c| c.is_ascii_digit()));
                    let Some(count) = parsed else {
                        return Err(Fail::Cli(format!(
                            "Invalid --{name} value. Must be a positive integer."
                        )));
                    };
                    minutes = minutes.saturating_add(count.saturating_mul(unit));
                }
            }
            if !(5..=7 * 24 * 60).contains(&minutes) {
                return Err(Fail::Cli(
                    "Duration must be between 5 minutes and 7 days.".into(),
                ));
            }
        }
        if !args::is_valid_thread_ref(&id) {
            return Err(Fail::Cli(format!(
                "Failed to update thread: {}",
                invalid_thread(&id).lines().next().unwrap_or("")
            )));
        }
        Self::threads_fail()?;
        let id = thread_id_of(&id);
        let line = match action {
            MultiplayerAction::On => format!("Multiplayer turned on for {id} for 1 week."),
            MultiplayerAction::Off => format!("Multiplayer turned off for {id}."),
            MultiplayerAction::Ttl => {
                format!("Multiplayer turned on for {id} for {minutes} minutes.")
            }
        };
        writeln!(std::io::stdout(), "{line}")?;
        Ok(0)
    }
}

impl Stub {
    fn opt_value(&self, name: &str) -> Option<String> {
        self.inv
            .other
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.clone())
    }

    fn has_opt(&self, name: &str) -> bool {
        self.inv.other.iter().any(|(n, _)| n == name)
    }

    /// The one thread positional: validated like the real CLI (before connecting).
    fn thread_arg(&self) -> Result<String, Fail> {
        let Some(id) = self.inv.positionals.first().cloned() else {
            return Err(Fail::Cli(
                "error: missing required argument 'thread'".into(),
            ));
        };
        if !args::is_valid_thread_ref(&id) {
            return Err(Fail::Cli(invalid_thread(&id)));
        }
        Ok(thread_id_of(&id))
    }

    fn paging(&self, name: &str, min: u64, max: Option<u64>) -> Result<Option<u64>, Fail> {
        let Some(v) = self.opt_value(name) else {
            return Ok(None);
        };
        let display = format!("--{name} <number>");
        let n: Option<u64> = v.parse().ok();
        match n {
            Some(n) if n < min => Err(Fail::Cli(format!(
                "error: option '{display}' argument '{v}' is invalid. --{name} must be an integer >= {min}"
            ))),
            Some(n) if max.is_some_and(|m| n > m) => Err(Fail::Cli(format!(
                "error: option '{display}' argument '{v}' is invalid. --{name} must be an integer <= {}",
                max.unwrap_or(0)
            ))),
            Some(n) => Ok(Some(n)),
            None => Err(Fail::Cli(format!(
                "error: option '{display}' argument '{v}' is invalid. --{name} must be an integer >= {min}"
            ))),
        }
    }

    /// `threads list|search|usage|context|visibility|label|rename|archive|delete|export`.
    pub(super) fn threads_other(&mut self, name: &str) -> Result<i32, Fail> {
        let url = |id: &str| format!("https://ampcode.com/threads/{id}");
        let out = match name {
            "list" => {
                let limit = self.paging("limit", 1, Some(500))?.unwrap_or(200);
                let offset = self.paging("offset", 0, None)?.unwrap_or(0);
                Self::threads_fail()?;
                let n = limit.min(3).saturating_sub(offset.min(3));
                let threads: Vec<Value> = (0..n)
                    .map(|i| {
                        serde_json::json!({
                            "id": new_thread_id(),
                            "title": format!("Stub thread {}", offset + i + 1),
                            "updated": "2026-01-02T03:04:05.000Z",
                            "tree": if i == 0 { Value::String("file:///repo".into()) } else { Value::Null },
                            "messageCount": 2 * (i + 1),
                        })
                    })
                    .collect();
                if self.has_opt("json") {
                    serde_json::to_string_pretty(&threads).unwrap_or_default()
                } else {
                    "Title  Last Updated  Thread URL".to_string()
                }
            }
            "search" => {
                let Some(query) = self.inv.positionals.first().cloned() else {
                    return Err(Fail::Cli("error: missing required argument 'query'".into()));
                };
                Self::threads_fail()?;
                let hits = serde_json::json!([
                    {"id": new_thread_id(), "title": format!("About {query}"), "updatedAt": "2026-01-02T03:04:05.000Z"},
                    {"id": new_thread_id(), "title": null, "updatedAt": "2026-01-01T00:00:00.000Z"},
                ]);
                if self.has_opt("json") {
                    serde_json::to_string_pretty(&hits).unwrap_or_default()
                } else {
                    "Title  Last Updated  Thread URL".to_string()
                }
            }
            "usage" => {
                let id = self.thread_arg()?;
                if self.has_opt("start") != self.has_opt("end") {
                    return Err(Fail::Cli("Unexpected error inside Amp CLI.".into()));
                }
                Self::threads_fail()?;
                format!("Thread {id}: 12 credits ($0.12)")
            }
            "context" => {
                let id = self.thread_arg()?;
                Self::threads_fail()?;
                serde_json::to_string_pretty(&serde_json::json!({
                    "threadID": id, "scope": "current-context", "model": "claude-stub",
                    "modelDisplayName": "Claude (stub)", "maxContextTokens": 200000,
                    "sections": [{"id": "system", "name": "System prompt", "tokens": 1200, "percentage": 0.6}],
                    "totalTokens": 1200, "freeSpace": 198800, "compactionCount": 0,
                    "toolCounts": {"builtin": 20, "mcp": 0, "total": 20}
                }))
                .unwrap_or_default()
            }
            "visibility" => {
                Self::threads_fail()?;
                match self.inv.positionals.first() {
                    Some(v) if ["private", "workspace", "group"].contains(&v.as_str()) => v.clone(),
                    Some(v) => {
                        return Err(Fail::Cli(format!(
                            "Error updating visibility defaults: Invalid visibility \"{v}\""
                        )))
                    }
                    None => "inherited".to_string(),
                }
            }
            "label" => {
                let id = self.thread_arg()?;
                let labels: Vec<String> = self.inv.positionals.iter().skip(1).cloned().collect();
                if labels.is_empty() {
                    return Err(Fail::Cli(
                        "error: missing required argument 'labels'".into(),
                    ));
                }
                Self::threads_fail()?;
                format!("✓ Thread {} labels: {}", url(&id), labels.join(", "))
            }
            "rename" => {
                let id = self.thread_arg()?;
                let Some(name) = self.inv.positionals.get(1).map(|n| n.trim().to_string()) else {
                    return Err(Fail::Cli(
                        "error: missing required argument 'newName'".into(),
                    ));
                };
                if name.is_empty() {
                    return Err(Fail::Cli("Thread name cannot be empty".into()));
                }
                if name.encode_utf16().count() > 256 {
                    return Err(Fail::Cli("Thread name cannot exceed 256 characters".into()));
                }
                Self::threads_fail()?;
                format!("✓ Thread {} renamed to \"{name}\"", url(&id))
            }
            "archive" => {
                self.thread_arg()?;
                Self::threads_fail()?;
                let done = if self.has_opt("unarchive") {
                    "unarchived"
                } else {
                    "archived"
                };
                format!("✓ Thread {done} successfully")
            }
            "delete" => {
                let id = self.thread_arg()?;
                Self::threads_fail()?;
                format!("✓ Thread {} deleted", url(&id))
            }
            "export" => {
                let id = self.thread_arg()?;
                Self::threads_fail()?;
                serde_json::to_string_pretty(&serde_json::json!({
                    "v": 3, "id": id, "created": 1767225600000u64, "title": "Stub thread",
                    "messages": [
                        {"role": "user", "content": [{"type": "text", "text": "what is 2+2?"}]},
                        {"role": "assistant", "content": [{"type": "text", "text": "2 + 2 equals 4."}]}
                    ],
                    "env": {"initial": {"trees": []}}
                }))
                .unwrap_or_default()
            }
            other => {
                return Err(Fail::Cli(format!("error: unknown command '{other}'")));
            }
        };
        writeln!(std::io::stdout(), "{out}")?;
        Ok(0)
    }

    /// `threads share --visibility V ID`.
    pub(super) fn threads_share(&mut self) -> Result<i32, Fail> {
        let id = self.thread_arg()?;
        self.check_visibility()?;
        let Some(v) = self.inv.visibility.clone() else {
            return Err(Fail::Cli("Must specify --visibility".into()));
        };
        Self::threads_fail()?;
        writeln!(
            std::io::stdout(),
            "✓ Thread https://ampcode.com/threads/{id} visibility changed to {v}."
        )?;
        Ok(0)
    }
}

pub(super) fn invalid_thread(id: &str) -> String {
    format!(
        "Invalid thread URL or ID: {id}\n\nProvide a valid thread URL (e.g., https://ampcode.com/threads/T-12345678-0000-0000-0000-000000000000) or ID (e.g., T-12345678-0000-0000-0000-000000000000)"
    )
}

pub(super) fn thread_id_of(reference: &str) -> String {
    match reference.rfind("/threads/") {
        Some(pos) => reference[pos + "/threads/".len()..].to_string(),
        None => reference.to_string(),
    }
}
