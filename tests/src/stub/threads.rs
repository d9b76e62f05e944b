//! Thread commands: `threads new`, `threads markdown ID`, `threads share multiplayer`.

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
