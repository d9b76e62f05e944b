//! Carrying out core's permission bridge with std threads: the request FIFO, the request
//! files, the answer FIFOs, and one thread per decision (so a slow handler never holds up
//! another call).
//!
//! Every decision is core's ([`PermissionBridge`]): this module only moves bytes.

use std::ffi::CString;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ampere_core::callbacks::permission_bridge::{
    answer_fifo, delegate_script, request_file, script_name, BridgeOutput, Decision,
    PermissionBridge, PermissionRequest, REQUEST_FIFO,
};
use ampere_core::permission::PermissionContext;
use ampere_core::run::IoFailure;

/// A permission handler: decides one tool call. Called on a thread of its own per call.
pub type PermissionHandler = Arc<dyn Fn(PermissionRequest) -> Decision + Send + Sync>;

/// How long an answer waits for its script to open the answer pipe.
const ANSWER_OPEN_WAIT: Duration = Duration::from_secs(30);

/// The bridge of one execution, served by threads. Stop it when the execution ends: pending
/// calls are rejected.
pub struct PermissionHost {
    shared: Arc<Shared>,
    reader: Option<JoinHandle<()>>,
}

struct Shared {
    dir: PathBuf,
    bridge: Mutex<PermissionBridge>,
    handler: PermissionHandler,
    stop: AtomicBool,
    /// Answers being written (joined at the stop, so pending rejections reach their call).
    answers: Mutex<Vec<JoinHandle<()>>>,
    deadline: Duration,
}

impl std::fmt::Debug for PermissionHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PermissionHost")
            .field("dir", &self.shared.dir)
            .finish_non_exhaustive()
    }
}

pub(crate) fn mkfifo(path: &Path) -> std::io::Result<()> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::other("a NUL byte in the path"))?;
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

impl PermissionHost {
    /// Writes the delegate scripts and the request FIFO into the private folder `dir`, and
    /// starts serving. Handlers that take longer than `deadline` are answered with a
    /// rejection.
    pub fn start(
        dir: &Path,
        deadline: Duration,
        handler: PermissionHandler,
    ) -> std::io::Result<PermissionHost> {
        for context in [PermissionContext::Thread, PermissionContext::Subagent] {
            let path = dir.join(script_name(context));
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o700)
                .open(&path)?;
            file.write_all(delegate_script(dir, context).as_bytes())?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
        }
        let fifo = dir.join(REQUEST_FIFO);
        mkfifo(&fifo)?;
        // Read and write: opening never blocks, and the pipe never reads end of file while
        // no script is writing.
        let requests = OpenOptions::new().read(true).write(true).open(&fifo)?;
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            bridge: Mutex::new(PermissionBridge::new(deadline)),
            handler,
            stop: AtomicBool::new(false),
            answers: Mutex::new(Vec::new()),
            deadline,
        });
        let reader_shared = Arc::clone(&shared);
        let reader = std::thread::Builder::new()
            .name("ampere-permissions".into())
            .spawn(move || reader_shared.read_loop(requests))?;
        Ok(PermissionHost {
            shared,
            reader: Some(reader),
        })
    }

    /// Stops serving: every pending call (and any later one) is rejected.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.with_bridge(PermissionBridge::finish);
        // Wake the reader: a notification nobody waits for.
        if let Ok(mut fifo) = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(self.shared.dir.join(REQUEST_FIFO))
        {
            let _ = fifo.write_all(b"wake\n");
        }
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let answers = std::mem::take(
            &mut *self
                .shared
                .answers
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for answer in answers {
            let _ = answer.join();
        }
    }
}

impl Drop for PermissionHost {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Shared {
    /// Runs `f` on the bridge, then carries out what it asks.
    fn with_bridge(self: &Arc<Self>, f: impl FnOnce(&mut PermissionBridge)) {
        let outputs: Vec<BridgeOutput> = {
            let mut bridge = self.bridge.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut bridge);
            std::iter::from_fn(|| bridge.poll_output()).collect()
        };
        for output in outputs {
            self.carry_out(output);
        }
    }

