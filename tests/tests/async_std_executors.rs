//! The same adapter under different executors: a representative subset of the agent and
//! action scenarios runs under `smol::block_on`, `async_std::task::block_on` and a bare
//! `futures_lite::future::block_on` (no reactor of its own: async-io's fallback thread
//! drives timers and the pipes of thread commands).

mod async_std_support;

use std::future::Future;
use std::time::{Duration, Instant};

use ampere_async_std::{ActionExecutor, AgentError, AmpOptions, Message, TimeoutKind};
use ampere_tests::mock::{ActionScript, ZampMock};
use async_std_support::*;
use serde_json::{json, Value};

async fn echo_run() {
    let root = scratch();
    let amp = builder(root.path()).build();
    let got = collect(amp.execute("over here", AmpOptions::default())).await;
    assert!(got.errors.is_empty(), "{:?}", got.errors);
    assert_eq!(got.types(), ["system", "user", "assistant", "result"]);
    let summary = amp
        .run(scenario("tools count=2", "x"), AmpOptions::default())
        .await
        .expect("run");
    assert_eq!(summary.tool_calls.len(), 2);
}

async fn crash_keeps_messages() {
    let root = scratch();
    let amp = builder(root.path()).build();
    let got =
        collect(amp.execute(scenario("crash after=3 code=5", "x"), AmpOptions::default())).await;
    assert_eq!(got.messages.len(), 3);
    assert!(matches!(
        got.final_error(),
        Some(AgentError::Process {
            exit_code: Some(5),
            ..
        })
    ));
}

async fn drop_cleans_up() {
    let root = scratch();
    let amp = builder(root.path()).build();
    let mut execution = amp.execute(scenario("hang", "x"), options_with_private_dir());
    let first = within(Instant::now() + PATIENCE, execution.next()).await;
    assert!(matches!(first, Some(Ok(Message::System(_)))));
    let pid = execution.pid().expect("pid");
    drop(execution);
    assert!(eventually(PATIENCE, || !process_exists(pid)));
    assert!(eventually(PATIENCE, || leftovers(root.path()).is_empty()));
}

async fn idle_timeout() {
    let root = scratch();
    let amp = builder(root.path())
        .idle_timeout(Duration::from_millis(300))
        .kill_grace(Duration::from_millis(300))
        .build();
    let got = collect(amp.execute(scenario("hang", "x"), AmpOptions::default())).await;
    assert!(matches!(
        got.final_error(),
        Some(AgentError::Timeout {
            kind: TimeoutKind::Idle,
            ..
        })
    ));
}

async fn session_turns() {
    let root = scratch();
    let amp = builder(root.path()).build();
    let session = amp.session(AmpOptions::default());
    session.send_text("one").await.expect("send");
    session.send_text("two").await.expect("send");
    let summary = within(Instant::now() + PATIENCE, session.finish())
        .await
        .expect("finish");
    assert_eq!(summary.result, "two");
}

async fn thread_new() {
    let root = scratch();
    let amp = builder(root.path()).build();
    let id = amp.thread_new(None).await.expect("thread id");
    assert!(id.starts_with("T-"));
}

async fn actions() {
    let mock = ZampMock::start();
    mock.script(
        "slow",
        ActionScript {
            running_polls: 2,
            ..ActionScript::default()
        },
    );
    mock.script(
        "limited",
        ActionScript {
            create_status: Some(429),
            ..ActionScript::default()
        },
    );
    let exec = ActionExecutor::builder()
        .base_url(mock.base_url())
        .auth_token(mock.token())
        .build();
    let value: Value = exec.execute("slow", json!({})).await.expect("completed");
    assert_eq!(value, json!({"ok": true}));
    let err = exec
        .execute::<Value>("limited", json!({}))
        .await
        .expect_err("429");
    assert_eq!(err.http_status(), Some(429));
}

fn all(block_on: impl Fn(std::pin::Pin<Box<dyn Future<Output = ()>>>)) {
    block_on(Box::pin(echo_run()));
    block_on(Box::pin(crash_keeps_messages()));
    block_on(Box::pin(drop_cleans_up()));
    block_on(Box::pin(idle_timeout()));
    block_on(Box::pin(session_turns()));
    block_on(Box::pin(thread_new()));
    block_on(Box::pin(actions()));
}

#[test]
fn under_smol() {
    all(on_smol);
}

#[test]
fn under_async_std() {
    all(on_async_std);
}

#[test]
fn under_a_bare_block_on() {
    all(futures_lite::future::block_on);
}

#[test]
fn actions_concurrently_on_a_smol_executor() {
    let mock = ZampMock::start();
    mock.set_default(ActionScript {
        running_polls: 1,
        echo_body: true,
        ..ActionScript::default()
    });
    let exec = ActionExecutor::builder()
        .base_url(mock.base_url())
        .auth_token(mock.token())
        .build();
    on_smol(async {
        let tasks: Vec<_> = (0..20u64)
            .map(|i| {
                let exec = exec.clone();
                smol::spawn(async move {
                    exec.execute::<Value>(format!("smol-{i}"), json!({"i": i}))
                        .await
                })
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            let body = task.await.expect("completed");
            assert_eq!(body["params"]["i"], i as u64);
        }
    });
}

/// The adapter stays executor-independent: neither async-std (discontinued) nor tokio is
/// in its normal dependency tree.
#[test]
fn no_async_std_or_tokio_in_the_dependency_tree() {
    let root = ampere_tests::real_cli::workspace_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "tree",
            "-p",
            "ampere-async-std",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(&root)
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(names.contains(&"async-io"), "{tree}");
    for banned in ["async-std", "tokio", "async-global-executor"] {
        assert!(
            !names.contains(&banned),
            "{banned} is a dependency:\n{tree}"
        );
    }
}
