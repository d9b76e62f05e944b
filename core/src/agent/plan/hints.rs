//! Which option is behind each flag ampere sends, for a clear error when the installed CLI
//! does not know one.

/// The option of [`AmpOptions`](crate::options::AmpOptions) behind each CLI flag ampere sends.
pub const FLAG_OPTIONS: &[(&str, &str)] = &[
    ("--effort", "effort"),
    ("--mode", "mode"),
    ("--visibility", "visibility"),
    ("--title", "title"),
    ("--label", "labels"),
    ("--dangerously-allow-all", "dangerously_allow_all"),
    (
        "--no-archive-after-execute",
        "no_archive_after_execute / archive",
    ),
    ("--settings-file", "settings_file"),
    ("--log-level", "log_level"),
    ("--log-file", "log_file"),
    ("--mcp-config", "mcp_config"),
    ("--orb-execute", "executor"),
    ("--project", "executor"),
    ("--executor", "executor"),
    ("--runner-dir", "executor"),
    ("--orb-size", "orb_size"),
    ("--fast", "fast"),
    ("--features", "feature"),
    ("--stream-json-thinking", "thinking"),
    ("--stream-json-input", "the streaming prompt"),
];

/// A clear explanation when the CLI's stderr says it does not know a flag ampere sent
/// (`error: unknown option '--effort'`): which option needs a newer CLI. `None` otherwise.
pub fn unsupported_option_hint(stderr: &str) -> Option<String> {
    const MARK: &str = "unknown option '";
    let start = stderr.find(MARK)? + MARK.len();
    let flag = stderr[start..].split('\'').next()?;
    if flag.is_empty() {
        return None;
    }
    let option = FLAG_OPTIONS
        .iter()
        .find(|(f, _)| *f == flag)
        .map(|(_, o)| *o);
    Some(match option {
        Some(o) => format!(
            "the installed Amp CLI does not support {flag} (option `{o}`): update the CLI (`amp update` or `npm install -g @ampcode/cli`) or leave `{o}` unset"
        ),
        None => format!("the installed Amp CLI does not support {flag}: update the CLI"),
    })
}
