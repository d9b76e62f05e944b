//! Lifecycle scenarios (issue 9): a thread command on timeout (SIGTERM first, SIGKILL after
//! the grace, its whole process group gone), the exit drain grace, a program that exits right
//! after dropping an execution (nothing left), and bounded memory under backpressure (a slow
//! consumer does not trip the idle timeout; the bytes read but not delivered stay under
//! `max_buffered_bytes`), for executions and sessions.
//!
//! The CLI is played by small shell scripts around `amp-stub`, by `amp-flood` (writes as fast
//! as the pipe takes it and records how far it got) and, for the exit, by the
//! `ampere-drop-exit` helper program.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ampere_core::message::Message;
use ampere_core::options::AmpOptions;
use ampere_core::run::{AgentError, TimeoutKind};

use crate::flood;
use crate::suite::{
    eventually, tags, AmpCfg, Item, PromptSpec, Runtime, Scratch, Suite, EVENTUALLY,
};

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

/// Whether `pid` is dead: gone, or a zombie nobody has reaped yet (a grandchild re-parented
/// to an init that reaps slowly).
fn is_dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state follows the command name in parentheses, which may hold spaces.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
    }
}

/// SIGKILLs `pid` (cleanup after a failed check; never the thing under test).
fn kill_quietly(pid: u32) {
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid as i32, libc::SIGKILL);
    }
}

fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.trim().parse().ok())
}

/// An absolute `sleep` (a scenario elsewhere may point PATH at an empty folder).
fn sleep_bin() -> &'static str {
    ["/bin/sleep", "/usr/bin/sleep"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("a sleep binary")
}

/// Writes an executable `#!/bin/sh` script `name` in the scratch folder.
fn script(scratch: &Scratch, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = scratch.path().join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).expect("write the script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// ETXTBSY: a script this multi-threaded process just wrote can be held open for a moment by
/// another thread's fork; such a spawn is tried again.
fn text_busy(error: &AgentError) -> bool {
    // `ErrorKind::ExecutableFileBusy` is newer than the MSRV: compare by name.
    matches!(error, AgentError::Io { kind, .. } if format!("{kind:?}") == "ExecutableFileBusy")
}

fn first_busy(items: &[Item]) -> bool {
    matches!(items.first(), Some(Err(e)) if text_busy(e))
}

/// Asserts that every pid is dead within [`EVENTUALLY`] (SIGKILLs the survivors, then fails).
fn assert_all_dead<R: Runtime>(what: &str, pids: &[(&str, u32)]) {
    for &(name, pid) in pids {
        let dead = eventually(EVENTUALLY, || is_dead(pid));
        if !dead {
            kill_quietly(pid);
        }
        assert!(
            dead,
            "[{}] {what}: {name} {pid} still alive {EVENTUALLY:?} later",
            R::NAME
        );
    }
}

// ---------------------------------------------------------------------------------------------
// thread commands on timeout
// ---------------------------------------------------------------------------------------------

/// A CLI for thread commands that hangs: it writes its pid, starts a grandchild (`sleep`, in
/// its process group; ignoring SIGTERM when `stubborn`), and waits. On SIGTERM it appends
/// `TERM` to `sigterm`, then exits (or, when `stubborn`, goes on waiting).
fn hanging_thread_cli(scratch: &Scratch, stubborn: bool) -> PathBuf {
    let dir = scratch.path().display().to_string();
    let sleep = sleep_bin();
    let (grandchild, on_term) = if stubborn {
        (
            format!("(trap '' TERM; exec {sleep} 600) >/dev/null 2>&1 &"),
            format!("echo TERM >> '{dir}/sigterm'"),
        )
    } else {
        (
            format!("{sleep} 600 >/dev/null 2>&1 &"),
            format!("echo TERM >> '{dir}/sigterm'; exit 0"),
        )
    };
    script(
        scratch,
        "amp-thread-hang",
        &format!(
            "echo $$ > '{dir}/cli.pid'\n{grandchild}\necho $! > '{dir}/grandchild.pid'\n\
             trap \"{on_term}\" TERM\nwhile :; do wait; done\n"
        ),
    )
}

/// Runs `thread_new` against the hanging CLI; returns the result and how long it took.
fn timed_thread_new<R: Runtime>(cfg: &AmpCfg) -> (Result<String, AgentError>, Duration) {
    loop {
        let started = Instant::now();
        let got = R::thread_new(cfg, None);
        match &got {
            Err(e) if text_busy(e) => std::thread::sleep(Duration::from_millis(100)),
            _ => return (got, started.elapsed()),
        }
    }
}

fn sigterms(scratch: &Scratch) -> usize {
    std::fs::read_to_string(scratch.path().join("sigterm"))
        .map(|t| t.lines().filter(|l| *l == "TERM").count())
        .unwrap_or(0)
}

fn thread_pids<R: Runtime>(scratch: &Scratch) -> (u32, u32) {
    let cli = read_pid(&scratch.path().join("cli.pid"));
    let grandchild = read_pid(&scratch.path().join("grandchild.pid"));
    match (cli, grandchild) {
        (Some(c), Some(g)) => (c, g),
        other => panic!("[{}] the thread CLI wrote no pids: {other:?}", R::NAME),
    }
}

/// A thread command whose CLI hangs past the overall timeout gets SIGTERM first (its trap
/// runs), well before the kill grace would have ended; the grandchild in its process group
/// got it too: both are gone.
pub fn thread_command_timeout_sigterm_first<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let timeout = Duration::from_millis(400);
    let cfg = AmpCfg {
        cli_path: Some(hanging_thread_cli(&scratch, false)),
        overall_timeout: Some(timeout),
        kill_grace: Some(Duration::from_secs(20)),
        ..s.cfg()
    };
    let (got, elapsed) = timed_thread_new::<R>(&cfg);
    let (cli, grandchild) = thread_pids::<R>(&scratch);
    assert_all_dead::<R>(
        "thread command, SIGTERM",
        &[("CLI", cli), ("grandchild", grandchild)],
    );
    assert_eq!(
        got,
        Err(AgentError::Timeout {
            kind: TimeoutKind::Overall,
            after: timeout
        }),
        "[{}]",
        R::NAME
    );
    assert_eq!(
        sigterms(&scratch),
        1,
        "[{}] SIGTERM reached the CLI",
        R::NAME
    );
    assert!(
        elapsed >= timeout && elapsed < Duration::from_secs(10),
        "[{}] a CLI that exits on SIGTERM ended the command after {elapsed:?} (SIGKILL only \
         after the 20 s grace would be too late)",
        R::NAME
    );
}

