//! Big and slow output: a 20 MB line, the line-length limit, stderr floods and their bounded
//! tail, byte-by-byte output, a slow consumer.

use super::*;

/// A 20 MiB line arrives intact (checksum) and the stream goes on.
pub fn big_line_20mb<R: Runtime>(s: &Suite) {
    let bytes = 20usize << 20;
    let c = R::execute(
        &s.cfg(),
        directive(StubScenario::BigLine.param("mb", 20), "read it"),
        AmpOptions::new(),
    );
    assert_tags::<R>(
        "big line",
        &c.items,
        &[
            "system/init",
            "user",
            "assistant",
            "user",
            "assistant",
            "result",
        ],
    );
    let big = match &users(&c.items)[1].message.content[..] {
        [ContentBlock::ToolResult {
            content: ToolResultContent::Text(t),
            ..
        }] => t,
        other => panic!(
            "[{}] expected a string tool_result, got {} blocks",
            R::NAME,
            other.len()
        ),
    };
    assert_eq!(big.len(), bytes, "[{}] length of the big content", R::NAME);
    let sum = fnv1a64(big.as_bytes());
    assert_eq!(sum, fnv1a64(big_line_content(bytes).as_bytes()));
    assert_eq!(
        results(&c.items)[0].result,
        format!("big-line bytes={bytes} fnv1a64={sum:016x}")
    );
}

