//! Command-line parsing that mirrors the real CLI (Commander.js) closely enough that the
//! same argv is accepted or rejected, with the same error text, as by
//! `@ampcode/cli@0.0.1790142911-g7618fb`.

use std::ffi::OsString;

use super::suggest::suggestion;

/// How an option takes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arity {
    /// A switch.
    Flag,
    /// `<value>`: the next token is taken whatever it looks like.
    Required,
    /// `[value]`: the next token is taken unless it starts with `-`.
    Optional,
}

/// One option the real CLI knows.
struct OptSpec {
    long: &'static str,
    short: Option<&'static str>,
    arity: Arity,
    /// Shown in suggestions (`(Did you mean --x?)`); hidden options are not.
    visible: bool,
    /// How Commander names the option in "argument missing" errors.
    display: &'static str,
}

const fn opt(
    long: &'static str,
    short: Option<&'static str>,
    arity: Arity,
    display: &'static str,
) -> OptSpec {
    OptSpec {
        long,
        short,
        arity,
        visible: true,
        display,
    }
}

/// Global options (valid at the top level and under every subcommand), as listed by
/// `amp --help`, plus the hidden `--dangerously-allow-all`.
const GLOBAL: &[OptSpec] = &[
    opt(
        "visibility",
        None,
        Arity::Required,
        "--visibility <visibility>",
    ),
    opt("version", Some("V"), Arity::Flag, "-V, --version"),
    opt("notifications", None, Arity::Flag, "--notifications"),
    opt("no-notifications", None, Arity::Flag, "--no-notifications"),
    opt("color", None, Arity::Flag, "--color"),
    opt("no-color", None, Arity::Flag, "--no-color"),
    opt(
        "settings-file",
        None,
        Arity::Required,
        "--settings-file <value>",
    ),
    opt("log-level", None, Arity::Required, "--log-level <value>"),
    opt("log-file", None, Arity::Required, "--log-file <value>"),
    opt("ide", None, Arity::Flag, "--ide"),
    opt("no-ide", None, Arity::Flag, "--no-ide"),
    opt("mcp-config", None, Arity::Required, "--mcp-config <value>"),
    opt("mode", Some("m"), Arity::Required, "-m, --mode <value>"),
    opt("features", None, Arity::Required, "--features <value>"),
    opt("fast", None, Arity::Flag, "--fast"),
    opt("executor", None, Arity::Required, "--executor <value>"),
    opt("runner-dir", None, Arity::Required, "--runner-dir <value>"),
    opt("no-tui", None, Arity::Flag, "--no-tui"),
    opt("amp-env", None, Arity::Flag, "--amp-env"),
    opt(
        "remote-control-terminal",
        None,
        Arity::Flag,
        "--remote-control-terminal",
    ),
    opt(
        "no-remote-control-terminal",
        None,
        Arity::Flag,
        "--no-remote-control-terminal",
    ),
    opt(
        "execute",
        Some("x"),
        Arity::Optional,
        "-x, --execute [message]",
    ),
    opt("orb-execute", Some("ox"), Arity::Flag, "-ox, --orb-execute"),
    opt("attach", None, Arity::Required, "--attach <path>"),
    opt("project", None, Arity::Optional, "--project [project]"),
    opt("orb-size", None, Arity::Required, "--orb-size <size>"),
    opt("title", None, Arity::Required, "--title <title>"),
    opt("stream-json", None, Arity::Flag, "--stream-json"),
    opt(
        "stream-json-thinking",
        None,
        Arity::Flag,
        "--stream-json-thinking",
    ),
    opt(
        "stream-json-input",
        None,
        Arity::Flag,
        "--stream-json-input",
    ),
    opt(
        "plugin-ready-timeout",
        None,
        Arity::Optional,
        "--plugin-ready-timeout [seconds]",
    ),
    opt(
        "no-archive-after-execute",
        None,
        Arity::Flag,
        "--no-archive-after-execute",
    ),
    opt("label", Some("l"), Arity::Required, "-l, --label <label>"),
    opt("help", Some("h"), Arity::Flag, "-h, --help"),
    OptSpec {
        long: "dangerously-allow-all",
        short: None,
        arity: Arity::Flag,
        visible: false,
        display: "--dangerously-allow-all",
    },
    // Hidden in the real CLI: "Override the model" (refused later unless the account has
    // the internal model override).
    OptSpec {
        long: "model",
        short: None,
        arity: Arity::Required,
        visible: false,
        display: "--model <value>",
    },
];

