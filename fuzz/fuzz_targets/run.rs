//! Fuzzes the run machine: arbitrary stdout/stderr bytes and arbitrary interleavings of every
//! input, under small limits. Checks: no panic; after `Timeout` at `now` the next deadline is
//! later; `Finished` and `RemovePrivateDir` come at most once, the folder first; never two
//! stdin writes in flight; undelivered bytes stay within the bound plus one line plus two
//! reads (the one that crossed the bound, and one in flight when the pause came); a
//! finished run whose items were all taken is ended.
#![no_main]

use std::time::{Duration, Instant};

use ampere_core::decode::DecoderConfig;
use ampere_core::message::create_user_message;
use ampere_core::run::{
    AgentRun, ExitInfo, Input, IoFailure, Output, RunConfig, RunMode, StdinSetup,
};
use ampere_core::threads::ThreadCommand;
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Case {
    max_line_len: u16,
    max_buffered: u16,
    idle_ms: Option<u16>,
    overall_ms: Option<u16>,
    grace_ms: u16,
    max_turns: Option<u8>,
    max_tokens: Option<u16>,
    stderr_lines: Option<u8>,
    command: bool,
    text_prompt: bool,
    steps: Vec<Step>,
}

#[derive(Debug, Arbitrary)]
enum Step {
    Stdout(Vec<u8>),
    StdoutEnd(bool),
    Stderr(Vec<u8>),
    StderrEnd,
    Exit(Option<i32>),
    WaitFailed,
    Written(u8),
    Send(String),
    EndInput,
    Gone,
    Cancel,
    Take(u8),
    Advance(u16),
}

fuzz_target!(|case: Case| {
    let t0 = Instant::now();
    let max_line = usize::from(case.max_line_len);
    let bound = usize::from(case.max_buffered).max(1);
    let config = RunConfig {
        decoder: DecoderConfig { max_line_len: max_line },
        max_buffered_bytes: bound,
        idle_timeout: case.idle_ms.map(|ms| Duration::from_millis(ms.into())),
        overall_timeout: case.overall_ms.map(|ms| Duration::from_millis(ms.into())),
        kill_grace: Duration::from_millis(case.grace_ms.into()),
        exit_drain_grace: Duration::from_millis(case.grace_ms.into()),
        stderr_tail_bytes: 64,
        max_turns: case.max_turns.map(u64::from),
        max_tokens: case.max_tokens.map(u64::from),
        stderr_lines: case.stderr_lines.map(usize::from),
    };
    let mode = if case.command {
        RunMode::Command(ThreadCommand::New { visibility: None })
    } else {
        RunMode::Stream
    };
    let stdin = if case.command {
        StdinSetup::Closed
    } else if case.text_prompt {
        StdinSetup::Text(b"hi\n".to_vec())
    } else {
        StdinSetup::Stream
    };
    let mut run = AgentRun::new(config, mode, stdin, t0);
    let mut now = t0;
    let mut state = Seen::default();
    state.drain(&mut run);
    let mut biggest_read = 0;
    for step in case.steps {
        match step {
            Step::Stdout(bytes) => {
                if state.paused_reads_left != Some(0) {
                    state.paused_reads_left = state.paused_reads_left.map(|k| k - 1);
                    biggest_read = biggest_read.max(bytes.len());
                    run.handle_input(Input::Stdout(&bytes), now);
                }
            }
            Step::StdoutEnd(failed) => {
                let failure = failed.then(|| IoFailure::new(std::io::ErrorKind::Other, "EIO"));
                run.handle_input(Input::StdoutEnd(failure), now);
            }
            Step::Stderr(bytes) => run.handle_input(Input::Stderr(&bytes), now),
            Step::StderrEnd => run.handle_input(Input::StderrEnd(None), now),
            Step::Exit(code) => {
                let exit = match code {
                    Some(code) => ExitInfo::code(code),
                    None => ExitInfo::signal(9),
                };
                run.handle_input(Input::Exited(exit), now);
            }
            Step::WaitFailed => run.handle_input(
                Input::WaitFailed(IoFailure::new(std::io::ErrorKind::Other, "ECHILD")),
                now,
            ),
            Step::Written(how) => {
                if state.in_flight {
                    state.in_flight = false;
                    let result = match how % 3 {
                        0 => Ok(()),
                        1 => Err(IoFailure::new(std::io::ErrorKind::BrokenPipe, "EPIPE")),
                        _ => Err(IoFailure::new(std::io::ErrorKind::WriteZero, "zero")),
                    };
                    run.handle_input(Input::StdinWritten(result), now);
                }
            }
            Step::Send(text) => run.handle_input(Input::Send(create_user_message(text)), now),
            Step::EndInput => run.handle_input(Input::EndInput, now),
            Step::Gone => run.handle_input(Input::ConsumerGone, now),
            Step::Cancel => run.handle_input(Input::Cancel, now),
            Step::Take(n) => {
                for _ in 0..n {
                    let _ = run.poll_item(now);
                    let _ = run.poll_stderr_line();
                }
            }
            Step::Advance(ms) => {
                now += Duration::from_millis(ms.into());
                if state.deadline.is_some_and(|d| d <= now) {
                    run.handle_input(Input::Timeout, now);
                    state.drain(&mut run);
                    assert!(state.deadline.is_none_or(|d| d > now), "deadline did not move");
                }
            }
        }
        state.drain(&mut run);
        // Before the read that crosses the bound, at most the bound (or one partial line,
        // when no item is ready); then that read, and the one in flight when the pause came.
        let limit = bound + max_line + 2 * biggest_read + 1;
        assert!(run.undelivered_bytes() <= limit, "{} > {limit}", run.undelivered_bytes());
    }
    if run.is_finished() {
        while run.poll_item(now).is_some() {}
        assert!(run.is_ended());
    }
});

#[derive(Default)]
struct Seen {
    finished: u32,
    removed: u32,
    in_flight: bool,
    deadline: Option<Instant>,
    paused_reads_left: Option<u32>,
}

impl Seen {
    fn drain(&mut self, run: &mut AgentRun) {
        for _ in 0..10_000 {
            match run.poll_output() {
                Output::Wait(deadline) => {
                    self.deadline = deadline;
                    return;
                }
                Output::Finished => {
                    self.finished += 1;
                    assert_eq!(self.removed, 1, "the folder is removed before Finished");
                }
                Output::RemovePrivateDir => self.removed += 1,
                Output::WriteStdin(_) => {
                    assert!(!self.in_flight, "two writes in flight");
                    self.in_flight = true;
                }
                Output::PauseStdout => self.paused_reads_left = Some(1),
                Output::ResumeStdout => self.paused_reads_left = None,
                Output::Signal(_) | Output::CloseStdin => {}
            }
            assert!(self.finished <= 1 && self.removed <= 1);
        }
        panic!("the machine never said Wait");
    }
}
