//! `ampere-demo`: ampere end to end, fully offline, no account needed.
//!
//! ```text
//! cargo run -p ampere-tests --bin ampere-demo
//! ```
//!
//! 1. The agent: runs the Amp agent through `ampere-tokio` with a progress view (tools,
//!    assistant text, tool calls and their results, final usage / turns / duration). The
//!    "CLI" is this very program: it re-executes itself with `AMPERE_ACT_AS=amp-stub` and
//!    plays the stand-in CLI (`ampere_tests::stub`), which speaks the real stream-JSON
//!    protocol.
//! 2. An action: starts the Zamp mock platform in-process (real HTTP on 127.0.0.1) and runs
//!    an action that stays `RUNNING` for a few polls, showing what the platform sees and
//!    the result.
//!
//! Exits 0 on success, non-zero with a message on failure.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use ampere_tests::mock::{ActionScript, Outcome, ZampMock};
use ampere_tests::stub::scenario::StubScenario;
use ampere_tests::stub::{maybe_run_as_stub, ACT_AS_ENV};
use ampere_tokio::{
    ActionExecutor, ActionRequest, Amp, AmpOptions, ContentBlock, Message, RetryPolicy,
};
use serde_json::json;

fn main() -> ExitCode {
    // When re-executed as the stand-in CLI, become it (this never returns then).
    maybe_run_as_stub();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ampere-demo: cannot start the Tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(demo()) {
        Ok(()) => {
            println!();
            println!("ampere-demo: all done.");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!();
            eprintln!("ampere-demo: FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn demo() -> Result<(), String> {
    agent().await?;
    println!();
    action().await
}

/// Shortens `text` to one line of at most `max` characters.
fn short(text: &str, max: usize) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        line
    } else {
        let cut: String = line.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

async fn agent() -> Result<(), String> {
    println!("== 1. The Amp agent (ampere-tokio driving a stand-in CLI) ==");
    let me = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let amp = Amp::builder()
        .cli_path(me)
        .overall_timeout(Duration::from_secs(120))
        .idle_timeout(Duration::from_secs(60))
        .build();
    let options = AmpOptions::default()
        .env(ACT_AS_ENV, "amp-stub")
        .labels(["demo"])
        .dangerously_allow_all(true);
    let task = "Find the tests in this project and run them";
    let prompt = StubScenario::Tools
        .param("count", 3)
        .param("delay_ms", 120)
        .directive(task);
    println!("> prompt: {}", short(task, 80));

    let started = Instant::now();
    let mut execution = amp.execute(prompt, options);
    if let Some(pid) = execution.pid() {
        println!("  (CLI started, pid {pid})");
    }
    let mut got_result = false;
    while let Some(item) = execution.next().await {
        let message = match item {
            Ok(message) => message,
            Err(error) => return Err(format!("the agent failed: {error}")),
        };
        let t = format!("[{:>5.2}s]", started.elapsed().as_secs_f64());
        match &message {
            Message::System(init) if init.is_init() => {
                let mut tools = init.tools.clone();
                tools.truncate(6);
                println!(
                    "{t} session {} in {}: {} tools ({}, ...)",
                    init.session_id,
                    init.cwd,
                    init.tools.len(),
                    tools.join(", ")
                );
            }
            Message::Assistant(assistant) => {
                for block in &assistant.message.content {
                    match block {
                        ContentBlock::Text { text } => {
                            println!("{t} assistant: {}", short(text, 90))
                        }
                        ContentBlock::ToolUse { name, input, .. } => {
                            println!("{t} tool use: {name} {}", short(&input.to_string(), 70))
                        }
                        ContentBlock::Thinking { .. } => println!("{t} (thinking)"),
                        _ => {}
                    }
                }
            }
            Message::User(user) => {
                for block in &user.message.content {
                    if let ContentBlock::ToolResult {
                        content, is_error, ..
                    } = block
                    {
                        let mark = if *is_error { "error" } else { "ok" };
                        println!("{t}   -> {mark}: {}", short(&content.text(), 80));
                    }
                }
            }
            Message::Result(result) => {
                got_result = true;
                let usage = result.usage.clone().unwrap_or_default();
                println!("{t} result: {}", short(&result.result, 90));
                println!(
                    "        turns: {}, duration: {} ms, tokens: {} in, {} out, {} cache read, {} cache write",
                    result.num_turns,
                    result.duration_ms,
                    usage.input_tokens,
                    usage.output_tokens,
                    usage.cache_read_input_tokens,
                    usage.cache_creation_input_tokens
                );
            }
            Message::ErrorResult(error) => {
                return Err(format!("the agent reported an error: {}", error.error))
            }
            _ => println!("{t} ({} message)", message.message_type()),
        }
    }
    if !got_result {
        return Err("the agent ended without a result".into());
    }
    println!("  (CLI exited, everything cleaned up)");
    Ok(())
}

async fn action() -> Result<(), String> {
    println!("== 2. A Zamp platform action (ampere-tokio against an in-process mock) ==");
    let mock = ZampMock::start_with(Default::default())
        .map_err(|e| format!("cannot start the mock platform: {e}"))?;
    mock.script(
        "send_invoice",
        ActionScript {
            running_polls: 3,
            outcome: Outcome::Completed(Some(
                json!({"invoice_id": "inv_123", "status": "sent", "amount": {"value": 1250, "currency": "EUR"}}),
            )),
            ..ActionScript::default()
        },
    );
    println!("  mock platform at {}", mock.base_url());
    let executor = ActionExecutor::builder()
        .base_url(mock.base_url())
        .auth_token(mock.token())
        .build();
    let request = ActionRequest::new("send_invoice", json!({"invoice_id": "inv_123"}))
        .summary("Send the March invoice")
        .retry_policy(RetryPolicy {
            maximum_attempts: 3,
            ..RetryPolicy::default()
        });
    println!("> action: send_invoice {{\"invoice_id\": \"inv_123\"}}");

    let started = Instant::now();
    let call =
        tokio::spawn(async move { executor.execute_request::<serde_json::Value>(request).await });
    // Show what the platform sees while the action runs.
    let mut shown = 0;
    let mut polls: u32 = 0;
    let outcome = loop {
        let finished = call.is_finished();
        let requests = mock.requests();
        for r in &requests[shown..] {
            let what = if r.method == "POST" {
                "create".to_string()
            } else {
                polls += 1;
                format!("poll #{polls}")
            };
            println!(
                "[{:>5.2}s] platform: {} {} -> HTTP {} ({what})",
                started.elapsed().as_secs_f64(),
                r.method,
                r.path,
                r.status
            );
        }
        shown = requests.len();
        if finished {
            break call
                .await
                .map_err(|e| format!("the action task failed: {e}"))?;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let result = outcome.map_err(|e| format!("the action failed: {e}"))?;
    println!(
        "[{:>5.2}s] completed after {polls} polls (the first {} answered RUNNING)",
        started.elapsed().as_secs_f64(),
        polls.saturating_sub(1)
    );
    println!("        result: {result}");
    if polls < 2 {
        return Err(format!("expected several polls, saw {polls}"));
    }
    Ok(())
}
