//! Behaviour of `AgentRun`, the sans-IO machine around one CLI process, over virtual time.
#![allow(clippy::disallowed_methods)] // one base Instant for virtual time

use std::time::{Duration, Instant};

use ampere_core::message::Message;
use ampere_core::run::{
    signal_name, AgentError, ExitInfo, RunConfig, Signal, TailBuffer, TimeoutKind,
};
use run_shim::{AgentRun, RunOutput};

mod run_shim;

use proptest::prelude::*;

const INIT: &str = r#"{"type":"system","subtype":"init","cwd":"/w","session_id":"T-1","tools":["Bash"],"mcp_servers":[]}"#;
const ASSISTANT: &str = r#"{"type":"assistant","message":{"type":"message","role":"assistant","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn"},"parent_tool_use_id":null,"session_id":"T-1"}"#;
const SUCCESS: &str = r#"{"type":"result","subtype":"success","duration_ms":5,"is_error":false,"num_turns":1,"result":"hi","session_id":"T-1"}"#;
const ERROR_RESULT: &str = r#"{"type":"result","subtype":"error_during_execution","duration_ms":5,"is_error":true,"num_turns":1,"error":"boom","session_id":"T-1"}"#;

/// What a drain of `poll_output` produced, in order.
#[derive(Debug, Default)]
struct Drained {
    messages: Vec<Message>,
    errors: Vec<AgentError>,
    signals: Vec<Signal>,
    finished: Option<Result<(), AgentError>>,
    /// Index into the overall sequence at which `Finished` came.
    order: Vec<&'static str>,
}

fn drain(run: &mut AgentRun, into: &mut Drained) {
    while let Some(out) = run.poll_output() {
        match out {
            RunOutput::Item(Ok(m)) => {
                into.messages.push(m);
                into.order.push("message");
            }
            RunOutput::Item(Err(e)) => {
                into.errors.push(e);
                into.order.push("error");
            }
            RunOutput::Signal(s) => {
                into.signals.push(s);
                into.order.push("signal");
            }
            RunOutput::Finished(r) => {
                assert!(into.finished.is_none(), "Finished came twice");
                into.finished = Some(r);
                into.order.push("finished");
            }
        }
    }
}

fn lines(ls: &[&str]) -> Vec<u8> {
    let mut v = Vec::new();
    for l in ls {
        v.extend_from_slice(l.as_bytes());
        v.push(b'\n');
    }
    v
}

#[test]
fn nonzero_exit_after_success_result_is_not_an_error() {
    let t0 = Instant::now();
    let mut run = AgentRun::new(RunConfig::default(), t0);
    let mut d = Drained::default();
    run.handle_stdout(&lines(&[INIT, ASSISTANT, SUCCESS]), t0);
    drain(&mut run, &mut d);
    assert_eq!(d.messages.len(), 3);
    assert!(d.finished.is_none(), "must not finish before exit and EOF");
    run.handle_stdout_eof(t0);
    run.handle_stderr_eof(t0);
    run.handle_exit(ExitInfo::code(3), t0);
    drain(&mut run, &mut d);
    assert!(matches!(d.finished, Some(Ok(()))), "{:?}", d.finished);
    assert!(run.got_success_result());
    assert_eq!(run.poll_timeout(), None);
    assert!(run.poll_output().is_none());
}