/// The sizes `--orb-size` accepts (Commander `.choices`).
pub const ORB_SIZES: &[&str] = &[
    "a1.tiny",
    "a1.small",
    "a1.medium",
    "a1.large",
    "a1.xxlarge",
    "a1.3xlarge",
];

#[path = "args_threads.rs"]
mod threads;
use threads::{ARCHIVE_OPTS, LIST_OPTS, SEARCH_OPTS, USAGE_OPTS};

/// `-v` is a separate alias for `--version` in the real CLI.
const SHORT_V: OptSpec = opt("version", Some("v"), Arity::Flag, "-v");

const CONTINUE_OPTS: &[OptSpec] = &[
    opt("last", None, Arity::Flag, "--last"),
    opt("pick", None, Arity::Flag, "--pick"),
];

const TTL_OPTS: &[OptSpec] = &[
    opt("minutes", None, Arity::Required, "--minutes <minutes>"),
    opt("hours", None, Arity::Required, "--hours <hours>"),
    opt("days", None, Arity::Required, "--days <days>"),
    opt("weeks", None, Arity::Required, "--weeks <weeks>"),
];

/// The command selected by the positional words.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Command {
    /// No command: the agent itself (execute mode when `--execute` is given).
    #[default]
    Agent,
    /// `threads` with no subcommand.
    Threads,
    /// `threads new`.
    ThreadsNew,
    /// `threads continue [ID...]` (then the agent runs on that thread).
    ThreadsContinue,
    /// `threads markdown ID`.
    ThreadsMarkdown,
    /// `threads share` / `threads share multiplayer` with no leaf.
    ThreadsShare,
    /// `threads share multiplayer on|off|ttl ID`.
    Multiplayer(MultiplayerAction),
    /// `threads list`, `usage`, `context`, `visibility`, `search`, `label`, `rename`,
    /// `archive`, `delete`, `export` (the canonical name).
    ThreadsOther(&'static str),
    /// `version`.
    Version,
    /// A real command the stub does not implement (name).
    Unsupported(String),
}

/// The multiplayer leaf command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiplayerAction {
    /// `on`
    On,
    /// `off`
    Off,
    /// `ttl`
    Ttl,
}

