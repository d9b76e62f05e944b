//! `ampere-blocking` where no pidfd can be opened (another OS, an old kernel, a seccomp
//! filter): a waiter thread reaps the CLI instead of the IO thread's `poll`. Checks the
//! threads each execution uses with and without pidfds, then runs the scenarios that
//! depend on the exit (timeouts, kills, drops, grandchildren, backpressure, stdin, thread
//! commands) on the fallback path.
//!
//! Runs without the libtest harness: the switch is process-wide, so nothing else may run
//! beside it.

#[path = "suite_blocking.rs"]
#[allow(dead_code)]
mod facade;

use std::time::{Duration, Instant};

use ampere_blocking::{Amp, AmpOptions};
use facade::Blocking;

const STUB: &str = env!("CARGO_BIN_EXE_amp-stub");

/// The names of this process's threads that start with `ampere-`.
fn ampere_threads() -> Vec<String> {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
    let mut names: Vec<String> = tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|n| n.trim().to_string())
        .filter(|n| n.starts_with("ampere-"))
        .collect();
    names.sort();
    names
}

/// Waits until no `ampere-` thread is left (the previous execution's threads ended).
fn no_threads_left() {
    let start = Instant::now();
    while !ampere_threads().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "threads left: {:?}",
            ampere_threads()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// The `ampere-` threads of one hanging execution (its role prefixes); its file
/// descriptors are all closed once its threads are gone.
fn threads_of_one_execution() -> Vec<String> {
    no_threads_left();
    let fds = open_fds();
    let amp = Amp::builder().cli_path(STUB).build();
    let execution = amp.execute("[[scenario:hang]] x", AmpOptions::default());
    std::thread::sleep(Duration::from_millis(200));
    let roles = ampere_threads()
        .into_iter()
        .map(|n| n.split('-').take(2).collect::<Vec<_>>().join("-"))
        .collect();
    drop(execution);
    no_threads_left();
    assert_eq!(open_fds(), fds, "file descriptors left open");
    roles
}

fn kernel_has_pidfd() -> bool {
    // SAFETY: pidfd_open(2) on our own pid; the descriptor is closed at once.
    unsafe {
        let fd = libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0);
        if fd >= 0 {
            libc::close(fd as libc::c_int);
        }
        fd >= 0
    }
}

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        $(
            eprintln!("blocking without pidfd: {}", stringify!($name));
            ampere_tests::suite::run_scenario::<Blocking>(
                stringify!($name),
                STUB,
                ampere_tests::suite::scenarios::$name::<Blocking>,
            );
        )*
    };
}

fn main() {
    let with_pidfd = threads_of_one_execution();
    if kernel_has_pidfd() {
        assert_eq!(with_pidfd, ["ampere-io"], "one IO thread per execution");
    } else {
        assert_eq!(with_pidfd, ["ampere-io", "ampere-wait"]);
    }
    ampere_runtime_common::use_pidfd(false);
    let without = threads_of_one_execution();
    assert_eq!(without, ["ampere-io", "ampere-wait"], "the waiter reaps");
    scenarios!(
        echo_text,
        stream_input_turns,
        session_finish,
        run_process_error,
        crash_mid_stream,
        killed_by_signal,
        stderr_complete_at_exit,
        idle_timeout_hang,
        overall_timeout,
        ignore_sigterm_kill_after_grace,
        drop_ignoring_sigterm,
        cancel_reaps_and_cleans,
        session_send_after_exit,
        drop_kills_process_group,
        exit_with_grandchild_holding_stdout,
        exit_drain_grace_kills_grandchild,
        slow_consumer_backpressure,
        cli_never_reads_big_prompt,
        thread_new,
        thread_command_timeout_sigkill_after_grace,
        concurrent_executions,
    );
    no_threads_left();
    eprintln!("blocking without pidfd: all scenarios passed");
}