#[test]
fn nonzero_exit_without_success_is_a_process_error_with_stderr_tail() {
    let t0 = Instant::now();
    let mut run = AgentRun::new(RunConfig::default(), t0);
    run.handle_stdout(&lines(&[INIT, ERROR_RESULT]), t0);
    run.handle_stderr(b"warming up\nError: something broke\n");
    run.handle_stdout_eof(t0);
    run.handle_stderr_eof(t0);
    run.handle_exit(ExitInfo::code(1), t0);
    let mut d = Drained::default();
    drain(&mut run, &mut d);
    assert_eq!(d.messages.len(), 2, "messages before the error are kept");
    assert_eq!(d.order, vec!["message", "message", "finished"]);
    match d.finished {
        Some(Err(AgentError::Process {
            exit_code,
            ref signal,
            ref stderr,
        })) => {
            assert_eq!(exit_code, Some(1));
            assert_eq!(*signal, None);
            assert!(stderr.contains("something broke"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let msg = d.finished.unwrap().unwrap_err().to_string();
    assert!(msg.starts_with("Amp CLI exited with code 1: "), "{msg}");
    assert!(msg.contains("Error: something broke"), "{msg}");
}

#[test]
fn killed_by_signal_names_the_signal() {
    let t0 = Instant::now();
    let mut run = AgentRun::new(RunConfig::default(), t0);
    run.handle_stdout(INIT.as_bytes(), t0); // no trailing newline: still decoded at EOF
    run.handle_exit(ExitInfo::signal(9), t0);
    run.handle_stdout_eof(t0);
    run.handle_stderr_eof(t0);
    let mut d = Drained::default();
    drain(&mut run, &mut d);
    assert_eq!(d.messages.len(), 1);
    let err = d.finished.unwrap().unwrap_err();
    assert!(
        matches!(&err, AgentError::Process { signal: Some(s), exit_code: None, .. } if s == "SIGKILL (9)")
    );
    assert_eq!(err.to_string(), "Amp CLI was killed by SIGKILL (9)");
}

#[test]
fn exit_zero_without_result_is_ok_for_the_stream() {
    let t0 = Instant::now();
    let mut run = AgentRun::new(RunConfig::default(), t0);
    run.handle_stdout(&lines(&[INIT]), t0);
    run.handle_stdout_eof(t0);
    run.handle_stderr_eof(t0);
    run.handle_exit(ExitInfo::code(0), t0);
    let mut d = Drained::default();
    drain(&mut run, &mut d);
    assert!(matches!(d.finished, Some(Ok(()))));
}

#[test]
fn overall_timeout_terminates_then_kills_after_grace_and_keeps_messages() {
    let t0 = Instant::now();
    let cfg = RunConfig {
        overall_timeout: Some(Duration::from_secs(10)),
        ..RunConfig::default()
    };
    let mut run = AgentRun::new(cfg, t0);
    let mut d = Drained::default();
    assert_eq!(run.poll_timeout(), Some(t0 + Duration::from_secs(10)));
    run.handle_stdout(&lines(&[INIT, ASSISTANT]), t0 + Duration::from_secs(1));
    drain(&mut run, &mut d);
    // Early timer wake-ups change nothing.
    run.handle_timeout(t0 + Duration::from_secs(9));
    drain(&mut run, &mut d);
    assert!(d.signals.is_empty());
    run.handle_timeout(t0 + Duration::from_secs(10));
    drain(&mut run, &mut d);
    assert_eq!(d.signals, vec![Signal::Terminate]);
    assert_eq!(run.poll_timeout(), Some(t0 + Duration::from_secs(15)));
    // The child ignores SIGTERM.
    run.handle_timeout(t0 + Duration::from_secs(15));
    drain(&mut run, &mut d);
    assert_eq!(d.signals, vec![Signal::Terminate, Signal::Kill]);
    assert_eq!(
        run.poll_timeout(),
        None,
        "nothing left to time after SIGKILL"
    );
    run.handle_stdout_eof(t0 + Duration::from_secs(15));
    run.handle_stderr_eof(t0 + Duration::from_secs(15));
    run.handle_exit(ExitInfo::signal(9), t0 + Duration::from_secs(15));
    drain(&mut run, &mut d);
    assert_eq!(d.messages.len(), 2);
    match d.finished {
        Some(Err(AgentError::Timeout { kind, after })) => {
            assert_eq!(kind, TimeoutKind::Overall);
            assert_eq!(after, Duration::from_secs(10));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn idle_timeout_is_pushed_back_by_stdout_activity() {
    let t0 = Instant::now();
    let s = Duration::from_secs;
    let cfg = RunConfig {
        idle_timeout: Some(s(3)),
        ..RunConfig::default()
    };
    let mut run = AgentRun::new(cfg, t0);
    let mut d = Drained::default();
    run.handle_stdout(b"{\"type\":", t0 + s(2));
    assert_eq!(run.poll_timeout(), Some(t0 + s(5)));
    run.handle_timeout(t0 + s(3));
    drain(&mut run, &mut d);
    assert!(
        d.signals.is_empty(),
        "activity at 2s pushed the deadline to 5s"
    );
    run.handle_stdout(b"\"system\"}\n", t0 + s(4));
    run.handle_timeout(t0 + s(7));
    drain(&mut run, &mut d);
    assert_eq!(d.signals, vec![Signal::Terminate]);
    run.handle_exit(ExitInfo::signal(15), t0 + s(7));
    run.handle_stdout_eof(t0 + s(7));
    run.handle_stderr_eof(t0 + s(7));
    drain(&mut run, &mut d);
    assert!(matches!(
        d.finished,
        Some(Err(AgentError::Timeout {
            kind: TimeoutKind::Idle,
            ..
        }))
    ));
}

#[test]
fn timeout_after_a_success_result_is_not_an_error() {
    let t0 = Instant::now();
    let cfg = RunConfig {
        idle_timeout: Some(Duration::from_secs(1)),
        ..RunConfig::default()
    };
    let mut run = AgentRun::new(cfg, t0);
    let mut d = Drained::default();
    run.handle_stdout(&lines(&[SUCCESS]), t0);
    drain(&mut run, &mut d);
    run.handle_timeout(t0 + Duration::from_secs(1));
    drain(&mut run, &mut d);
    assert_eq!(d.signals, vec![Signal::Terminate]);
    run.handle_exit(ExitInfo::signal(15), t0 + Duration::from_secs(1));
    run.handle_stdout_eof(t0 + Duration::from_secs(1));
    run.handle_stderr_eof(t0 + Duration::from_secs(1));
    drain(&mut run, &mut d);
    assert!(matches!(d.finished, Some(Ok(()))), "{:?}", d.finished);
}

#[test]
fn cancel_terminates_and_reports_cancelled_and_no_kill_after_exit() {
    let t0 = Instant::now();
    let mut run = AgentRun::new(RunConfig::default(), t0);
    let mut d = Drained::default();
    run.cancel(t0);
    run.cancel(t0); // idempotent
    drain(&mut run, &mut d);
    assert_eq!(d.signals, vec![Signal::Terminate]);
    run.handle_exit(ExitInfo::signal(15), t0 + Duration::from_millis(10));
    run.handle_stdout_eof(t0 + Duration::from_millis(10));
    run.handle_stderr_eof(t0 + Duration::from_millis(10));
    run.handle_timeout(t0 + Duration::from_secs(60));
    drain(&mut run, &mut d);
    assert_eq!(d.signals, vec![Signal::Terminate], "no SIGKILL once reaped");
    assert!(matches!(d.finished, Some(Err(AgentError::Cancelled))));
}

#[test]
fn exit_before_stdout_eof_waits_then_finishes_after_drain_grace() {
    let t0 = Instant::now();
    let mut run = AgentRun::new(RunConfig::default(), t0);
    let mut d = Drained::default();
    run.handle_stdout(&lines(&[INIT]), t0);
    run.handle_exit(ExitInfo::code(0), t0);
    drain(&mut run, &mut d);
    assert!(d.finished.is_none(), "stdout may still hold messages");
    assert_eq!(run.poll_timeout(), Some(t0 + Duration::from_secs(2)));
    // More output arrives after the exit (a grandchild, or pipe buffering).
    run.handle_stdout(&lines(&[SUCCESS]), t0 + Duration::from_secs(1));
    run.handle_timeout(t0 + Duration::from_secs(2));
    drain(&mut run, &mut d);
    assert_eq!(d.messages.len(), 2);
    assert!(matches!(d.finished, Some(Ok(()))));
}

#[test]
fn bad_lines_are_reported_in_place_and_decoding_continues() {
    let t0 = Instant::now();
    let mut run = AgentRun::new(RunConfig::default(), t0);
    let mut d = Drained::default();
    run.handle_stdout(&lines(&[INIT, "not json", ASSISTANT]), t0);
    run.handle_stdout_eof(t0);
    run.handle_stderr_eof(t0);
    run.handle_exit(ExitInfo::code(0), t0);
    drain(&mut run, &mut d);
    assert_eq!(d.order, vec!["message", "error", "message", "finished"]);
    match &d.errors[0] {
        AgentError::Decode(e) => assert_eq!(e.line, 2),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn runtime_failure_terminates_and_is_reported() {
    let t0 = Instant::now();
    let mut run = AgentRun::new(RunConfig::default(), t0);
    let mut d = Drained::default();
    let io = std::io::Error::other("disk on fire");
    run.fail_stdin(ampere_core::run::IoFailure::from(&io), t0);
    drain(&mut run, &mut d);
    assert_eq!(d.signals, vec![Signal::Terminate]);
    run.handle_exit(ExitInfo::signal(15), t0);
    run.handle_stdout_eof(t0);
    run.handle_stderr_eof(t0);
    drain(&mut run, &mut d);
    let err = d.finished.unwrap().unwrap_err();
    assert_eq!(
        err.to_string(),
        "writing to the Amp CLI's stdin: disk on fire"
    );
}

#[test]
fn process_error_waits_for_stderr_to_end_so_its_tail_is_complete() {
    let t0 = Instant::now();
    let mut run = AgentRun::new(RunConfig::default(), t0);
    let mut d = Drained::default();
    run.handle_stdout(&lines(&[INIT]), t0);
    run.handle_stdout_eof(t0);
    run.handle_exit(ExitInfo::code(1), t0);
    drain(&mut run, &mut d);
    assert!(d.finished.is_none(), "stderr may still hold the reason");
    run.handle_stderr(b"fatal: the real reason\n");
    run.handle_stderr_eof(t0);
    drain(&mut run, &mut d);
    match d.finished {
        Some(Err(AgentError::Process { ref stderr, .. })) => {
            assert!(stderr.contains("the real reason"), "{stderr}")
        }
        ref other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_pipe_held_open_after_exit_is_given_up_after_the_drain_grace() {
    let t0 = Instant::now();
    let mut run = AgentRun::new(RunConfig::default(), t0);
    let mut d = Drained::default();
    run.handle_stdout_eof(t0);
    run.handle_exit(ExitInfo::code(0), t0);
    drain(&mut run, &mut d);
    assert!(d.finished.is_none());
    assert_eq!(run.poll_timeout(), Some(t0 + Duration::from_secs(2)));
    run.handle_timeout(t0 + Duration::from_secs(2));
    drain(&mut run, &mut d);
    assert!(matches!(d.finished, Some(Ok(()))));
}

#[test]
fn leftover_grandchild_holding_the_pipes_gets_the_group_killed() {
    let t0 = Instant::now();
    let mut run = AgentRun::new(RunConfig::default(), t0);
    let mut d = Drained::default();
    run.handle_stdout(&lines(&[SUCCESS]), t0);
    run.handle_exit(ExitInfo::code(0), t0);
    run.handle_stderr_eof(t0);
    drain(&mut run, &mut d);
    assert!(d.signals.is_empty() && d.finished.is_none());
    run.handle_timeout(t0 + Duration::from_secs(2));
    drain(&mut run, &mut d);
    assert_eq!(d.signals, vec![Signal::Kill]);
    assert_eq!(d.order.last().copied(), Some("finished"));
    assert!(matches!(d.finished, Some(Ok(()))));
}

#[test]
fn signal_names() {
    assert_eq!(signal_name(15), "SIGTERM (15)");
    assert_eq!(signal_name(9), "SIGKILL (9)");
    assert_eq!(signal_name(64), "signal 64");
}

#[test]
fn extreme_timeouts_never_overflow() {
    let t0 = Instant::now();
    let cfg = RunConfig {
        overall_timeout: Some(Duration::MAX),
        idle_timeout: Some(Duration::MAX),
        kill_grace: Duration::MAX,
        exit_drain_grace: Duration::MAX,
        ..RunConfig::default()
    };
    let mut run = AgentRun::new(cfg, t0);
    assert_eq!(
        run.poll_timeout(),
        None,
        "an unreachable deadline is no deadline"
    );
    run.cancel(t0);
    let mut d = Drained::default();
    drain(&mut run, &mut d);
    run.handle_timeout(t0 + Duration::from_secs(1_000_000));
    run.handle_exit(ExitInfo::code(0), t0);
    run.handle_timeout(t0 + Duration::from_secs(1_000_000));
    drain(&mut run, &mut d);
    assert!(
        d.finished.is_none(),
        "an endless drain grace waits for the pipes"
    );
    run.handle_stdout_eof(t0);
    run.handle_stderr_eof(t0);
    drain(&mut run, &mut d);
    assert!(matches!(d.finished, Some(Err(AgentError::Cancelled))));
}

proptest! {
    #[test]
    fn tail_buffer_keeps_exactly_the_last_bytes(
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..50), 0..40),
        limit in 0usize..120,
    ) {
        let mut tail = TailBuffer::new(limit);
        let mut all = Vec::new();
        for c in &chunks {
            tail.push(c);
            all.extend_from_slice(c);
        }
        prop_assert_eq!(tail.total_bytes(), all.len() as u64);
        let expect = &all[all.len().saturating_sub(limit)..];
        let text = tail.to_string_lossy();
        if all.len() <= limit {
            prop_assert_eq!(text, String::from_utf8_lossy(expect).into_owned());
        } else {
            prop_assert!(text.starts_with('…'));
        }
    }

    #[test]
    fn any_interleaving_delivers_every_message_before_finished(
        split in 0usize..400,
        exit_first in any::<bool>(),
        code in -1i32..4,
    ) {
        let t0 = Instant::now();
        let bytes = lines(&[INIT, ASSISTANT, SUCCESS]);
        let split = split.min(bytes.len());
        let mut run = AgentRun::new(RunConfig::default(), t0);
        let mut d = Drained::default();
        run.handle_stdout(&bytes[..split], t0);
        drain(&mut run, &mut d);
        if exit_first {
            run.handle_exit(ExitInfo::code(code), t0);
            drain(&mut run, &mut d);
        }
        run.handle_stdout(&bytes[split..], t0);
        run.handle_stdout_eof(t0);
        run.handle_stderr_eof(t0);
        if !exit_first {
            run.handle_exit(ExitInfo::code(code), t0);
        }
        drain(&mut run, &mut d);
        prop_assert_eq!(d.messages.len(), 3);
        prop_assert_eq!(d.order.last().copied(), Some("finished"));
        prop_assert!(matches!(d.finished, Some(Ok(()))));
    }
}

#[test]
fn command_outcome_trims_stdout_or_reports_the_failure() {
    use ampere_core::run::command_outcome;
    use ampere_core::threads::ThreadCommand;
    let new = ThreadCommand::New { visibility: None };
    let md = ThreadCommand::Markdown {
        thread_id: "T-1".into(),
    };
    let ok = |cmd: &ThreadCommand, out: &[u8]| {
        command_outcome(cmd, ExitInfo::code(0), out, b"", 100).expect("ok")
    };
    assert_eq!(ok(&new, b"  T-123\n"), "T-123");
    assert_eq!(
        ok(
            &new,
            b"https://ampcode.com/threads/T-5f0c6a1e-0b1d-4a77-9d1e-2a3b4c5d6e7f?x=1\n"
        ),
        "T-5f0c6a1e-0b1d-4a77-9d1e-2a3b4c5d6e7f",
        "threads new prints a URL; the id is what the user wants"
    );
    assert_eq!(
        ok(&md, b"# see https://x/threads/T-9\n"),
        "# see https://x/threads/T-9",
        "markdown output is returned as is"
    );
    let err = command_outcome(&md, ExitInfo::code(2), b"", b"error: unknown thread\n", 100)
        .expect_err("failure");
    assert_eq!(
        err.to_string(),
        "Amp CLI exited with code 2: error: unknown thread"
    );
    let err = command_outcome(&md, ExitInfo::signal(9), b"partial", b"", 100).expect_err("killed");
    assert!(matches!(err, AgentError::Process { signal: Some(ref s), .. } if s == "SIGKILL (9)"));
}

#[test]
fn live_stderr_comes_line_by_line_and_bounded() {
    // The machine itself (not the shim): stderr lines are polled, not outputs.
    use ampere_core::run::{Input, RunMode, StdinSetup};
    let t0 = Instant::now();
    let cfg = RunConfig {
        stderr_lines: Some(8),
        ..RunConfig::default()
    };
    let mut run = ampere_core::run::AgentRun::new(cfg, RunMode::Stream, StdinSetup::Closed, t0);
    run.handle_input(Input::Stderr(b"one\r\ntw"), t0);
    assert_eq!(run.poll_stderr_line().as_deref(), Some("one"));
    assert_eq!(run.poll_stderr_line(), None, "a partial line waits");
    run.handle_input(Input::Stderr(b"o\nthis line is too long\nlast"), t0);
    assert_eq!(run.poll_stderr_line().as_deref(), Some("two"));
    assert_eq!(run.poll_stderr_line().as_deref(), Some("this lin…"));
    run.handle_input(Input::StderrEnd(None), t0);
    assert_eq!(run.poll_stderr_line().as_deref(), Some("last"));
    assert_eq!(run.poll_stderr_line(), None);
    assert!(
        run.stderr_tail().contains("too long"),
        "the tail is kept as well"
    );
    let mut off = ampere_core::run::AgentRun::new(
        RunConfig::default(),
        RunMode::Stream,
        StdinSetup::Closed,
        t0,
    );
    off.handle_input(Input::Stderr(b"x\n"), t0);
    assert_eq!(off.poll_stderr_line(), None, "off by default");
}
