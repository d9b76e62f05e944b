//! Writing a replay: a POSIX `sh` script and the data files it `cat`s.
//!
//! The script (1) checks its arguments against the recorded ones (the private folder's
//! random path matches anything), (2) plays the events in order: stdout and stderr bytes
//! from data files, each recorded stdin write read and compared (a session's user messages
//! line by line; a text prompt up to the end of input), sleeps with recorded pacing, and
//! (3) ends as recorded or as the faults say. A difference writes one line starting with
//! [`MISMATCH_PREFIX`](crate::MISMATCH_PREFIX) to stderr (and to the folder's `mismatch`
//! file) and exits with [`MISMATCH_EXIT_CODE`](crate::MISMATCH_EXIT_CODE).

use std::fmt::Write as _;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use ampere_core::recording::{Event, PromptShape, Recording, PRIVATE_DIR};

use crate::replay::{Faults, Pacing, MISMATCH_EXIT_CODE, MISMATCH_PREFIX};

pub(crate) struct Plan<'a> {
    pub(crate) recording: &'a Recording,
    pub(crate) pacing: Pacing,
    pub(crate) faults: &'a Faults,
    pub(crate) check: bool,
}

/// Single-quotes `text` for `sh`.
fn sq(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A `case` pattern matching a recorded argument (the private folder matches anything).
fn pattern(arg: &str) -> String {
    arg.split(PRIVATE_DIR).map(sq).collect::<Vec<_>>().join("*")
}

/// At most `max` bytes of `text`, on a char boundary.
fn clip(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

struct Writer<'a> {
    dir: &'a Path,
    sh: String,
    files: usize,
    out: Vec<u8>,
    err: Vec<u8>,
    check: bool,
    turns: usize,
}

impl Writer<'_> {
    fn data(&mut self, ext: &str, bytes: &[u8]) -> io::Result<String> {
        self.files += 1;
        let name = format!("e{}.{ext}", self.files);
        std::fs::write(self.dir.join(&name), bytes)?;
        Ok(name)
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            let bytes = std::mem::take(&mut self.out);
            let name = self.data("out", &bytes)?;
            let _ = writeln!(self.sh, "cat \"$D/{name}\"");
        }
        if !self.err.is_empty() {
            let bytes = std::mem::take(&mut self.err);
            let name = self.data("err", &bytes)?;
            let _ = writeln!(self.sh, "cat \"$D/{name}\" >&2");
        }
        Ok(())
    }

    /// One recorded write of a session: one JSON line per user message.
    fn session_write(&mut self, text: &str, scripted: bool) -> io::Result<()> {
        let lines: Vec<&str> = text.split_terminator('\n').collect();
        let lines = if lines.is_empty() { vec![""] } else { lines };
        for line in lines {
            self.turns += 1;
            let turn = self.turns;
            if scripted || !self.check {
                let _ = writeln!(
                    self.sh,
                    "IFS= read -r line || mismatch \"the run closed its input before user message {turn}\""
                );
                continue;
            }
            let name = self.data("in", line.as_bytes())?;
            let shown = sq(clip(line, 300));
            let _ = writeln!(
                self.sh,
                "IFS= read -r line || mismatch \"the run closed its input before user message {turn}; the recording has \"{shown}"
            );
            let _ = writeln!(
                self.sh,
                "[ \"$line\" = \"$(cat \"$D/{name}\")\" ] || mismatch \"user message {turn} differs: recorded \"{shown}\", this run $(printf '%.300s' \"$line\")\""
            );
        }
        Ok(())
    }

    /// The end of a session's input: no further user message may come.
    fn session_end(&mut self) {
        let check = if self.check {
            "&& mismatch \"the run sent a user message the recording does not have: $(printf '%.300s' \"$line\")\""
        } else {
            ""
        };
        let _ = writeln!(self.sh, "IFS= read -r line {check}");
        let _ = writeln!(self.sh, "cat >/dev/null");
    }

    /// The end of a text prompt's input: everything read and compared.
    fn prompt_end(&mut self, prompt: &[u8], scripted: bool) -> io::Result<()> {
        let _ = writeln!(self.sh, "cat >\"$D/got.$$\"");
        if self.check && !scripted {
            let name = self.data("in", prompt)?;
            let text = String::from_utf8_lossy(prompt);
            let shown = sq(clip(text.trim_end_matches('\n'), 300));
            let _ = writeln!(
                self.sh,
                "cmp -s \"$D/got.$$\" \"$D/{name}\" || mismatch \"the prompt differs: recorded \"{shown}\", this run $(head -c 300 \"$D/got.$$\")\""
            );
        }
        let _ = writeln!(self.sh, "rm -f \"$D/got.$$\"");
        Ok(())
    }
}

fn prelude(dir: &Path) -> String {
    let mut sh =
        String::from("#!/bin/sh\n# A replay of an ampere recording, written by ampere-testing.\n");
    let _ = writeln!(sh, "D={}", sq(&dir.to_string_lossy()));
    let _ = writeln!(sh, "echo run >>\"$D/runs\"");
    let _ = writeln!(
        sh,
        "mismatch() {{\n  printf '%s %s\\n' {p} \"$1\" >\"$D/mismatch\"\n  printf '%s %s\\n' {p} \"$1\" >&2\n  exit {MISMATCH_EXIT_CODE}\n}}",
        p = sq(MISMATCH_PREFIX)
    );
    sh
}