/// A thread command whose CLI (and grandchild) ignore SIGTERM: SIGTERM first, then SIGKILL
/// of the whole group after the kill grace; nothing of the group survives.
pub fn thread_command_timeout_sigkill_after_grace<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let timeout = Duration::from_millis(300);
    let grace = Duration::from_millis(800);
    let cfg = AmpCfg {
        cli_path: Some(hanging_thread_cli(&scratch, true)),
        overall_timeout: Some(timeout),
        kill_grace: Some(grace),
        ..s.cfg()
    };
    let (got, elapsed) = timed_thread_new::<R>(&cfg);
    let (cli, grandchild) = thread_pids::<R>(&scratch);
    assert_all_dead::<R>(
        "thread command, SIGKILL",
        &[("CLI", cli), ("grandchild", grandchild)],
    );
    assert_eq!(
        got,
        Err(AgentError::Timeout {
            kind: TimeoutKind::Overall,
            after: timeout
        }),
        "[{}]",
        R::NAME
    );
    assert_eq!(
        sigterms(&scratch),
        1,
        "[{}] SIGTERM came first, once",
        R::NAME
    );
    assert!(
        elapsed >= timeout + grace - Duration::from_millis(50)
            && elapsed < timeout + grace + Duration::from_secs(8),
        "[{}] SIGKILL after the grace: the command took {elapsed:?} (timeout {timeout:?} + \
         grace {grace:?})",
        R::NAME
    );
}

// ---------------------------------------------------------------------------------------------
// the exit drain grace
// ---------------------------------------------------------------------------------------------

/// A CLI wrapper that starts a grandchild holding stdout open (`sleep 30`, pid in
/// `grandchild.pid`), then becomes the stub (same pid, so the grandchild is in its group).
fn holding_wrapper(s: &Suite, scratch: &Scratch) -> PathBuf {
    let dir = scratch.path().display().to_string();
    script(
        scratch,
        "amp-holding",
        &format!(
            "{} 30 &\necho $! > '{dir}/grandchild.pid'\nexec '{}' \"$@\"\n",
            sleep_bin(),
            s.stub.display()
        ),
    )
}

