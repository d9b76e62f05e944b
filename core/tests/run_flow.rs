//! `AgentRun`'s inputs and outputs: stdin, backpressure, the consumer going away, thread
//! commands, and the deadline rule, over virtual time.
#![allow(clippy::disallowed_methods)] // one base Instant for virtual time

use std::time::{Duration, Instant};

use ampere_core::message::create_user_message;
use ampere_core::run::{
    AgentError, AgentRun, ExitInfo, Input, IoFailure, Output, RunConfig, RunMode, Signal,
    StdinSetup, TimeoutKind,
};
use ampere_core::threads::ThreadCommand;
use proptest::prelude::*;

const ASSISTANT: &str = r#"{"type":"assistant","message":{"type":"message","role":"assistant","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn"},"parent_tool_use_id":null,"session_id":"T-1"}"#;

/// Every output up to (not including) the `Wait`, and the `Wait`'s deadline.
fn drain(run: &mut AgentRun) -> (Vec<Output>, Option<Instant>) {
    let mut outputs = Vec::new();
    loop {
        match run.poll_output() {
            Output::Wait(deadline) => return (outputs, deadline),
            other => outputs.push(other),
        }
        assert!(outputs.len() < 1000, "the machine never said Wait");
    }
}

fn line(n: usize) -> Vec<u8> {
    // An assistant message padded to about `n` bytes.
    let pad = "x".repeat(n.saturating_sub(ASSISTANT.len()));
    let mut l = ASSISTANT
        .replace("\"hi\"", &format!("\"{pad}\""))
        .into_bytes();
    l.push(b'\n');
    l
}

fn end_process(run: &mut AgentRun, now: Instant) {
    run.handle_input(Input::StdoutEnd(None), now);
    run.handle_input(Input::StderrEnd(None), now);
    run.handle_input(Input::Exited(ExitInfo::code(0)), now);
}

#[test]
fn a_text_prompt_is_written_then_stdin_is_closed() {
    let t0 = Instant::now();
    let mut run = AgentRun::new(
        RunConfig::default(),
        RunMode::Stream,
        StdinSetup::Text(b"hi\n".to_vec()),
        t0,
    );
    assert_eq!(
        drain(&mut run).0,
        vec![Output::WriteStdin(b"hi\n".to_vec())]
    );
    assert!(!run.accepts_input(), "a text prompt takes no messages");
    run.handle_input(Input::StdinWritten(Ok(())), t0);
    assert_eq!(drain(&mut run).0, vec![Output::CloseStdin]);
    end_process(&mut run, t0);
    assert_eq!(
        drain(&mut run).0,
        vec![Output::RemovePrivateDir, Output::Finished]
    );
    assert!(run.is_ended());
}

#[test]
fn messages_are_written_one_at_a_time_and_stdin_closes_after_the_last() {
    let t0 = Instant::now();
    let mut run = AgentRun::new(
        RunConfig::default(),
        RunMode::Stream,
        StdinSetup::Stream,
        t0,
    );
    assert!(drain(&mut run).0.is_empty());
    assert!(run.wants_input());
    run.handle_input(Input::Send(create_user_message("one")), t0);
    run.handle_input(Input::Send(create_user_message("two")), t0);
    run.handle_input(Input::EndInput, t0);
    assert!(!run.accepts_input(), "no message after the end of input");
    let first = drain(&mut run).0;
    assert_eq!(first.len(), 1, "one write in flight: {first:?}");
    assert!(
        matches!(&first[0], Output::WriteStdin(b) if b.ends_with(b"\n") && String::from_utf8_lossy(b).contains("one"))
    );
    run.handle_input(Input::StdinWritten(Ok(())), t0);
    let second = drain(&mut run).0;
    assert!(
        matches!(&second[..], [Output::WriteStdin(b)] if String::from_utf8_lossy(b).contains("two"))
    );
    run.handle_input(Input::StdinWritten(Ok(())), t0);
    assert_eq!(drain(&mut run).0, vec![Output::CloseStdin]);
}