/// Everything parsed from argv. Values are kept as given.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// The selected command.
    pub command: Command,
    /// Positional arguments of the leaf command (thread ids).
    pub positionals: Vec<String>,
    /// `--execute` / `-x` given.
    pub execute: bool,
    /// The optional message of `--execute [message]`.
    pub execute_message: Option<String>,
    /// `--stream-json` given.
    pub stream_json: bool,
    /// `--stream-json-thinking` given.
    pub stream_json_thinking: bool,
    /// `--stream-json-input` given.
    pub stream_json_input: bool,
    /// `--dangerously-allow-all` given.
    pub dangerously_allow_all: bool,
    /// `--no-archive-after-execute` given.
    pub no_archive_after_execute: bool,
    /// `--orb-execute` / `-ox` given.
    pub orb_execute: bool,
    /// `--project [P]`: `Some(None)` for the bare flag.
    pub project: Option<Option<String>>,
    /// `--visibility V` (last wins).
    pub visibility: Option<String>,
    /// `--settings-file P`.
    pub settings_file: Option<String>,
    /// `--log-level L`.
    pub log_level: Option<String>,
    /// `--log-file F`.
    pub log_file: Option<String>,
    /// `--mcp-config V`.
    pub mcp_config: Option<String>,
    /// `--mode M`.
    pub mode: Option<String>,
    /// `--label L`, in order.
    pub labels: Vec<String>,
    /// `--title T`.
    pub title: Option<String>,
    /// `--executor V`.
    pub executor: Option<String>,
    /// `--runner-dir D`.
    pub runner_dir: Option<String>,
    /// `--attach P`, in order.
    pub attach: Vec<String>,
    /// `--features F`, in order.
    pub features: Vec<String>,
    /// `--version` / `-V` / `-v`.
    pub version: bool,
    /// `--help` / `-h`.
    pub help: bool,
    /// `--last` (threads continue).
    pub last: bool,
    /// `--minutes N` etc. (threads share multiplayer ttl), raw text.
    pub minutes: Option<String>,
    /// `--hours N`.
    pub hours: Option<String>,
    /// `--days N`.
    pub days: Option<String>,
    /// `--weeks N`.
    pub weeks: Option<String>,
    /// Every other accepted option, by long name, with its value if any.
    pub other: Vec<(String, Option<String>)>,
}

/// A parse failure: the text after `Error: ` on stderr (exit code 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

fn specs_for(command: &Command) -> Vec<&'static OptSpec> {
    let mut v: Vec<&'static OptSpec> = Vec::new();
    match command {
        Command::ThreadsContinue => v.extend(CONTINUE_OPTS.iter()),
        Command::Multiplayer(MultiplayerAction::Ttl) => v.extend(TTL_OPTS.iter()),
        Command::Threads | Command::ThreadsOther("list") => v.extend(LIST_OPTS.iter()),
        Command::ThreadsOther("search") => v.extend(SEARCH_OPTS.iter()),
        Command::ThreadsOther("usage") => v.extend(USAGE_OPTS.iter()),
        Command::ThreadsOther("archive") => v.extend(ARCHIVE_OPTS.iter()),
        _ => {}
    }
    v.extend(GLOBAL.iter());
    v
}

fn unknown_option(token: &str, command: &Command) -> ParseError {
    let candidates: Vec<&str> = specs_for(command)
        .iter()
        .filter(|s| s.visible)
        .map(|s| s.long)
        .collect();
    let hint = if token.starts_with("--") {
        suggestion(token, &candidates)
    } else {
        String::new()
    };
    ParseError(format!("error: unknown option '{token}'{hint}"))
}

impl Invocation {
    fn set(&mut self, spec: &OptSpec, value: Option<String>) {
        match spec.long {
            "execute" => {
                self.execute = true;
                if value.is_some() {
                    self.execute_message = value;
                }
            }
            "stream-json" => self.stream_json = true,
            "stream-json-thinking" => self.stream_json_thinking = true,
            "stream-json-input" => self.stream_json_input = true,
            "dangerously-allow-all" => self.dangerously_allow_all = true,
            "no-archive-after-execute" => self.no_archive_after_execute = true,
            "orb-execute" => self.orb_execute = true,
            "project" => self.project = Some(value),
            "visibility" => self.visibility = value,
            "settings-file" => self.settings_file = value,
            "log-level" => self.log_level = value,
            "log-file" => self.log_file = value,
            "mcp-config" => self.mcp_config = value,
            "mode" => self.mode = value,
            "label" => self.labels.extend(value),
            "title" => self.title = value,
            "executor" => self.executor = value,
            "runner-dir" => self.runner_dir = value,
            "attach" => self.attach.extend(value),
            "features" => self.features.extend(value),
            "version" => self.version = true,
            "help" => self.help = true,
            "last" => self.last = true,
            "minutes" => self.minutes = value,
            "hours" => self.hours = value,
            "days" => self.days = value,
            "weeks" => self.weeks = value,
            other => self.other.push((other.to_string(), value)),
        }
    }

