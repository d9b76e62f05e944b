//! What `/proc/self` says of this test process: its ampere threads and its open file
//! descriptors (the no-pidfd suites check both around one execution).

use std::time::{Duration, Instant};

/// The roles of this process's threads named `ampere-…` (a name's first two parts:
/// `ampere-io`, `ampere-wait`, `ampere-driver`, …), sorted.
pub fn ampere_thread_roles() -> Vec<String> {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
    let mut roles: Vec<String> = tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|n| n.starts_with("ampere-"))
        .map(|n| n.trim().split('-').take(2).collect::<Vec<_>>().join("-"))
        .collect();
    roles.sort();
    roles
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
