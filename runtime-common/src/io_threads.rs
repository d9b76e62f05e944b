//! [`run_on_io_thread`]: a thread for one job (the blocking runtime's IO loop of one
//! execution), kept afterwards for the next one, so back-to-back executions do not start
//! and end a thread each (a spawn and an exit: `clone3`, its signal stack, its name; about
//! 80 µs with the join on the benchmark VM).

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SendError, Sender};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// A job for an IO thread, with the thread name it runs under.
type Job = (String, Box<dyn FnOnce() + Send>);

/// How long a thread waits for its next job before it ends.
pub const IO_THREAD_KEEP_ALIVE: Duration = Duration::from_secs(10);

/// The name of a thread waiting for its next job.
pub const IDLE_IO_THREAD: &str = "ampere-idle";

/// A thread waiting for its next job.
struct Idle {
    id: u64,
    jobs: Sender<Job>,
}

/// The waiting threads, the one that waited least last.
static IDLE: Mutex<Vec<Idle>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn idle() -> MutexGuard<'static, Vec<Idle>> {
    IDLE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `job` on a thread named `name`: one that finished a job before and waits for the
/// next (renamed), else a new one. After the job the thread waits
/// [`IO_THREAD_KEEP_ALIVE`] for another (named [`IDLE_IO_THREAD`] meanwhile), then ends.
/// `Err` only when no thread could be started.
pub fn run_on_io_thread(name: String, job: impl FnOnce() + Send + 'static) -> io::Result<()> {
    let mut job: Job = (name, Box::new(job));
    {
        let mut idle = idle();
        while let Some(thread) = idle.pop() {
            // Sent under the lock: a thread that timed out looks for itself under it too,
            // so one taken from the list always receives its job.
            match thread.jobs.send(job) {
                Ok(()) => return Ok(()),
                Err(SendError(back)) => job = back,
            }
        }
    }
    let (jobs, next) = mpsc::channel();
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    std::thread::Builder::new()
        .name(job.0.clone())
        .spawn(move || serve(id, jobs, &next, job.1))
        .map(drop)
}

/// An IO thread: its first job, then each one it is handed until it waits in vain.
fn serve(id: u64, jobs: Sender<Job>, next: &Receiver<Job>, first: Box<dyn FnOnce() + Send>) {
    let mut job = first;
    loop {
        job();
        name_this_thread(IDLE_IO_THREAD);
        idle().push(Idle {
            id,
            jobs: jobs.clone(),
        });
        let (name, then) = match next.recv_timeout(IO_THREAD_KEEP_ALIVE) {
            Ok(job) => job,
            Err(_) => {
                let mut idle = idle();
                if let Some(i) = idle.iter().position(|t| t.id == id) {
                    idle.swap_remove(i);
                    return;
                }
                drop(idle);
                // Taken while timing out: its job was sent before the lock was let go.
                match next.recv() {
                    Ok(job) => job,
                    Err(_) => return,
                }
            }
        };
        name_this_thread(&name);
        job = then;
    }
}

/// Renames the calling thread as `/proc` and debuggers show it (the kernel keeps 15
/// bytes); `std::thread::current().name()` keeps the name the thread started with.
fn name_this_thread(name: &str) {
    #[cfg(target_os = "linux")]
    if let Ok(name) = std::ffi::CString::new(name) {
        // SAFETY: PR_SET_NAME reads a NUL-terminated string (the kernel copies at most 16
        // bytes of it) and has no other effect than the calling thread's name.
        unsafe {
            libc::prctl(libc::PR_SET_NAME, name.as_ptr() as libc::c_ulong, 0, 0, 0);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = name;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    fn comm() -> String {
        std::fs::read_to_string("/proc/thread-self/comm")
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    /// Waits until `n` threads are idle.
    fn idle_threads(n: usize) {
        for _ in 0..2500 {
            if idle().len() >= n {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!("{n} idle threads expected, {} are", idle().len());
    }

    /// One test: the idle list is process-wide, and tests of one binary run at once.
    #[test]
    fn jobs_at_once_get_a_thread_each_then_threads_serve_the_next_jobs_renamed() {
        let (tx, rx) = channel();
        let gate = std::sync::Arc::new(std::sync::Barrier::new(3));
        for i in 0..3 {
            let (tx, gate) = (tx.clone(), gate.clone());
            run_on_io_thread(format!("ampere-t-{i}"), move || {
                gate.wait(); // the three at once, or none returns
                tx.send((i, std::thread::current().id())).expect("send");
            })
            .expect("start");
        }
        let mut first: Vec<_> = (0..3).map(|_| rx.recv().expect("job")).collect();
        first.sort_by_key(|(i, _)| *i);
        idle_threads(3);
        // Each next job runs on one of those threads, under its own name (the name the
        // thread started with stays std's).
        let (tx, rx) = channel();
        for i in 0..3 {
            let tx = tx.clone();
            run_on_io_thread(format!("ampere-t-next{i}"), move || {
                let thread = std::thread::current();
                let started_as = thread.name().unwrap_or_default().to_string();
                tx.send((thread.id(), started_as, comm())).expect("send");
            })
            .expect("start");
            let (id, started_as, comm) = rx.recv().expect("next job");
            assert!(
                first.iter().any(|(_, t)| *t == id),
                "a new thread ran job {i}"
            );
            assert!(started_as.starts_with("ampere-t-") && !started_as.contains("next"));
            assert_eq!(comm, format!("ampere-t-next{i}"));
            idle_threads(3);
        }
    }
}
