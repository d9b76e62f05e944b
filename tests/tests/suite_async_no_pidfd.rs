//! `ampere-tokio` and `ampere-async-std` where no pidfd can be opened (another OS, an old
//! kernel, a seccomp filter): the shared spawn (`ampere-runtime-async`'s `child`) reaps the
//! CLI on a waiter thread instead of reading its exit off a pidfd on the reactor. Checks
//! the threads an execution uses with and without pidfds, that every descriptor is closed
//! after it, then runs the scenarios that depend on the exit (timeouts, kills, drops,
//! grandchildren, backpressure, stdin, thread commands) on the fallback path, in both
//! runtimes.
//!
//! Runs without the libtest harness: the switch is process-wide, so nothing else may run
//! beside it.

#[path = "suite_async_std.rs"]
#[allow(dead_code)]
mod async_std_facade;
#[path = "support/proc_self.rs"]
mod proc_self;
#[path = "suite_tokio.rs"]
#[allow(dead_code)]
mod tokio_facade;

use std::time::Duration;

use ampere_core::options::AmpOptions;
use async_std_facade::AsyncStd;
use proc_self::{ampere_thread_roles, eventually, open_fds};
use tokio_facade::Tokio;

const STUB: &str = env!("CARGO_BIN_EXE_amp-stub");

/// The roles of the spawn's own threads (`ampere-wait`, `ampere-reap`) that are running;
/// the async-std executor's `ampere-driver` threads stay for the whole process.
fn spawn_threads() -> Vec<String> {
    let mut roles = ampere_thread_roles();
    roles.retain(|r| r == "ampere-wait" || r == "ampere-reap");
    roles
}

/// The spawn's threads while one hanging execution runs on tokio (on a runtime of its
/// own); once it is dropped and its driver has finished, no such thread and no descriptor
/// of it is left.
fn threads_of_one_execution() -> Vec<String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let fds = open_fds();
    let roles = rt.block_on(async {
        let amp = ampere_tokio::Amp::builder().cli_path(STUB).build();
        let execution = amp.execute("[[scenario:hang]] x", AmpOptions::default());
        tokio::time::sleep(Duration::from_millis(200)).await;
        let roles = spawn_threads();
        drop(execution);
        roles
    });
    // The driver task finishes the run (grace, reap) on the live runtime.
    eventually("the spawn's threads end", || spawn_threads().is_empty());
    eventually("file descriptors left open", || open_fds() == fds);
    roles
}

/// Whether the process `pid` is gone (reaped: not even a zombie is left).
fn gone(pid: u32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// A runtime shut down while its execution's CLI ignores `SIGTERM` (inside the grace
/// period): the dropped driver kills the CLI's group, and the dropped exit has the CLI
/// reaped (no zombie left), with and without a pidfd.
fn runtime_dropped_mid_grace() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let pid = rt.block_on(async {
        let amp = ampere_tokio::Amp::builder().cli_path(STUB).build();
        let mut execution = amp.execute("[[scenario:ignore-sigterm]] x", AmpOptions::default());
        // The stub is up once it printed its first message.
        let first = futures_util::StreamExt::next(&mut execution).await;
        assert!(matches!(first, Some(Ok(_))), "{first:?}");
        let pid = execution.pid().expect("spawned");
        drop(execution); // SIGTERM, which the stub ignores: the grace period starts
        pid
    });
    assert!(
        !gone(pid),
        "the CLI ignores SIGTERM: still running in the grace period"
    );
    drop(rt); // drops the driver task, so the exit
    eventually("the CLI killed and reaped", || gone(pid));
}

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        $(
            eprintln!("tokio without pidfd: {}", stringify!($name));
            ampere_tests::suite::run_scenario::<Tokio>(
                stringify!($name),
                STUB,
                ampere_tests::suite::scenarios::$name::<Tokio>,
            );
            eprintln!("async-std without pidfd: {}", stringify!($name));
            ampere_tests::suite::run_scenario::<AsyncStd>(
                stringify!($name),
                STUB,
                ampere_tests::suite::scenarios::$name::<AsyncStd>,
            );
        )*
    };
}

fn main() {
    let with_pidfd = threads_of_one_execution();
    if ampere_runtime_common::child_pidfd(std::process::id()).is_some() {
        assert!(with_pidfd.is_empty(), "no helper thread: {with_pidfd:?}");
    } else {
        assert_eq!(with_pidfd, ["ampere-wait"]);
    }
    runtime_dropped_mid_grace();
    ampere_runtime_common::use_pidfd(false);
    let without = threads_of_one_execution();
    assert_eq!(without, ["ampere-wait"], "the waiter reaps");
    runtime_dropped_mid_grace();
    ampere_tests::with_exit_scenarios!(scenarios);
    eventually("the spawn's threads end", || spawn_threads().is_empty());
    eprintln!("tokio and async-std without pidfd: all scenarios passed");
}