#[test]
fn a_broken_pipe_closes_the_input_quietly_and_other_write_errors_fail_the_run() {
    let t0 = Instant::now();
    let mut run = AgentRun::new(
        RunConfig::default(),
        RunMode::Stream,
        StdinSetup::Stream,
        t0,
    );
    run.handle_input(Input::Send(create_user_message("one")), t0);
    let _ = drain(&mut run);
    let broken = IoFailure::new(std::io::ErrorKind::BrokenPipe, "broken pipe");
    run.handle_input(Input::StdinWritten(Err(broken)), t0);
    assert_eq!(drain(&mut run).0, vec![Output::CloseStdin]);
    assert!(!run.accepts_input());
    end_process(&mut run, t0);
    let _ = drain(&mut run);
    assert!(run.poll_item(t0).is_none(), "no error for a closed pipe");
    assert!(run.is_ended());

    let mut run = AgentRun::new(
        RunConfig::default(),
        RunMode::Stream,
        StdinSetup::Text(b"x\n".to_vec()),
        t0,
    );
    let _ = drain(&mut run);
    let zero = IoFailure::new(std::io::ErrorKind::WriteZero, "write zero");
    run.handle_input(Input::StdinWritten(Err(zero)), t0);
    assert_eq!(
        drain(&mut run).0,
        vec![Output::CloseStdin, Output::Signal(Signal::Terminate)]
    );
    end_process(&mut run, t0);
    let _ = drain(&mut run);
    let error = run.poll_item(t0).expect("the failure").unwrap_err();
    assert_eq!(
        error.to_string(),
        "writing to the Amp CLI's stdin: write zero"
    );
}

#[test]
fn stdout_pauses_at_the_bound_and_resumes_when_the_consumer_catches_up() {
    let t0 = Instant::now();
    let cfg = RunConfig {
        max_buffered_bytes: 10_000,
        idle_timeout: Some(Duration::from_secs(5)),
        ..RunConfig::default()
    };
    let mut run = AgentRun::new(cfg, RunMode::Stream, StdinSetup::Closed, t0);
    let one = line(1000);
    let mut fed = 0;
    while !run.is_paused() {
        run.handle_input(Input::Stdout(&one), t0);
        fed += 1;
        assert!(fed < 100, "never paused");
    }
    assert_eq!(
        drain(&mut run),
        (vec![Output::PauseStdout], None),
        "no idle deadline while paused"
    );
    assert!(run.undelivered_bytes() >= 10_000);
    // Paused for an hour: not silence.
    let later = t0 + Duration::from_secs(3600);
    run.handle_input(Input::Timeout, later);
    assert!(drain(&mut run).0.is_empty(), "no idle timeout while paused");
    let mut taken = 0;
    while run.is_paused() {
        assert!(run.poll_item(later).expect("an item").is_ok());
        taken += 1;
    }
    assert!(
        run.undelivered_bytes() < 5_000,
        "{}",
        run.undelivered_bytes()
    );
    assert!(taken < fed);
    assert_eq!(
        drain(&mut run),
        (
            vec![Output::ResumeStdout],
            Some(later + Duration::from_secs(5))
        ),
        "the idle clock restarts when reading resumes"
    );
}

#[test]
fn one_line_longer_than_the_bound_is_never_paused_on() {
    let t0 = Instant::now();
    let cfg = RunConfig {
        max_buffered_bytes: 1000,
        ..RunConfig::default()
    };
    let mut run = AgentRun::new(cfg, RunMode::Stream, StdinSetup::Closed, t0);
    let big = line(50_000);
    for chunk in big[..big.len() - 1].chunks(4096) {
        run.handle_input(Input::Stdout(chunk), t0);
        assert!(
            !run.is_paused(),
            "an incomplete line gives the consumer nothing to take"
        );
    }
    run.handle_input(Input::Stdout(b"\n"), t0);
    assert!(run.is_paused(), "now a whole line waits");
    assert!(run.poll_item(t0).expect("the line").is_ok());
    assert!(!run.is_paused());
}

#[test]
fn a_dropped_consumer_terminates_at_once_and_removes_the_folder_before_the_exit() {
    let t0 = Instant::now();
    let cfg = RunConfig {
        max_buffered_bytes: 100,
        kill_grace: Duration::from_secs(5),
        ..RunConfig::default()
    };
    let mut run = AgentRun::new(cfg, RunMode::Stream, StdinSetup::Stream, t0);
    run.handle_input(Input::Stdout(&line(500)), t0);
    assert_eq!(drain(&mut run).0, vec![Output::PauseStdout]);
    run.handle_input(Input::ConsumerGone, t0);
    let (outputs, deadline) = drain(&mut run);
    assert_eq!(
        outputs,
        vec![
            Output::ResumeStdout,
            Output::CloseStdin,
            Output::Signal(Signal::Terminate),
            Output::RemovePrivateDir
        ]
    );
    assert_eq!(deadline, Some(t0 + Duration::from_secs(5)));
    assert_eq!(run.undelivered_bytes(), 0, "undelivered items are dropped");
    assert!(run.poll_item(t0).is_none());
    run.handle_input(Input::Timeout, t0 + Duration::from_secs(5));
    assert_eq!(drain(&mut run).0, vec![Output::Signal(Signal::Kill)]);
    end_process(&mut run, t0 + Duration::from_secs(6));
    assert_eq!(
        drain(&mut run).0,
        vec![Output::Finished],
        "the folder is already gone"
    );
    assert!(run.is_ended());
}

