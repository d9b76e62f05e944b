//! The shared driver against a fake runtime (in-memory pipes, a hand-moved clock, tasks
//! polled by the test): the rules it carries out whatever the runtime.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::pin::Pin;
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use ampere_core::message::{create_user_message, UserInputMessage};
use ampere_core::options::AmpOptions;
use ampere_runtime_async::runtime::{AsyncTimer, BoxFuture, Child, ChildFd, PipeRead, PipeWrite};
use ampere_runtime_async::{Amp, Prompt, Runtime};
use futures_core::Stream;

/// The child's side of the fake pipes.
#[derive(Default)]
struct Pipes {
    stdout: VecDeque<u8>,
    stdout_closed: bool,
    stdout_reads: usize,
    stdin: Vec<u8>,
    stdin_room: usize,
    /// Who waits for room in stdin (woken when the test makes some).
    stdin_waker: Option<Waker>,
    exit: Option<i32>,
}

struct World {
    now: Instant,
    tasks: Vec<BoxFuture<'static, ()>>,
    pipes: Arc<Mutex<Pipes>>,
    timers_made: usize,
    timer_resets: usize,
    /// A real process group (a `sleep`), so that signals core sends hit only it.
    group: std::process::Child,
}

thread_local! {
    static WORLD: RefCell<Option<World>> = const { RefCell::new(None) };
}

fn world<T>(f: impl FnOnce(&mut World) -> T) -> T {
    WORLD.with(|w| f(w.borrow_mut().as_mut().expect("world set up")))
}

fn setup(stdin_room: usize) -> Arc<Mutex<Pipes>> {
    let group = Command::new("sleep")
        .arg("60")
        .process_group(0)
        .spawn()
        .expect("spawn sleep");
    let pipes = Arc::new(Mutex::new(Pipes {
        stdin_room,
        ..Pipes::default()
    }));
    WORLD.with(|w| {
        *w.borrow_mut() = Some(World {
            now: Instant::now(),
            tasks: Vec::new(),
            pipes: Arc::clone(&pipes),
            timers_made: 0,
            timer_resets: 0,
            group,
        })
    });
    pipes
}

fn teardown() {
    if let Some(mut w) = WORLD.with(|w| w.borrow_mut().take()) {
        let _ = w.group.kill();
        let _ = w.group.wait();
    }
}

/// Polls every spawned task a few times; finished tasks are dropped.
fn run_tasks() {
    let mut tasks = world(|w| std::mem::take(&mut w.tasks));
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..4 {
        tasks.retain_mut(|t| t.as_mut().poll(&mut cx).is_pending());
    }
    world(|w| w.tasks.extend(tasks));
}

fn advance(by: Duration) {
    world(|w| w.now += by);
}

#[derive(Debug, Clone, Copy, Default)]
struct Fake;

#[derive(Debug)]
struct FakeTimer(Instant);

impl AsyncTimer for FakeTimer {
    fn reset(mut self: Pin<&mut Self>, deadline: Instant) {
        world(|w| w.timer_resets += 1);
        self.0 = deadline;
    }
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if world(|w| w.now) >= self.0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

struct Out(Arc<Mutex<Pipes>>);
struct In(Arc<Mutex<Pipes>>);
struct Empty;

impl PipeRead for Out {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut p = self.0.lock().expect("pipes");
        if p.stdout.is_empty() {
            return if p.stdout_closed {
                Poll::Ready(Ok(0))
            } else {
                Poll::Pending
            };
        }
        let n = buf.len().min(p.stdout.len());
        for (slot, byte) in buf.iter_mut().zip(p.stdout.drain(..n)) {
            *slot = byte;
        }
        p.stdout_reads += 1;
        Poll::Ready(Ok(n))
    }
}

impl PipeRead for Empty {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(0))
    }
}

