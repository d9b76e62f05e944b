//! What `/proc/self` says of this test process: its ampere threads and its open file
//! descriptors (the no-pidfd suites check both around one execution).

use std::time::{Duration, Instant};

/// The names of this process's threads.
fn thread_names() -> Vec<String> {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|n| n.trim().to_string())
        .collect()
}

/// The roles of this process's threads named `ampere-…` (a name's first two parts:
/// `ampere-io`, `ampere-wait`, `ampere-driver`, …), sorted; not the IO threads waiting for
/// their next execution (`ampere-idle`, see [`idle_io_threads`]).
pub fn ampere_thread_roles() -> Vec<String> {
    let mut roles: Vec<String> = thread_names()
        .into_iter()
        .filter(|n| n.starts_with("ampere-") && n != ampere_runtime_common::IDLE_IO_THREAD)
        .map(|n| n.split('-').take(2).collect::<Vec<_>>().join("-"))
        .collect();
    roles.sort();
    roles
}

/// How many of the blocking runtime's IO threads wait for their next execution.
#[allow(dead_code)] // the async suite has none
pub fn idle_io_threads() -> usize {
    let idle = ampere_runtime_common::IDLE_IO_THREAD;
    thread_names().iter().filter(|n| *n == idle).count()
}

/// Waits until `f` holds; fails naming `what` (and the ampere threads) after 20 s.
pub fn eventually(what: &str, f: impl Fn() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what} (threads: {:?})",
            ampere_thread_roles()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How many file descriptors this process has open.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}
