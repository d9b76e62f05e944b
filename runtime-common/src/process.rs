//! Carrying out the core's signals and reporting exits back to it.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

use ampere_core::run::{ExitInfo, Signal};

/// Sends `signal` to the process group led by `pid` (children are spawned as group leaders,
/// see [`crate::prepare_execution`]), so grandchildren the CLI started stop too.
///
/// A group that no longer exists is not an error.
pub fn signal_group(pid: u32, signal: Signal) -> std::io::Result<()> {
    let sig = match signal {
        Signal::Terminate => libc::SIGTERM,
        Signal::Kill => libc::SIGKILL,
    };
    let Ok(pgid) = libc::pid_t::try_from(pid) else {
        return Err(std::io::Error::other(format!("pid {pid} out of range")));
    };
    if pgid <= 1 {
        return Err(std::io::Error::other(format!(
            "refusing to signal process group {pgid}"
        )));
    }
    // SAFETY: kill(2) has no memory-safety preconditions; a negative pid targets the group.
    let rc = unsafe { libc::kill(-pgid, sig) };
    if rc == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::ESRCH) {
        return Ok(());
    }
    Err(err)
}

/// The capacity ampere asks for the child's stdout pipe (Linux: `F_SETPIPE_SZ`; 1 MiB is
/// the unprivileged maximum by default). A bigger pipe lets the CLI write ahead in larger
/// runs, so the reader wakes once per up to 1 MiB instead of once per 64 KiB (whole-process
/// ingest under tokio: 1.33–1.41× the plain baseline with 64 KiB or 256 KiB, 1.53–1.63×
/// with 1 MiB; `ampere-bench ingest`).
pub const STDOUT_PIPE_SIZE: usize = 1 << 20;

/// At most this many live executions get a grown pipe. Linux charges pipe pages to the
/// user: above `fs.pipe-user-pages-soft` (64 MiB by default) every new pipe of that user,
/// in any program, is cut to one page. 8 × 1 MiB stays far below it.
pub const GROWN_PIPES_MAX: usize = 8;

/// Asks the kernel to grow the pipe behind `fd` (a child's stdout) to [`STDOUT_PIPE_SIZE`],
/// unless [`GROWN_PIPES_MAX`] executions are live already. Best effort: where the system
/// refuses (a lower `fs.pipe-max-size`, the user's pipe quota) or has no such call, the
/// pipe keeps its size, which is only slower. Call it before the child's group is
/// registered (the run state does that).
pub fn grow_pipe(fd: &impl std::os::fd::AsRawFd) {
    if crate::groups::live_group_count() >= GROWN_PIPES_MAX {
        return;
    }
    set_pipe_size(fd.as_raw_fd(), STDOUT_PIPE_SIZE);
}

#[cfg(target_os = "linux")]
fn set_pipe_size(fd: std::os::fd::RawFd, size: usize) {
    let size = libc::c_int::try_from(size).unwrap_or(libc::c_int::MAX);
    // SAFETY: fcntl(2) on a descriptor the caller owns; F_SETPIPE_SZ takes an int and touches
    // no memory of ours. A refusal leaves the pipe as it was.
    let _ = unsafe { libc::fcntl(fd, libc::F_SETPIPE_SZ, size) };
}

#[cfg(not(target_os = "linux"))]
fn set_pipe_size(_fd: std::os::fd::RawFd, _size: usize) {}

/// The core's view of an exit status.
pub fn exit_info(status: ExitStatus) -> ExitInfo {
    ExitInfo {
        code: status.code(),
        signal: status.signal(),
    }
}

/// Whether a failed write to the child's stdin can be ignored: a closed pipe means the CLI
/// has exited or stopped reading, and its exit status tells the story.
pub fn is_ignorable_stdin_error(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::BrokenPipe
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    #[test]
    fn terminate_reaches_the_whole_group_and_exit_names_the_signal() {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("sleep 30 & wait")
            .process_group(0)
            .spawn()
            .expect("spawn sh");
        std::thread::sleep(std::time::Duration::from_millis(100));
        signal_group(child.id(), Signal::Terminate).expect("signal");
        let status = child.wait().expect("wait");
        let info = exit_info(status);
        assert_eq!(info.signal, Some(libc::SIGTERM));
        assert_eq!(info.code, None);
        // The group is gone now; signalling it again is fine.
        signal_group(child.id(), Signal::Kill).expect("no such group is not an error");
    }

    #[cfg(target_os = "linux")]
    fn pipe_size(fd: &impl std::os::fd::AsRawFd) -> usize {
        // SAFETY: F_GETPIPE_SZ on a pipe this test owns.
        let n = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETPIPE_SZ) };
        usize::try_from(n).expect("F_GETPIPE_SZ")
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_pipe_grows_to_the_asked_size_where_the_system_allows_it() {
        let (rx, _tx) = std::io::pipe().expect("pipe");
        let before = pipe_size(&rx);
        set_pipe_size(std::os::fd::AsRawFd::as_raw_fd(&rx), STDOUT_PIPE_SIZE);
        let max: usize = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        if root || max >= STDOUT_PIPE_SIZE {
            assert!(
                pipe_size(&rx) >= STDOUT_PIPE_SIZE,
                "{before} -> {}",
                pipe_size(&rx)
            );
        } else {
            assert_eq!(
                pipe_size(&rx),
                before,
                "a refused size leaves the pipe as it was"
            );
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn no_pipe_grows_once_enough_executions_are_live() {
        // Real groups (sleeping children), so that the exit hook never signals a stranger.
        let mut children: Vec<_> = (0..GROWN_PIPES_MAX)
            .map(|_| {
                let child = Command::new("sleep")
                    .arg("30")
                    .process_group(0)
                    .spawn()
                    .expect("spawn sleep");
                let registration = crate::Registration::register(child.id());
                (child, registration)
            })
            .collect();
        let (rx, _tx) = std::io::pipe().expect("pipe");
        let before = pipe_size(&rx);
        grow_pipe(&rx);
        assert_eq!(pipe_size(&rx), before);
        for (child, registration) in &mut children {
            registration.unregister();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    #[test]
    fn refuses_to_signal_init_or_everyone() {
        assert!(signal_group(0, Signal::Kill).is_err());
        assert!(signal_group(1, Signal::Kill).is_err());
        assert!(signal_group(u32::MAX, Signal::Kill).is_err());
    }
}