impl PipeWrite for In {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut p = self.0.lock().expect("pipes");
        let n = buf.len().min(p.stdin_room);
        if n == 0 {
            p.stdin_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        p.stdin_room -= n;
        p.stdin.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }
}

/// The driver tests send no HTTP.
#[derive(Clone)]
struct NoHttp;

impl ampere_runtime_async::HttpTransport for NoHttp {
    fn send(
        &self,
        _request: ampere_core::action::HttpRequest,
    ) -> BoxFuture<
        'static,
        Result<ampere_core::action::HttpResponse, ampere_core::action::TransportError>,
    > {
        Box::pin(async { unreachable!("the driver tests send no HTTP") })
    }
}

impl Runtime for Fake {
    type Http = NoHttp;

    fn http_client(&self) -> Result<NoHttp, String> {
        Ok(NoHttp)
    }
    fn now(&self) -> Instant {
        world(|w| w.now)
    }
    fn timer(&self, deadline: Instant) -> Pin<Box<dyn AsyncTimer>> {
        world(|w| w.timers_made += 1);
        Box::pin(FakeTimer(deadline))
    }
    fn spawn(&self, future: BoxFuture<'static, ()>) {
        world(|w| w.tasks.push(future));
    }
    fn usable(&self) -> io::Result<()> {
        Ok(())
    }
    fn register(&self, _: std::fs::File) -> io::Result<Pin<Box<dyn ChildFd>>> {
        // The fake world's child has fake pipes (below): nothing is ever registered.
        Err(io::Error::other(
            "the fake runtime registers no descriptors",
        ))
    }
    fn spawn_child(&self, _: Command, stdin: bool) -> io::Result<Child> {
        let (pid, pipes) = world(|w| (w.group.id(), Arc::clone(&w.pipes)));
        let exit = Arc::clone(&pipes);
        Ok(Child {
            pid,
            stdin: stdin.then(|| Box::pin(In(Arc::clone(&pipes))) as _),
            stdout: Some(Box::pin(Out(pipes))),
            stderr: Some(Box::pin(Empty)),
            exit: Box::pin(std::future::poll_fn(move |_| {
                match exit.lock().expect("pipes").exit {
                    Some(code) => Poll::Ready(Ok(ExitStatus::from_raw(code << 8))),
                    None => Poll::Pending,
                }
            })),
        })
    }
}

fn amp(
    configure: impl FnOnce(
        ampere_runtime_async::AmpBuilder<Fake>,
    ) -> ampere_runtime_async::AmpBuilder<Fake>,
) -> Amp<Fake> {
    // Any executable: the fake runtime never runs it.
    configure(Amp::<Fake>::builder().cli_path("/bin/sh")).build()
}

fn line(i: usize, pad: usize) -> Vec<u8> {
    format!(
        "{{\"type\":\"x_filler\",\"i\":{i},\"pad\":\"{}\"}}\n",
        "a".repeat(pad)
    )
    .into_bytes()
}

/// Takes every item ready now.
fn take_ready<S: Stream + Unpin>(stream: &mut S) -> (Vec<S::Item>, bool) {
    let mut cx = Context::from_waker(Waker::noop());
    let mut items = Vec::new();
    loop {
        match Pin::new(&mut *stream).poll_next(&mut cx) {
            Poll::Ready(Some(item)) => items.push(item),
            Poll::Ready(None) => return (items, true),
            Poll::Pending => return (items, false),
        }
    }
}

fn finish_child(pipes: &Arc<Mutex<Pipes>>) {
    let mut p = pipes.lock().expect("pipes");
    p.stdout_closed = true;
    p.exit = Some(0);
}