    fn push_word(&mut self, word: &str) -> Result<(), ParseError> {
        let next = match (&self.command, word) {
            (Command::Agent, "threads" | "t" | "thread") => Command::Threads,
            (Command::Agent, "version") => Command::Version,
            (
                Command::Agent,
                "logout" | "login" | "orb" | "orb-spawner" | "portal" | "net" | "runner" | "clone"
                | "git-setup" | "files" | "top" | "last" | "l" | "report-bug" | "tools" | "tool"
                | "plugins" | "plugin" | "skill" | "skills" | "permissions" | "permission"
                | "mcp" | "config" | "domains" | "projects" | "apps" | "oauth-clients"
                | "secrets" | "svc" | "usage" | "update" | "up" | "completions",
            ) => Command::Unsupported(word.to_string()),
            (Command::Agent, _) => {
                return Err(ParseError(format!(
                    "Unknown command \"{word}\". Run 'amp --help' for the full list.\n\nRun amp --help for a list of available commands."
                )))
            }
            (Command::Threads, "new" | "n") => Command::ThreadsNew,
            (Command::Threads, "continue" | "c") => Command::ThreadsContinue,
            (Command::Threads, "markdown" | "md") => Command::ThreadsMarkdown,
            (Command::Threads, "share" | "s") => Command::ThreadsShare,
            (Command::Threads, "list" | "l" | "ls") => Command::ThreadsOther("list"),
            (Command::Threads, "usage") => Command::ThreadsOther("usage"),
            (Command::Threads, "context" | "analyze-context") => Command::ThreadsOther("context"),
            (Command::Threads, "visibility" | "v") => Command::ThreadsOther("visibility"),
            (Command::Threads, "search" | "find") => Command::ThreadsOther("search"),
            (Command::Threads, "label") => Command::ThreadsOther("label"),
            (Command::Threads, "rename" | "r") => Command::ThreadsOther("rename"),
            (Command::Threads, "archive") => Command::ThreadsOther("archive"),
            (Command::Threads, "delete") => Command::ThreadsOther("delete"),
            (Command::Threads, "export") => Command::ThreadsOther("export"),
            (Command::Threads, _) => {
                return Err(ParseError(format!("error: unknown command '{word}'")))
            }
            (Command::ThreadsShare, "multiplayer") if self.positionals.is_empty() => {
                self.positionals.push("multiplayer".into());
                return Ok(());
            }
            (Command::ThreadsShare, "on") if !self.positionals.is_empty() => {
                Command::Multiplayer(MultiplayerAction::On)
            }
            (Command::ThreadsShare, "off") if !self.positionals.is_empty() => {
                Command::Multiplayer(MultiplayerAction::Off)
            }
            (Command::ThreadsShare, "ttl") if !self.positionals.is_empty() => {
                Command::Multiplayer(MultiplayerAction::Ttl)
            }
            // `threads share <thread>`: the word is the thread.
            (Command::ThreadsShare, _) if self.positionals.is_empty() => {
                self.positionals.push(word.to_string());
                return Ok(());
            }
            (Command::ThreadsShare, _) => {
                return Err(ParseError(format!("error: unknown command '{word}'")))
            }
            _ => {
                self.positionals.push(word.to_string());
                return Ok(());
            }
        };
        if matches!(next, Command::Multiplayer(_)) {
            self.positionals.clear();
        }
        self.command = next;
        Ok(())
    }
}