fn check_args(sh: &mut String, args: &[String]) {
    let all = sq(&args.join(" "));
    let _ = writeln!(
        sh,
        "argument() {{ mismatch \"argument $1: recorded '$2', this run '$3' (recorded arguments: $4; this run: $5)\"; }}\nall=\"$*\""
    );
    for (i, arg) in args.iter().enumerate() {
        let n = i + 1;
        let want = sq(arg);
        let _ = writeln!(
            sh,
            "[ $# -ge 1 ] || argument {n} {want} '(none)' {all} \"$all\"\ncase \"$1\" in {}) ;; *) argument {n} {want} \"$1\" {all} \"$all\" ;; esac\nshift",
            pattern(arg)
        );
    }
    let next = args.len() + 1;
    let _ = writeln!(
        sh,
        "[ $# -eq 0 ] || argument {next} '(none)' \"$1\" {all} \"$all\""
    );
}

fn ending(sh: &mut String, faults: &Faults, recorded: Option<(Option<i32>, Option<i32>)>) {
    if faults.stall {
        let _ = writeln!(sh, "while :; do sleep 3600; done");
        return;
    }
    let (code, signal) = match (faults.crash_code, faults.crash_signal) {
        (Some(code), _) => (Some(code), None),
        (None, Some(signal)) => (None, Some(signal)),
        (None, None) => recorded.unwrap_or((Some(0), None)),
    };
    match (code, signal) {
        (_, Some(signal)) => {
            let _ = writeln!(sh, "kill -{signal} $$\nsleep 5\nexit 1");
        }
        (Some(code), None) => {
            let _ = writeln!(sh, "exit {}", code.clamp(0, 255));
        }
        (None, None) => {
            let _ = writeln!(sh, "exit 0");
        }
    }
}

/// Writes the replay of `plan` into `dir` and returns the script's path.
pub(crate) fn write(dir: &Path, plan: &Plan<'_>) -> io::Result<PathBuf> {
    let recording = plan.recording;
    let invocation = &recording.header.invocation;
    let scripted = invocation.scripted;
    let mut w = Writer {
        dir,
        sh: prelude(dir),
        files: 0,
        out: Vec::new(),
        err: Vec::new(),
        check: plan.check,
        turns: 0,
    };
    if plan.check {
        check_args(&mut w.sh, &invocation.args);
    }
    let session = invocation.prompt == PromptShape::Stream;
    let mut prompt = Vec::new();
    let mut lines = 0usize;
    let mut last_t = 0u64;
    for event in &recording.events {
        if plan.pacing == Pacing::Recorded {
            let dt = event.t_us().saturating_sub(last_t);
            if dt >= 1000 {
                w.flush()?;
                let _ = writeln!(w.sh, "sleep {}.{:06}", dt / 1_000_000, dt % 1_000_000);
            }
            last_t = event.t_us();
        }
        match event {
            Event::Stdout { chunk, .. } => {
                let bytes = chunk.bytes().unwrap_or_default();
                if plan.faults.cut_at_line == Some(lines) {
                    if plan.faults.partial {
                        let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
                        let half = body.len().div_ceil(2);
                        w.out.extend_from_slice(&body[..half]);
                    }
                    break;
                }
                lines += bytes.iter().filter(|b| **b == b'\n').count();
                w.out.extend_from_slice(&bytes);
            }
            Event::Stderr { chunk, .. } => {
                w.flush_out_first()?;
                w.err.extend(chunk.bytes().unwrap_or_default());
            }
            Event::Stdin { chunk, .. } => {
                let bytes = chunk.bytes().unwrap_or_default();
                if session {
                    w.flush()?;
                    w.session_write(&String::from_utf8_lossy(&bytes), scripted)?;
                } else {
                    prompt.extend_from_slice(&bytes);
                }
            }
            Event::StdinClosed { .. } => {
                w.flush()?;
                if session {
                    w.session_end();
                } else {
                    w.prompt_end(&prompt, scripted)?;
                }
            }
            Event::Exit { .. } => {}
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
    w.flush()?;
    ending(&mut w.sh, plan.faults, recording.exit());
    let staged = dir.join("amp.sh");
    std::fs::write(&staged, &w.sh)?;
    let path = dir.join("amp");
    install_executable(&staged, &path)?;
    std::fs::remove_file(&staged)?;
    Ok(path)
}

/// Copies `from` to the executable `to` with a child process (`cp`), so this process never
/// holds `to` open for writing: a fork in another thread of the caller's program while it
/// was open here would keep a copy of that descriptor until its exec, and spawning `to` in
/// that window fails with "Text file busy" (ETXTBSY).
fn install_executable(from: &Path, to: &Path) -> io::Result<()> {
    let status = std::process::Command::new("cp")
        .arg(from)
        .arg(to)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| io::Error::new(e.kind(), format!("running cp: {e}")))?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "cp {} {}: {status}",
            from.display(),
            to.display()
        )));
    }
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o755))
}

impl Writer<'_> {
    /// Stdout written before the stderr that follows it (their order is kept).
    fn flush_out_first(&mut self) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let bytes = std::mem::take(&mut self.out);
        let name = self.data("out", &bytes)?;
        let _ = writeln!(self.sh, "cat \"$D/{name}\"");
        Ok(())
    }
}