/// 10 MiB of stderr (half before stdout, half while it is written) does not block the
/// run, which succeeds with exactly the echo.
pub fn stderr_flood<R: Runtime>(s: &Suite) {
    let c = R::execute(
        &s.cfg(),
        directive(StubScenario::StderrFlood.param("mb", 10), "flooded"),
        AmpOptions::new(),
    );
    assert_tags::<R>(
        "stderr flood",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    assert_eq!(results(&c.items)[0].result, "flooded");
}

/// The stderr kept for the process error is bounded by `stderr_tail_bytes` (the last
/// bytes, marked as cut).
pub fn stderr_tail_bounded<R: Runtime>(s: &Suite) {
    let cfg = AmpCfg {
        stderr_tail_bytes: Some(16),
        ..s.cfg()
    };
    let c = R::execute(
        &cfg,
        directive(StubScenario::Crash.param("after", 1).param("code", 5), "go"),
        AmpOptions::new(),
    );
    assert_tags::<R>("tail", &c.items, &["system/init", "process"]);
    let full = "amp-stub: simulated crash after 1 lines\n";
    let (code, _, stderr) = expect_process(&c.items[1]);
    assert_eq!(code, Some(5));
    assert_eq!(stderr, format!("…{}", &full[full.len() - 16..]));
}

/// Output written one byte at a time is assembled into the same messages.
pub fn slow_drip<R: Runtime>(s: &Suite) {
    let c = R::execute(
        &s.cfg(),
        directive(
            StubScenario::SlowDrip.param("byte_delay_us", 100),
            "drip drop",
        ),
        AmpOptions::new(),
    );
    assert_tags::<R>(
        "slow drip",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    assert_eq!(assistants(&c.items)[0].text(), "drip drop");
    assert_eq!(results(&c.items)[0].result, "drip drop");
}

/// Bytes keep the idle timer alive even when no line is complete yet: a slow drip (a byte
/// per millisecond, about two seconds in all) under a 0.5 s idle timeout is not idle.
pub fn slow_drip_not_idle<R: Runtime>(s: &Suite) {
    let cfg = AmpCfg {
        idle_timeout: Some(Duration::from_millis(500)),
        ..s.cfg()
    };
    let c = R::execute(
        &cfg,
        directive(StubScenario::SlowDrip.param("byte_delay_us", 1000), "drip"),
        AmpOptions::new(),
    );
    assert_tags::<R>(
        "slow drip, idle timeout",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    assert!(
        c.elapsed > Duration::from_millis(500),
        "[{}] {:?}",
        R::NAME,
        c.elapsed
    );
}

/// A line over `max_line_len` is one `LineTooLong` error and the stream continues.
pub fn max_line_len_small<R: Runtime>(s: &Suite) {
    let cfg = AmpCfg {
        max_line_len: Some(100_000),
        ..s.cfg()
    };
    let c = R::execute(
        &cfg,
        directive(StubScenario::BigLine.param("bytes", 200_000), "too long"),
        AmpOptions::new(),
    );
    assert_tags::<R>(
        "line too long",
        &c.items,
        &[
            "system/init",
            "user",
            "assistant",
            "decode@4:too_long",
            "assistant",
            "result",
        ],
    );
    match &c.items[3] {
        Err(AgentError::Decode(e)) => {
            assert_eq!(e.kind, DecodeErrorKind::LineTooLong { limit: 100_000 })
        }
        other => panic!("{other:?}"),
    }
}

/// A consumer that pauses longer than the idle timeout after the first message: the CLI
/// wrote everything at once and exited, so there is no timeout (the consumer's slowness is
/// not the CLI's silence).
pub fn slow_consumer_no_idle_timeout<R: Runtime>(s: &Suite) {
    let cfg = AmpCfg {
        idle_timeout: Some(Duration::from_secs(1)),
        ..s.cfg()
    };
    let c = R::execute_paused(
        &cfg,
        "patience".into(),
        AmpOptions::new(),
        1,
        Duration::from_secs(2),
    );
    assert_tags::<R>(
        "slow consumer, idle timeout",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
}

/// A consumer that pauses past the overall timeout after the first message: the run had
/// ended well before the deadline, so there is no timeout.
pub fn slow_consumer_no_overall_timeout<R: Runtime>(s: &Suite) {
    let cfg = AmpCfg {
        overall_timeout: Some(Duration::from_secs(1)),
        ..s.cfg()
    };
    let c = R::execute_paused(
        &cfg,
        "patience".into(),
        AmpOptions::new(),
        1,
        Duration::from_secs(2),
    );
    assert_tags::<R>(
        "slow consumer, overall timeout",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
}

/// A slow consumer of a large output (more than a pipe holds, so the CLI blocks writing
/// while nobody reads): pausing past the idle timeout is still not the CLI's silence.
pub fn slow_consumer_backpressure<R: Runtime>(s: &Suite) {
    let cfg = AmpCfg {
        idle_timeout: Some(Duration::from_secs(1)),
        ..s.cfg()
    };
    let c = R::execute_paused(
        &cfg,
        directive(StubScenario::Tools.param("count", 400), "lots of output"),
        AmpOptions::new(),
        1,
        Duration::from_secs(2),
    );
    let (last, _) = c.items.split_last().expect("items");
    assert!(
        c.items.iter().all(Result::is_ok),
        "[{}] a slow consumer got {:?}",
        R::NAME,
        last
    );
    assert_eq!(
        c.items.len(),
        2 + 2 * 400 + 2,
        "[{}] every message",
        R::NAME
    );
}

/// The stderr tail of a process error holds everything the CLI wrote before it exited
/// (stderr is read to its end before the run finishes), checked on a dozen crashes at once
/// to give a race a chance to show.
pub fn stderr_complete_at_exit<R: Runtime>(s: &Suite) {
    let runs = (0..12)
        .map(|i| {
            let spec = if i % 2 == 0 {
                StubScenario::Crash.param("after", 2).param("code", 4)
            } else {
                StubScenario::Crash
                    .param("after", 2)
                    .param("signal", "KILL")
            };
            (directive(spec, "go"), AmpOptions::new())
        })
        .collect();
    for (i, c) in R::execute_concurrently(&s.cfg(), runs).iter().enumerate() {
        assert_tags::<R>(
            &format!("crash {i}"),
            &c.items,
            &["system/init", "user", "process"],
        );
        let (_, _, stderr) = expect_process(&c.items[2]);
        assert_eq!(
            stderr,
            "amp-stub: simulated crash after 2 lines\n",
            "[{}] run {i}: stderr tail incomplete",
            R::NAME
        );
    }
}