#[test]
fn a_thread_command_collects_stdout_and_times_out_like_a_run() {
    let t0 = Instant::now();
    let command = ThreadCommand::New { visibility: None };
    let mut run = AgentRun::new(
        RunConfig::default(),
        RunMode::Command(command.clone()),
        StdinSetup::Closed,
        t0,
    );
    assert!(
        drain(&mut run).0.is_empty(),
        "no stdin output for a null stdin"
    );
    run.handle_input(Input::Stdout(b"https://ampcode.com/threads/T-abc\n"), t0);
    end_process(&mut run, t0);
    let _ = drain(&mut run);
    assert_eq!(run.take_command_outcome(), Some(Ok("T-abc".to_string())));
    assert!(run.poll_item(t0).is_none(), "a command has no stream items");

    let cfg = RunConfig {
        overall_timeout: Some(Duration::from_secs(10)),
        kill_grace: Duration::from_secs(2),
        ..RunConfig::default()
    };
    let mut run = AgentRun::new(cfg, RunMode::Command(command), StdinSetup::Closed, t0);
    assert_eq!(drain(&mut run).1, Some(t0 + Duration::from_secs(10)));
    run.handle_input(Input::Timeout, t0 + Duration::from_secs(10));
    assert_eq!(
        drain(&mut run),
        (
            vec![Output::Signal(Signal::Terminate)],
            Some(t0 + Duration::from_secs(12))
        )
    );
    run.handle_input(Input::Timeout, t0 + Duration::from_secs(12));
    assert_eq!(drain(&mut run).0, vec![Output::Signal(Signal::Kill)]);
    run.handle_input(
        Input::Exited(ExitInfo::signal(9)),
        t0 + Duration::from_secs(12),
    );
    run.handle_input(Input::StdoutEnd(None), t0 + Duration::from_secs(12));
    run.handle_input(Input::StderrEnd(None), t0 + Duration::from_secs(12));
    let _ = drain(&mut run);
    assert!(matches!(
        run.take_command_outcome(),
        Some(Err(AgentError::Timeout {
            kind: TimeoutKind::Overall,
            ..
        }))
    ));
}

#[test]
fn a_typed_thread_query_reads_the_raw_stdout() {
    use ampere_core::threads::{finish_query, ListThreads, ThreadQuery};
    let t0 = Instant::now();
    let query = ListThreads::new().limit(1);
    let mut run = AgentRun::new(
        RunConfig::default(),
        RunMode::Command(query.command()),
        StdinSetup::Closed,
        t0,
    );
    run.handle_input(
        Input::Stdout(b"[{\"id\": \"T-1\", \"messageCount\": 3}]\n"),
        t0,
    );
    end_process(&mut run, t0);
    let _ = drain(&mut run);
    let stdout = run.take_command_stdout();
    assert!(run.take_command_outcome().is_none(), "taken once");
    let threads = match stdout.map(|s| finish_query(&query, s)) {
        Some(Ok(t)) => t,
        other => panic!("{other:?}"),
    };
    assert_eq!(threads.len(), 1);
    assert_eq!(threads[0].message_count, 3);
}