    fn carry_out(self: &Arc<Self>, output: BridgeOutput) {
        match output {
            BridgeOutput::ReadRequest(id) => {
                let contents =
                    std::fs::read(self.dir.join(request_file(id))).map_err(|e| IoFailure::from(&e));
                self.with_bridge(|b| b.handle_request_file(id, contents));
            }
            BridgeOutput::Decide { id, request } => {
                let shared = Arc::clone(self);
                let spawned = std::thread::Builder::new()
                    .name("ampere-permission-handler".into())
                    .spawn(move || {
                        let handler = Arc::clone(&shared.handler);
                        let tool = request.tool.clone();
                        let decision = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
                            move || handler(request),
                        ))
                        .unwrap_or_else(|panic| {
                            let text = panic
                                .downcast_ref::<&str>()
                                .map(|s| (*s).to_string())
                                .or_else(|| panic.downcast_ref::<String>().cloned())
                                .unwrap_or_else(|| "unknown panic".into());
                            tracing::warn!(target: "ampere", %tool, "the permission handler panicked");
                            Decision::Reject(format!("the permission handler panicked: {text}"))
                        });
                        shared.with_bridge(|b| b.handle_decision(id, decision));
                    });
                if spawned.is_err() {
                    let reject = Decision::Reject("cannot start the permission handler".into());
                    self.with_bridge(|b| b.handle_decision(id, reject));
                }
            }
            BridgeOutput::Answer { id, bytes, allowed } => {
                tracing::debug!(target: "ampere", id, allowed, "answering a permission request");
                let path = self.dir.join(answer_fifo(id));
                let shared = Arc::clone(self);
                let spawned = std::thread::Builder::new()
                    .name("ampere-permission-answer".into())
                    .spawn(move || write_answer(&path, &bytes, &shared.stop));
                if let Ok(handle) = spawned {
                    let mut answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
                    answers.retain(|h| !h.is_finished());
                    answers.push(handle);
                }
            }
        }
    }

    fn read_loop(self: Arc<Self>, mut requests: std::fs::File) {
        let mut buf = [0u8; 4096];
        loop {
            if self.stop.load(Ordering::Acquire) {
                return;
            }
            let timeout = {
                let bridge = self.bridge.lock().unwrap_or_else(PoisonError::into_inner);
                bridge.poll_timeout()
            };
            if !wait_readable(&requests, timeout) {
                let mut late = 0;
                self.with_bridge(|b| {
                    let before = b.pending();
                    b.handle_timeout(Instant::now());
                    late = before - b.pending();
                });
                if late > 0 {
                    let deadline = self.deadline;
                    tracing::warn!(target: "ampere", late, ?deadline, "the permission handler missed its deadline; the call is rejected");
                }
                continue;
            }
            match requests.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    if self.stop.load(Ordering::Acquire) {
                        return;
                    }
                    let bytes = buf[..n].to_vec();
                    self.with_bridge(|b| b.handle_notifications(&bytes, Instant::now()));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    tracing::warn!(target: "ampere", error = %e, "cannot read permission requests");
                    return;
                }
            }
        }
    }
}

/// Waits until `file` is readable or `deadline` passes (false on the deadline).
fn wait_readable(file: &std::fs::File, deadline: Option<Instant>) -> bool {
    use std::os::fd::AsRawFd;
    let timeout_ms = match deadline {
        None => -1,
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            i32::try_from(left.as_millis().saturating_add(1)).unwrap_or(i32::MAX)
        }
    };
    let mut fds = libc::pollfd {
        fd: file.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: `fds` is one valid pollfd for the duration of the call.
    let rc = unsafe { libc::poll(&mut fds, 1, timeout_ms) };
    rc != 0
}

/// How long an answer waits for its script once the host is stopping.
const ANSWER_OPEN_WAIT_STOPPING: Duration = Duration::from_millis(200);

/// Opens the script's answer pipe once it is listening (bounded wait), writes, closes.
fn write_answer(path: &Path, bytes: &[u8], stopping: &AtomicBool) {
    let start = Instant::now();
    loop {
        match OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
        {
            Ok(mut pipe) => {
                use std::os::fd::AsRawFd;
                // The reader is there: write blocking from now on.
                // SAFETY: fcntl on a valid, owned file descriptor.
                unsafe {
                    let flags = libc::fcntl(pipe.as_raw_fd(), libc::F_GETFL);
                    if flags >= 0 {
                        libc::fcntl(pipe.as_raw_fd(), libc::F_SETFL, flags & !libc::O_NONBLOCK);
                    }
                }
                let _ = pipe.write_all(bytes);
                return;
            }
            Err(e)
                if e.raw_os_error() == Some(libc::ENXIO)
                    && start.elapsed() < ANSWER_OPEN_WAIT
                    && !(stopping.load(Ordering::Acquire)
                        && start.elapsed() >= ANSWER_OPEN_WAIT_STOPPING) =>
            {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(e) => {
                tracing::debug!(target: "ampere", error = %e, path = %path.display(), "cannot answer a permission request");
                return;
            }
        }
    }
}