#[test]
fn reading_pauses_for_a_slow_consumer_and_its_idle_time_does_not_count() {
    let pipes = setup(1 << 20);
    let amp = amp(|b| {
        b.max_buffered_bytes(64 * 1024)
            .idle_timeout(Duration::from_secs(1))
    });
    let mut execution = amp.execute("hi", AmpOptions::default());
    let total = 2000;
    for i in 0..total {
        pipes.lock().expect("pipes").stdout.extend(line(i, 1000));
    }
    for _ in 0..20 {
        run_tasks();
    }
    let left = pipes.lock().expect("pipes").stdout.len();
    assert!(
        left > 1_500_000,
        "reading did not pause: {left} bytes left of ~2 MB"
    );
    // Paused: ten seconds of the consumer's sleep are not the CLI's silence.
    advance(Duration::from_secs(10));
    run_tasks();
    let mut got = 0;
    for _ in 0..10_000 {
        let (items, _) = take_ready(&mut execution);
        for item in &items {
            assert!(item.is_ok(), "{item:?}");
        }
        got += items.len();
        if got == total {
            break;
        }
        run_tasks();
    }
    assert_eq!(got, total, "every line delivered after reading resumed");
    assert_eq!(
        pipes.lock().expect("pipes").stdin,
        b"hi\n",
        "the prompt, then stdin closed"
    );
    finish_child(&pipes);
    run_tasks();
    let (rest, ended) = take_ready(&mut execution);
    assert!(ended && rest.iter().all(|i| i.is_ok()), "{rest:?}");
    drop(execution);
    teardown();
}

/// Counts how many messages the driver pulled from it.
struct Counting(Arc<AtomicUsize>);

impl Stream for Counting {
    type Item = UserInputMessage;
    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<UserInputMessage>> {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        Poll::Ready(Some(create_user_message(format!("turn {n}"))))
    }
}

#[test]
fn a_streamed_prompt_is_pulled_only_when_the_previous_message_is_written() {
    let pipes = setup(0);
    let pulled = Arc::new(AtomicUsize::new(0));
    let amp = amp(|b| b);
    let execution = amp.execute(
        Prompt::stream(Counting(Arc::clone(&pulled))),
        AmpOptions::default(),
    );
    for _ in 0..10 {
        run_tasks();
    }
    assert_eq!(
        pulled.load(Ordering::SeqCst),
        1,
        "one message in flight while the CLI does not read"
    );
    // The CLI reads: stdin has room, and whoever waits for it is woken (as a pipe's
    // readiness does).
    let waiting = {
        let mut p = pipes.lock().expect("pipes");
        p.stdin_room = 1 << 20;
        p.stdin_waker.take()
    };
    waiting.expect("a write waits for room").wake();
    run_tasks();
    let pulled_now = pulled.load(Ordering::SeqCst);
    let written = pipes
        .lock()
        .expect("pipes")
        .stdin
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    assert!(pulled_now > 1, "pulling goes on once writes complete");
    assert!(
        pulled_now - written <= 1,
        "pulled {pulled_now}, written {written}: at most one waits"
    );
    drop(execution);
    teardown();
}

#[test]
fn the_timer_is_armed_once_for_a_fixed_deadline_and_never_without_one() {
    let pipes = setup(1 << 20);
    let execution = amp(|b| b).execute("hi", AmpOptions::default());
    for i in 0..50 {
        pipes.lock().expect("pipes").stdout.extend(line(i, 10));
        run_tasks();
    }
    assert_eq!(
        world(|w| (w.timers_made, w.timer_resets)),
        (0, 0),
        "no deadline, no timer"
    );
    finish_child(&pipes);
    run_tasks();
    drop(execution);
    teardown();

    let pipes = setup(1 << 20);
    let amp = amp(|b| b.overall_timeout(Duration::from_secs(600)));
    let mut execution = amp.execute("hi", AmpOptions::default());
    for i in 0..50 {
        pipes.lock().expect("pipes").stdout.extend(line(i, 10));
        run_tasks();
        take_ready(&mut execution);
    }
    assert_eq!(
        world(|w| (w.timers_made, w.timer_resets)),
        (1, 0),
        "one deadline, armed once"
    );
    finish_child(&pipes);
    run_tasks();
    drop(execution);
    teardown();
}