/// Parses argv (without the program name) the way the real CLI does.
pub fn parse(args: &[OsString]) -> Result<Invocation, ParseError> {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut inv = Invocation::default();
    let mut i = 0;
    let mut only_words = false;
    while i < args.len() {
        let tok = args[i].clone();
        i += 1;
        if only_words || !tok.starts_with('-') || tok == "-" {
            inv.push_word(&tok)?;
            continue;
        }
        if tok == "--" {
            only_words = true;
            continue;
        }
        let specs = specs_for(&inv.command);
        if let Some(body) = tok.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let Some(spec) = specs.iter().find(|s| s.long == name) else {
                return Err(unknown_option(&tok, &inv.command));
            };
            let value = match (spec.arity, inline) {
                (Arity::Flag, Some(_)) => return Err(unknown_option(&tok, &inv.command)),
                (Arity::Flag, None) => None,
                (_, Some(v)) => Some(v),
                (Arity::Required, None) => {
                    if i < args.len() {
                        i += 1;
                        Some(args[i - 1].clone())
                    } else {
                        return Err(ParseError(format!(
                            "error: option '{}' argument missing",
                            spec.display
                        )));
                    }
                }
                (Arity::Optional, None) => {
                    if i < args.len() && !args[i].starts_with('-') {
                        i += 1;
                        Some(args[i - 1].clone())
                    } else {
                        None
                    }
                }
            };
            if spec.long == "orb-size" {
                if let Some(v) = value.as_deref().filter(|v| !ORB_SIZES.contains(v)) {
                    return Err(ParseError(format!(
                        "error: option '{}' argument '{v}' is invalid. Allowed choices are {}.",
                        spec.display,
                        ORB_SIZES.join(", ")
                    )));
                }
            }
            inv.set(spec, value);
            continue;
        }
        // Short options: `-ox` is a two-letter short flag; otherwise Commander reads the
        // first letter, then the rest of the token is its value or more short flags.
        if tok == "-ox" {
            // "The -ox shorthand enables both options."
            inv.orb_execute = true;
            inv.execute = true;
            continue;
        }
        let mut rest: String = tok[1..].to_string();
        while !rest.is_empty() {
            let letter: String = rest.chars().next().map(String::from).unwrap_or_default();
            let after = rest[letter.len()..].to_string();
            let spec: &OptSpec = if letter == "v" {
                &SHORT_V
            } else if let Some(s) = specs.iter().find(|s| s.short == Some(letter.as_str())) {
                s
            } else {
                return Err(unknown_option(&format!("-{letter}"), &inv.command));
            };
            match spec.arity {
                Arity::Flag => {
                    inv.set(spec, None);
                    rest = after;
                }
                Arity::Required => {
                    let value = if !after.is_empty() {
                        after
                    } else if i < args.len() {
                        i += 1;
                        args[i - 1].clone()
                    } else {
                        return Err(ParseError(format!(
                            "error: option '{}' argument missing",
                            spec.display
                        )));
                    };
                    inv.set(spec, Some(value));
                    rest = String::new();
                }
                Arity::Optional => {
                    let value = if !after.is_empty() {
                        Some(after)
                    } else if i < args.len() && !args[i].starts_with('-') {
                        i += 1;
                        Some(args[i - 1].clone())
                    } else {
                        None
                    };
                    inv.set(spec, value);
                    rest = String::new();
                }
            }
        }
    }
    Ok(inv)
}

/// Whether `text` is a thread id the real CLI accepts: `T-` and a lowercase UUID, or a URL
/// ending in `/threads/<id>`.
pub fn is_valid_thread_ref(text: &str) -> bool {
    let id = match text.rfind("/threads/") {
        Some(pos) if text.starts_with("http://") || text.starts_with("https://") => {
            &text[pos + "/threads/".len()..]
        }
        _ => text,
    };
    is_thread_id(id)
}

/// Whether `id` is `T-` followed by a lowercase 8-4-4-4-12 hex UUID.
pub fn is_thread_id(id: &str) -> bool {
    let Some(uuid) = id.strip_prefix("T-") else {
        return false;
    };
    let groups: Vec<&str> = uuid.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    groups.len() == 5
        && groups.iter().zip(lens).all(|(g, l)| {
            g.len() == l
                && g.bytes()
                    .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        })
}
