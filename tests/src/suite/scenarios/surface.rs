//! Issue 12 under every runtime: run guards, live stderr, and bad input named before anything
//! is spawned.

use std::path::PathBuf;

use ampere_core::options::AmpOptions;
use ampere_core::run::{AgentError, Guard, GuardTrip};

use crate::stub::scenario::{Scenario, StubScenario};
use crate::suite::{tags, AmpCfg, PromptSpec, Runtime, Scratch, StderrLines, Suite};

fn directive(scenario: impl Into<Scenario>, text: &str) -> PromptSpec {
    PromptSpec::Text(scenario.into().directive(text))
}

/// `max_turns`: the run ends after the turn that went past the limit, everything received
/// delivered first, with an error naming the guard, its limit and the value observed; `run`
/// gives the partial summary that says which guard fired.
pub fn guard_max_turns<R: Runtime>(s: &Suite) {
    let cfg = AmpCfg {
        max_turns: Some(2),
        ..s.cfg()
    };
    let prompt = || directive(StubScenario::Multi.param("turns", 6), "count");
    let c = R::execute(&cfg, prompt(), AmpOptions::new());
    let trip = GuardTrip {
        guard: Guard::MaxTurns,
        limit: 2,
        observed: 3,
    };
    let got = tags(&c.items);
    assert!(
        got.len() >= 6
            && got[..5] == ["system/init", "user", "assistant", "assistant", "assistant"],
        "[{}] {got:?}",
        R::NAME
    );
    assert_eq!(
        c.items.last().and_then(|i| i.as_ref().err()),
        Some(&AgentError::Guard {
            trip,
            summary: None
        }),
        "[{}]",
        R::NAME
    );
    match R::run(&cfg, prompt(), AmpOptions::new()) {
        Err(AgentError::Guard {
            trip: got,
            summary: Some(summary),
        }) => {
            assert_eq!(got, trip, "[{}]", R::NAME);
            assert_eq!(summary.stopped_by, Some(trip), "[{}]", R::NAME);
            assert!(summary.message_count >= 5, "[{}] {summary:?}", R::NAME);
        }
        other => panic!("[{}] {other:?}", R::NAME),
    }
}

/// `max_tokens`: counted from the assistant messages' usage as they arrive.
pub fn guard_max_tokens<R: Runtime>(s: &Suite) {
    let cfg = AmpCfg {
        max_tokens: Some(10),
        ..s.cfg()
    };
    let c = R::execute(
        &cfg,
        directive(StubScenario::Multi.param("turns", 6), "count"),
        AmpOptions::new(),
    );
    match c.items.last() {
        Some(Err(AgentError::Guard {
            trip:
                GuardTrip {
                    guard: Guard::MaxTokens,
                    limit: 10,
                    observed,
                },
            ..
        })) => assert!(*observed > 10, "[{}] {observed}", R::NAME),
        other => panic!("[{}] {other:?} in {:?}", R::NAME, tags(&c.items)),
    }
}

/// Live stderr: each line of the CLI's stderr reaches the `on_stderr` callback as it comes,
/// and the process error still carries the tail.
pub fn live_stderr_lines<R: Runtime>(s: &Suite) {
    let lines = StderrLines::default();
    let cfg = AmpCfg {
        on_stderr: Some(lines.clone()),
        ..s.cfg()
    };
    let c = R::execute(
        &cfg,
        directive(StubScenario::Crash.param("after", 2).param("code", 3), "go"),
        AmpOptions::new(),
    );
    assert!(
        matches!(c.items.last(), Some(Err(AgentError::Process { .. }))),
        "[{}] {:?}",
        R::NAME,
        tags(&c.items)
    );
    let got = lines.take();
    assert!(
        got.iter()
            .any(|l| l == "amp-stub: simulated crash after 2 lines"),
        "[{}] live lines {got:?}",
        R::NAME
    );
    assert!(
        got.iter().all(|l| !l.contains('\n')),
        "[{}] one line each",
        R::NAME
    );
}