/// One run with the given exit drain grace against the holding wrapper: its items, elapsed
/// time and the grandchild's pid.
fn drain_run<R: Runtime>(s: &Suite, grace: Duration) -> (Vec<Item>, Duration, u32) {
    let scratch = Scratch::new();
    let cfg = AmpCfg {
        cli_path: Some(holding_wrapper(s, &scratch)),
        exit_drain_grace: Some(grace),
        ..s.cfg()
    };
    let mut c = R::execute(&cfg, "held stdout".into(), AmpOptions::new());
    if first_busy(&c.items) {
        std::thread::sleep(Duration::from_millis(100));
        c = R::execute(&cfg, "held stdout".into(), AmpOptions::new());
    }
    let grandchild = read_pid(&scratch.path().join("grandchild.pid"))
        .unwrap_or_else(|| panic!("[{}] no grandchild pid: {:?}", R::NAME, tags(&c.items)));
    (c.items, c.elapsed, grandchild)
}

/// The CLI exits while a grandchild holds its stdout open: the run ends about
/// `exit_drain_grace` after the exit (a short and a long grace, both honoured), with every
/// message and no error, and the leftover grandchild is killed.
pub fn exit_drain_grace_kills_grandchild<R: Runtime>(s: &Suite) {
    let expected = ["system/init", "user", "assistant", "result"];
    let short = Duration::from_millis(200);
    let (items, elapsed, grandchild) = drain_run::<R>(s, short);
    assert_all_dead::<R>("short drain grace", &[("grandchild", grandchild)]);
    assert_eq!(tags(&items), expected, "[{}] short grace", R::NAME);
    assert!(
        elapsed < Duration::from_millis(1500),
        "[{}] exit_drain_grace {short:?}: the run took {elapsed:?}",
        R::NAME
    );

    let long = Duration::from_millis(2500);
    let (items, elapsed, grandchild) = drain_run::<R>(s, long);
    assert_all_dead::<R>("long drain grace", &[("grandchild", grandchild)]);
    assert_eq!(tags(&items), expected, "[{}] long grace", R::NAME);
    assert!(
        elapsed >= long && elapsed < long + Duration::from_secs(5),
        "[{}] exit_drain_grace {long:?}: the run took {elapsed:?}",
        R::NAME
    );
}

// ---------------------------------------------------------------------------------------------
// exit right after a drop
// ---------------------------------------------------------------------------------------------

