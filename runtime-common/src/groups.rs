//! The process-wide registry of live CLI process groups, killed when the program exits.
//!
//! Dropping an execution sends `SIGTERM` at once; the driver then waits the kill grace and
//! sends `SIGKILL`. A program that exits right after the drop would leave a CLI that ignores
//! `SIGTERM` running (re-parented to init). So every spawned group is registered here until
//! its run is finished, and an `atexit` hook sends `SIGKILL` to every group still registered
//! when the program exits (returning from `main` or calling `std::process::exit`). A program
//! killed by a signal runs no hook; its CLI then finds its stdout closed.
//!
//! The registry is a fixed table of atomics (no lock), so the hook never waits on a thread
//! that was stopped mid-update.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

/// How many groups are tracked at once (more are not tracked: they get the normal drop
/// path only).
const SLOTS: usize = 4096;

static GROUPS: [AtomicU32; SLOTS] = [const { AtomicU32::new(0) }; SLOTS];
static HOOK: Once = Once::new();

/// A registered group; [`unregister`](Registration::unregister) (or drop) removes it.
#[derive(Debug)]
pub struct Registration {
    slot: Option<usize>,
}

impl Registration {
    /// Registers the group led by `pid` (0 and 1 are never registered).
    pub fn register(pid: u32) -> Registration {
        if pid <= 1 {
            return Registration { slot: None };
        }
        HOOK.call_once(|| {
            // SAFETY: `kill_all` is an `extern "C" fn()` with no preconditions; atexit only
            // stores the pointer.
            unsafe {
                libc::atexit(kill_all);
            }
        });
        let start = (pid as usize) % SLOTS;
        for i in 0..SLOTS {
            let slot = (start + i) % SLOTS;
            if GROUPS[slot]
                .compare_exchange(0, pid, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                return Registration { slot: Some(slot) };
            }
        }
        tracing::debug!(target: "ampere", pid, "too many live CLI groups to track for exit cleanup");
        Registration { slot: None }
    }

    /// The group no longer needs killing at exit (its run is finished).
    pub fn unregister(&mut self) {
        if let Some(slot) = self.slot.take() {
            GROUPS[slot].store(0, Ordering::Release);
        }
    }

    /// Whether the group is registered (tests).
    pub fn is_registered(&self) -> bool {
        self.slot.is_some()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.unregister();
    }
}

/// How many groups are registered now (one per live execution), without allocating.
pub(crate) fn live_group_count() -> usize {
    GROUPS
        .iter()
        .filter(|g| g.load(Ordering::Acquire) > 1)
        .count()
}

/// The groups registered now (tests and diagnostics).
pub fn live_groups() -> Vec<u32> {
    GROUPS
        .iter()
        .map(|g| g.load(Ordering::Acquire))
        .filter(|&pid| pid > 1)
        .collect()
}

extern "C" fn kill_all() {
    for group in GROUPS.iter() {
        let pid = group.swap(0, Ordering::AcqRel);
        if let Ok(pgid) = libc::pid_t::try_from(pid) {
            if pgid > 1 {
                // SAFETY: kill(2) has no memory-safety preconditions; a negative pid targets
                // the group.
                unsafe {
                    libc::kill(-pgid, libc::SIGKILL);
                }
            }
        }
    }
}
