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
#[path = "support/proc_self.rs"]
mod proc_self;

use std::time::Duration;

use ampere_blocking::{Amp, AmpOptions};
use facade::Blocking;
use proc_self::{ampere_thread_roles, eventually, idle_io_threads, open_fds};

const STUB: &str = env!("CARGO_BIN_EXE_amp-stub");

/// Waits until no `ampere-` thread is left (the previous execution's threads ended).
fn no_threads_left() {
    eventually("threads left", || ampere_thread_roles().is_empty());
}

/// The `ampere-` threads of one hanging execution (its role prefixes); its file
/// descriptors are all closed once its threads are gone.
fn threads_of_one_execution() -> Vec<String> {
    no_threads_left();
    let fds = open_fds();
    let amp = Amp::builder().cli_path(STUB).build();
    let execution = amp.execute("[[scenario:hang]] x", AmpOptions::default());
    std::thread::sleep(Duration::from_millis(200));
    let roles = ampere_thread_roles();
    let idle = idle_io_threads();
    drop(execution);
    no_threads_left();
    assert_eq!(open_fds(), fds, "file descriptors left open");
    // Its IO thread waits for the next execution (the kept thread holds nothing of it).
    eventually("the IO thread kept", || idle_io_threads() == idle + 1);
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
    ampere_tests::with_exit_scenarios!(scenarios);
    no_threads_left();
    eprintln!("blocking without pidfd: all scenarios passed");
}