#[test]
fn a_stdout_read_error_or_a_failed_wait_fails_the_run() {
    let t0 = Instant::now();
    let mut run = AgentRun::new(
        RunConfig::default(),
        RunMode::Stream,
        StdinSetup::Closed,
        t0,
    );
    let failure = IoFailure::new(std::io::ErrorKind::Other, "EIO");
    run.handle_input(Input::StdoutEnd(Some(failure)), t0);
    assert_eq!(drain(&mut run).0, vec![Output::Signal(Signal::Terminate)]);
    run.handle_input(Input::StderrEnd(None), t0);
    run.handle_input(Input::Exited(ExitInfo::signal(15)), t0);
    let _ = drain(&mut run);
    let error = run.poll_item(t0).expect("error").unwrap_err();
    assert_eq!(error.to_string(), "reading the Amp CLI's stdout: EIO");

    let mut run = AgentRun::new(
        RunConfig::default(),
        RunMode::Stream,
        StdinSetup::Closed,
        t0,
    );
    run.handle_input(Input::StdoutEnd(None), t0);
    run.handle_input(Input::StderrEnd(None), t0);
    let failure = IoFailure::new(std::io::ErrorKind::Other, "ECHILD");
    run.handle_input(Input::WaitFailed(failure), t0);
    let (outputs, _) = drain(&mut run);
    assert!(
        !outputs.contains(&Output::Signal(Signal::Terminate)),
        "never signal an unknown process: {outputs:?}"
    );
    let error = run.poll_item(t0).expect("error").unwrap_err();
    assert_eq!(error.to_string(), "waiting for the Amp CLI: ECHILD");
}