/// A program starts an execution (with a private folder) against a CLI that ignores SIGTERM,
/// drops it and exits at once: afterwards no CLI process is left and no private folder.
pub fn exit_right_after_drop<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let temp = scratch.temp_root();
    let out = Command::new(s.bin("ampere-drop-exit"))
        .arg(R::NAME)
        .arg(&s.stub)
        .arg(&temp)
        .output()
        .expect("run ampere-drop-exit");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(str::to_string)
            .unwrap_or_default()
    };
    let pid: Option<u32> = field("pid").parse().ok();
    if let Some(pid) = pid {
        // Give a correct program a moment (init reaps the orphan), then judge.
        let dead = eventually(Duration::from_secs(3), || is_dead(pid));
        if !dead {
            kill_quietly(pid);
        }
        assert!(
            out.status.success(),
            "[{}] ampere-drop-exit failed: {:?} {}",
            R::NAME,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(field("first"), "system", "[{}] {text}", R::NAME);
        assert!(
            dead,
            "[{}] the CLI {pid} (ignoring SIGTERM) outlived the program that dropped it",
            R::NAME
        );
    } else {
        panic!(
            "[{}] ampere-drop-exit reported no pid: {text} {}",
            R::NAME,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let dir = field("dir");
    assert!(
        !dir.is_empty(),
        "[{}] the execution had a private folder",
        R::NAME
    );
    assert!(
        !Path::new(&dir).exists(),
        "[{}] the private folder {dir} outlived the program",
        R::NAME
    );
    assert!(
        scratch.temp_leftovers().is_empty(),
        "[{}] left behind: {:?}",
        R::NAME,
        scratch.temp_leftovers()
    );
}

// ---------------------------------------------------------------------------------------------
// bounded memory
// ---------------------------------------------------------------------------------------------

/// The backpressure bound the scenarios set (below the 4 MiB default, to see it honoured).
const BOUND: usize = 1024 * 1024;

/// What may be in flight beyond the bound: the pipe (ampere grows the CLI's stdout pipe to
/// `STDOUT_PIPE_SIZE`; 64 KiB where it cannot), one read chunk of the runtime, one line, and
/// slack for the writer's progress record lagging a line.
const IN_FLIGHT: usize =
    ampere_runtime_common::STDOUT_PIPE_SIZE + 256 * 1024 + flood::DEFAULT_LINE_BYTES + 64 * 1024;

fn flood_cfg(s: &Suite) -> AmpCfg {
    AmpCfg {
        cli_path: Some(s.bin("amp-flood")),
        idle_timeout: Some(Duration::from_secs(1)),
        max_buffered_bytes: Some(BOUND),
        ..s.cfg()
    }
}

fn flood_options(scratch: &Scratch, lines: u64) -> (AmpOptions, PathBuf) {
    let progress = scratch.path().join("progress");
    let options = AmpOptions::new()
        .env("AMP_FLOOD_PROGRESS", progress.to_string_lossy())
        .env("AMP_FLOOD_LINES", lines.to_string())
        .env(
            "AMP_FLOOD_LINE_BYTES",
            flood::DEFAULT_LINE_BYTES.to_string(),
        );
    (options, progress)
}

/// Watches the flood from the consumer's side: after item `k` (1-based) it knows how many
/// bytes the consumer has taken, reads how many the flood has written, and keeps the largest
/// difference.
struct Watch {
    progress: PathBuf,
    consumed: u64,
    max_excess: u64,
    checks: usize,
}

impl Watch {
    fn new(progress: PathBuf) -> Watch {
        Watch {
            progress,
            consumed: 0,
            max_excess: 0,
            checks: 0,
        }
    }

    /// Item `k` was taken (item 1 is init, then assistant lines, then the result).
    fn took(&mut self, k: usize, item: &Item) {
        self.consumed += match item {
            Ok(Message::System(_)) if k == 1 => flood::init_line().len() as u64,
            _ => flood::DEFAULT_LINE_BYTES as u64,
        };
        if k.trailing_zeros() >= 5 || k <= 2 {
            if let Some(written) = flood::read_progress(&self.progress) {
                self.max_excess = self.max_excess.max(written.saturating_sub(self.consumed));
                self.checks += 1;
            }
        }
    }

    fn assert_bounded<R: Runtime>(&self, what: &str) {
        assert!(self.checks > 10, "[{}] {what}: too few checks", R::NAME);
        assert!(
            self.max_excess <= (BOUND + IN_FLIGHT) as u64,
            "[{}] {what}: the CLI got {} bytes ahead of the consumer (bound {BOUND} + {IN_FLIGHT} \
             in flight)",
            R::NAME,
            self.max_excess
        );
    }
}

/// A CLI writing 64 MiB as fast as it can and a consumer taking 1 ms per message, with one
/// pause longer than the idle timeout in the middle: no idle timeout (the run lasts several
/// idle timeouts), every message arrives, and at every check the bytes written but not yet
/// taken stay under `max_buffered_bytes` plus what a pipe and a line hold.
pub fn backpressure_bounded<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let lines = 4096u64;
    let (options, progress) = flood_options(&scratch, lines);
    let mut watch = Watch::new(progress);
    let c = R::execute_each(
        &flood_cfg(s),
        PromptSpec::Text("flood".into()),
        options,
        &mut |k, item| {
            watch.took(k, item);
            if k == 2048 {
                Duration::from_millis(1500)
            } else {
                Duration::from_millis(1)
            }
        },
    );
    let errors: Vec<&Item> = c.items.iter().filter(|i| i.is_err()).collect();
    assert!(errors.is_empty(), "[{}] errors: {errors:?}", R::NAME);
    assert_eq!(
        c.items.len() as u64,
        lines + 2,
        "[{}] every message",
        R::NAME
    );
    assert!(
        matches!(c.items.last(), Some(Ok(Message::Result(_)))),
        "[{}] ends with the result",
        R::NAME
    );
    assert!(
        c.elapsed > Duration::from_secs(3),
        "[{}] the run was meant to outlast the idle timeout: {:?}",
        R::NAME,
        c.elapsed
    );
    watch.assert_bounded::<R>("execution");
}

/// The same for a session: a turn whose answer is 16 MiB, not read for longer than the idle
/// timeout, then read: no timeout, the CLI stays within the bound, `finish` succeeds.
pub fn session_backpressure_bounded<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let lines = 1024u64;
    let (options, progress) = flood_options(&scratch, lines);
    let mut watch = Watch::new(progress);
    let (items, summary) =
        R::session_each(&flood_cfg(s), options, "flood".into(), &mut |k, item| {
            watch.took(k, item);
            if k == 1 {
                Duration::from_millis(1500)
            } else {
                Duration::ZERO
            }
        });
    let errors: Vec<&Item> = items.iter().filter(|i| i.is_err()).collect();
    assert!(errors.is_empty(), "[{}] errors: {errors:?}", R::NAME);
    assert_eq!(items.len() as u64, lines + 2, "[{}] every message", R::NAME);
    match summary {
        Ok(summary) => assert_eq!(summary.result, format!("flooded {lines} lines")),
        Err(e) => panic!("[{}] finish: {e:?}", R::NAME),
    }
    watch.assert_bounded::<R>("session");
}