/// The run goes on while the consumer has not polled yet: the prompt is written, the CLI
/// runs, and its stderr reaches the live callback during the consumer's pause (a crash
/// after 2 lines, which prints its reason to stderr), long before the consumer's first
/// poll; every message is still there after the pause.
pub fn runs_before_the_first_poll<R: Runtime>(s: &Suite) {
    let lines = StderrLines::default();
    let cfg = AmpCfg {
        on_stderr: Some(lines.clone()),
        ..s.cfg()
    };
    let pause = std::time::Duration::from_secs(2);
    let started = std::time::Instant::now();
    let prompt = directive(StubScenario::Crash.param("after", 2).param("code", 3), "go");
    let c = R::execute_paused(&cfg, prompt, AmpOptions::new(), 0, pause);
    let first = lines.first_at().expect("a live stderr line");
    assert!(
        first.duration_since(started) < pause / 2,
        "[{}] the stderr line came {:?} after the start, with the consumer away for {pause:?}",
        R::NAME,
        first.duration_since(started)
    );
    assert_eq!(
        tags(&c.items[..c.items.len().saturating_sub(1)]),
        ["system/init", "user"],
        "[{}] every message kept",
        R::NAME
    );
    assert!(
        matches!(c.items.last(), Some(Err(AgentError::Process { .. }))),
        "[{}] {:?}",
        R::NAME,
        tags(&c.items)
    );
}

/// Bad input is an error that names the problem, before anything is spawned.
pub fn bad_input_named_before_spawn<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let missing = PathBuf::from("/nonexistent/ampere/folder");
    let cases: Vec<(PromptSpec, AmpOptions, &str, &str)> = vec![
        (
            "  ".into(),
            AmpOptions::new(),
            "prompt",
            "must not be empty",
        ),
        ("a\0b".into(), AmpOptions::new(), "prompt", "NUL"),
        (
            "x".into(),
            AmpOptions::new().title("a\nb"),
            "title",
            "one line",
        ),
        ("x".into(), AmpOptions::new().title("a\0b"), "title", "NUL"),
        (
            "x".into(),
            AmpOptions::new().cwd(&missing),
            "cwd",
            "/nonexistent/ampere/folder",
        ),
    ];
    for (prompt, options, field, text) in cases {
        let c = R::execute(&s.cfg(), prompt, scratch.recorded(options));
        match &c.items[..] {
            [Err(AgentError::Validation(v))] => {
                assert_eq!(v.field, field, "[{}] {v}", R::NAME);
                assert!(v.to_string().contains(text), "[{}] {v}", R::NAME);
            }
            other => panic!("[{}] {field}: {other:?}", R::NAME),
        }
        assert!(
            scratch.record().is_none(),
            "[{}] {field}: nothing spawned",
            R::NAME
        );
    }
}

/// Typed thread management: list, search and rename through `Amp::thread_query` against the
/// stub (which answers in the CLI's shapes); a bad thread id is named before anything runs.
pub fn thread_queries_typed<R: Runtime>(s: &Suite) {
    use ampere_core::threads::{ListThreads, RenameThread, SearchThreads};
    let cfg = s.cfg();
    let threads = R::thread_query(&cfg, &ListThreads::new().limit(5))
        .unwrap_or_else(|e| panic!("[{}] list: {e}", R::NAME));
    assert!(
        threads.iter().all(|t| t.id.starts_with("T-")),
        "[{}] {threads:?}",
        R::NAME
    );
    let search = SearchThreads {
        query: "auth".into(),
        limit: Some(3),
        offset: None,
    };
    let hits =
        R::thread_query(&cfg, &search).unwrap_or_else(|e| panic!("[{}] search: {e}", R::NAME));
    assert!(hits.len() <= 3, "[{}] {hits:?}", R::NAME);
    let id = "T-0199a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b";
    let renamed = R::thread_query(
        &cfg,
        &RenameThread {
            thread_id: id.into(),
            name: "New name".into(),
        },
    );
    assert!(renamed.is_ok(), "[{}] rename: {renamed:?}", R::NAME);
    let bad = R::thread_query(
        &cfg,
        &RenameThread {
            thread_id: "not a thread".into(),
            name: "x".into(),
        },
    );
    assert!(
        matches!(bad, Err(AgentError::Validation(_))),
        "[{}] {bad:?}",
        R::NAME
    );
}