/// One step of a random scenario.
#[derive(Debug, Clone)]
enum Step {
    Stdout(usize),
    StdoutEnd,
    StderrEnd,
    Exit,
    Written(bool),
    Send,
    EndInput,
    Gone,
    Cancel,
    Take(usize),
    Advance(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (1usize..3000).prop_map(Step::Stdout),
        1 => Just(Step::StdoutEnd),
        1 => Just(Step::StderrEnd),
        1 => Just(Step::Exit),
        2 => any::<bool>().prop_map(Step::Written),
        2 => Just(Step::Send),
        1 => Just(Step::EndInput),
        1 => Just(Step::Gone),
        1 => Just(Step::Cancel),
        3 => (0usize..5).prop_map(Step::Take),
        4 => (0u64..4000).prop_map(Step::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// The runtime can always trust the machine: after `Timeout` at `now` the next deadline
    /// is later than `now`; `Finished` and `RemovePrivateDir` come at most once, in that
    /// order; no write is asked for while one is in flight; undelivered bytes stay within
    /// the bound plus one read plus one line.
    #[test]
    fn the_machine_keeps_its_promises(
        steps in proptest::collection::vec(step(), 1..120),
        bound in 1usize..8000,
        idle in 1u64..3000,
        grace in 0u64..3000,
    ) {
        let t0 = Instant::now();
        let cfg = RunConfig {
            max_buffered_bytes: bound,
            idle_timeout: Some(Duration::from_millis(idle)),
            overall_timeout: Some(Duration::from_millis(20_000)),
            kill_grace: Duration::from_millis(grace),
            exit_drain_grace: Duration::from_millis(grace),
            ..RunConfig::default()
        };
        let mut run = AgentRun::new(cfg, RunMode::Stream, StdinSetup::Stream, t0);
        let mut now = t0;
        let mut finished = 0;
        let mut removed = 0;
        let mut in_flight = false;
        let mut deadline = None;
        // A runtime that was told to pause may still finish one read already under way.
        let mut reads_left: Option<u32> = None;
        let max_line = 3000 + ASSISTANT.len() + 1;
        let mut check = |run: &mut AgentRun, in_flight: &mut bool, deadline: &mut Option<Instant>, paused: &mut Option<u32>| -> Result<(), TestCaseError> {
            loop {
                match run.poll_output() {
                    Output::Wait(d) => { *deadline = d; return Ok(()); }
                    Output::Finished => { finished += 1; prop_assert!(removed == 1, "folder removed before Finished"); }
                    Output::RemovePrivateDir => removed += 1,
                    Output::WriteStdin(_) => { prop_assert!(!*in_flight, "two writes in flight"); *in_flight = true; }
                    Output::PauseStdout => *paused = Some(1),
                    Output::ResumeStdout => *paused = None,
                    _ => {}
                }
                prop_assert!(finished <= 1 && removed <= 1);
            }
        };
        check(&mut run, &mut in_flight, &mut deadline, &mut reads_left)?;
        for s in steps {
            match s {
                Step::Stdout(n) => match reads_left {
                    Some(0) => {}
                    Some(k) => { reads_left = Some(k - 1); run.handle_input(Input::Stdout(&line(n)), now) }
                    None => run.handle_input(Input::Stdout(&line(n)), now),
                },
                Step::StdoutEnd => run.handle_input(Input::StdoutEnd(None), now),
                Step::StderrEnd => run.handle_input(Input::StderrEnd(None), now),
                Step::Exit => run.handle_input(Input::Exited(ExitInfo::code(0)), now),
                Step::Written(ok) => {
                    if in_flight {
                        in_flight = false;
                        let result = if ok { Ok(()) } else { Err(IoFailure::new(std::io::ErrorKind::BrokenPipe, "bp")) };
                        run.handle_input(Input::StdinWritten(result), now);
                    }
                }
                Step::Send => run.handle_input(Input::Send(create_user_message("m")), now),
                Step::EndInput => run.handle_input(Input::EndInput, now),
                Step::Gone => run.handle_input(Input::ConsumerGone, now),
                Step::Cancel => run.handle_input(Input::Cancel, now),
                Step::Take(k) => { for _ in 0..k { let _ = run.poll_item(now); } }
                Step::Advance(ms) => {
                    now += Duration::from_millis(ms);
                    if deadline.is_some_and(|d| d <= now) {
                        run.handle_input(Input::Timeout, now);
                        check(&mut run, &mut in_flight, &mut deadline, &mut reads_left)?;
                        prop_assert!(deadline.is_none_or(|d| d > now), "deadline {:?} not after {:?}", deadline, now);
                    }
                }
            }
            check(&mut run, &mut in_flight, &mut deadline, &mut reads_left)?;
            prop_assert!(run.undelivered_bytes() <= bound + 2 * max_line, "{} > {}", run.undelivered_bytes(), bound);
        }
    }
}

#[test]
fn a_guard_ends_the_run_after_delivering_what_came_and_names_itself() {
    use ampere_core::run::{Guard, GuardTrip, SummaryBuilder};
    let t0 = Instant::now();
    let usage = r#""usage":{"input_tokens":60,"output_tokens":40}"#;
    let turn = ASSISTANT.replace(
        r#""stop_reason":"end_turn""#,
        &format!(r#""stop_reason":"end_turn",{usage}"#),
    );
    let sub = turn.replace(
        r#""parent_tool_use_id":null"#,
        r#""parent_tool_use_id":"t1""#,
    );
    for (cfg, trip) in [
        (
            RunConfig {
                max_turns: Some(2),
                ..RunConfig::default()
            },
            GuardTrip {
                guard: Guard::MaxTurns,
                limit: 2,
                observed: 3,
            },
        ),
        (
            RunConfig {
                max_tokens: Some(450),
                ..RunConfig::default()
            },
            GuardTrip {
                guard: Guard::MaxTokens,
                limit: 450,
                observed: 500,
            },
        ),
    ] {
        let mut run = AgentRun::new(cfg, RunMode::Stream, StdinSetup::Closed, t0);
        let mut bytes = Vec::new();
        // Two main-thread turns, two subagent messages (not turns), then the third turn.
        for l in [&turn, &sub, &turn, &sub, &turn] {
            bytes.extend_from_slice(l.as_bytes());
            bytes.push(b'\n');
        }
        run.handle_input(Input::Stdout(&bytes), t0);
        assert_eq!(
            drain(&mut run).0,
            vec![Output::Signal(Signal::Terminate)],
            "{trip}"
        );
        run.handle_input(Input::Exited(ExitInfo::signal(15)), t0);
        run.handle_input(Input::StdoutEnd(None), t0);
        run.handle_input(Input::StderrEnd(None), t0);
        let _ = drain(&mut run);
        let mut summary = SummaryBuilder::new();
        let mut end = Ok(());
        while let Some(item) = run.poll_item(t0) {
            match item {
                Ok(m) => summary.observe(&m),
                Err(e) => end = Err(e),
            }
        }
        assert_eq!(
            end,
            Err(AgentError::Guard {
                trip,
                summary: None
            })
        );
        match summary.finish_with(end) {
            Err(AgentError::Guard {
                trip: got,
                summary: Some(partial),
            }) => {
                assert_eq!(got, trip);
                assert_eq!(partial.stopped_by, Some(trip));
                assert_eq!(
                    partial.message_count, 5,
                    "everything received was delivered"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    let text = GuardTrip {
        guard: Guard::MaxTurns,
        limit: 2,
        observed: 3,
    }
    .to_string();
    assert_eq!(
        text,
        "the max_turns guard stopped the run: 3 turns observed, limit 2"
    );
}
