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

    #[test]
    fn refuses_to_signal_init_or_everyone() {
        assert!(signal_group(0, Signal::Kill).is_err());
        assert!(signal_group(1, Signal::Kill).is_err());
        assert!(signal_group(u32::MAX, Signal::Kill).is_err());
    }
}
