//! The cross-runtime scenario suite (`ampere_tests::suite`) run against `ampere-async-std`,
//! each call inside `async_std::task::block_on`.

use std::time::{Duration, Instant};

use ampere_async_std::{ActionExecutor, Amp, Prompt};
use ampere_core::action::{ActionError, ActionRequest};
use ampere_core::options::{AmpOptions, Visibility};
use ampere_core::run::{AgentError, RunSummary};
use ampere_core::threads::MultiplayerSetting;
use ampere_tests::suite::{
    ActionCfg, AmpCfg, Collected, Item, PromptSpec, Runtime, SessionEnd, SessionOutcome,
};
use async_std::task::block_on;
use futures_lite::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The `ampere-async-std` façade.
pub struct AsyncStd;

ampere_tests::suite_builders!(Amp, ActionExecutor, async async_io::Timer::after);

fn prompt(spec: PromptSpec) -> Prompt {
    match spec {
        PromptSpec::Text(t) => Prompt::from(t),
        PromptSpec::Messages(m) => Prompt::stream(futures_lite::stream::iter(m)),
    }
}

type Sends = Vec<Result<(), AgentError>>;

/// Sends each turn and reads up to its result; once the stream has ended, turns are still
/// sent (to observe the send's result) but nothing more is read.
async fn drive_turns(
    session: &mut ampere_async_std::Session,
    turns: &[String],
) -> (Sends, Vec<Item>, bool) {
    let (mut sends, mut items, mut ended) = (Vec::new(), Vec::new(), false);
    for turn in turns {
        let sent = session.send_text(turn).await;
        let ok = sent.is_ok();
        sends.push(sent);
        if !ok || ended {
            continue;
        }
        loop {
            match session.next().await {
                Some(item) => {
                    let is_result = matches!(&item, Ok(m) if m.is_result());
                    items.push(item);
                    if is_result {
                        break;
                    }
                }
                None => {
                    ended = true;
                    break;
                }
            }
        }
    }
    (sends, items, ended)
}

impl Runtime for AsyncStd {
    const NAME: &'static str = "async-std";

    fn execute(cfg: &AmpCfg, spec: PromptSpec, options: AmpOptions) -> Collected {
        block_on(async {
            let started = Instant::now();
            let items: Vec<Item> = amp(cfg).execute(prompt(spec), options).collect().await;
            Collected {
                items,
                elapsed: started.elapsed(),
            }
        })
    }

    fn execute_then_drop(
        cfg: &AmpCfg,
        spec: PromptSpec,
        options: AmpOptions,
        after: usize,
        while_alive: &mut dyn FnMut(&[Item]),
    ) -> Vec<Item> {
        block_on(async {
            let mut execution = amp(cfg).execute(prompt(spec), options);
            let mut items = Vec::new();
            while items.len() < after {
                match execution.next().await {
                    Some(item) => items.push(item),
                    None => break,
                }
            }
            while_alive(&items);
            drop(execution);
            items
        })
    }

    fn execute_then_cancel(
        cfg: &AmpCfg,
        spec: PromptSpec,
        options: AmpOptions,
        after: usize,
        while_alive: &mut dyn FnMut(&[Item]),
    ) -> Vec<Item> {
        block_on(async {
            let mut execution = amp(cfg).execute(prompt(spec), options);
            let mut items = Vec::new();
            while items.len() < after {
                match execution.next().await {
                    Some(item) => items.push(item),
                    None => break,
                }
            }
            while_alive(&items);
            execution.cancel().await;
            items
        })
    }

    fn execute_paused(
        cfg: &AmpCfg,
        spec: PromptSpec,
        options: AmpOptions,
        pause_after: usize,
        pause: Duration,
    ) -> Collected {
        block_on(async {
            let started = Instant::now();
            let mut execution = amp(cfg).execute(prompt(spec), options);
            let mut items = Vec::new();
            while items.len() < pause_after {
                match execution.next().await {
                    Some(item) => items.push(item),
                    None => break,
                }
            }
            async_std::task::sleep(pause).await;
            while let Some(item) = execution.next().await {
                items.push(item);
            }
            Collected {
                items,
                elapsed: started.elapsed(),
            }
        })
    }

    fn execute_each(
        cfg: &AmpCfg,
        spec: PromptSpec,
        options: AmpOptions,
        each: &mut dyn FnMut(usize, &Item) -> Duration,
    ) -> Collected {
        block_on(async {
            let started = Instant::now();
            let mut execution = amp(cfg).execute(prompt(spec), options);
            let mut items = Vec::new();
            while let Some(item) = execution.next().await {
                let pause = each(items.len() + 1, &item);
                items.push(item);
                if !pause.is_zero() {
                    async_std::task::sleep(pause).await;
                }
            }
            Collected {
                items,
                elapsed: started.elapsed(),
            }
        })
    }

    fn execute_past_end(
        cfg: &AmpCfg,
        spec: PromptSpec,
        options: AmpOptions,
    ) -> (Vec<Item>, Vec<Option<Item>>) {
        block_on(async {
            let mut execution = amp(cfg).execute(prompt(spec), options);
            let mut items = Vec::new();
            while let Some(item) = execution.next().await {
                items.push(item);
            }
            let after = vec![execution.next().await, execution.next().await];
            (items, after)
        })
    }

    fn execute_default(spec: PromptSpec, options: AmpOptions) -> Collected {
        block_on(async {
            let started = Instant::now();
            let items: Vec<Item> = ampere_async_std::execute(prompt(spec), options)
                .collect()
                .await;
            Collected {
                items,
                elapsed: started.elapsed(),
            }
        })
    }

    fn execute_concurrently(cfg: &AmpCfg, runs: Vec<(PromptSpec, AmpOptions)>) -> Vec<Collected> {
        let amp = amp(cfg);
        block_on(async move {
            let handles: Vec<_> = runs
                .into_iter()
                .map(|(spec, options)| {
                    let amp = amp.clone();
                    async_std::task::spawn(async move {
                        let started = Instant::now();
                        let items: Vec<Item> = amp.execute(prompt(spec), options).collect().await;
                        Collected {
                            items,
                            elapsed: started.elapsed(),
                        }
                    })
                })
                .collect();
            let mut out = Vec::new();
            for h in handles {
                out.push(h.await);
            }
            out
        })
    }

    fn run(cfg: &AmpCfg, spec: PromptSpec, options: AmpOptions) -> Result<RunSummary, AgentError> {
        block_on(amp(cfg).run(prompt(spec), options))
    }

    fn session(
        cfg: &AmpCfg,
        options: AmpOptions,
        turns: Vec<String>,
        end: SessionEnd,
    ) -> SessionOutcome {
        block_on(async {
            let mut session = amp(cfg).session(options);
            let (sends, mut items, ended) = drive_turns(&mut session, &turns).await;
            match end {
                SessionEnd::Finish => SessionOutcome {
                    sends,
                    items,
                    summary: Some(session.finish().await),
                },
                SessionEnd::CloseAndDrain => {
                    session.close_input();
                    if !ended {
                        while let Some(item) = session.next().await {
                            items.push(item);
                        }
                    }
                    SessionOutcome {
                        sends,
                        items,
                        summary: None,
                    }
                }
            }
        })
    }

    fn session_then_drop(
        cfg: &AmpCfg,
        options: AmpOptions,
        turns: Vec<String>,
        while_alive: &mut dyn FnMut(&[Item]),
    ) -> Vec<Item> {
        block_on(async {
            let mut session = amp(cfg).session(options);
            let (_, items, _) = drive_turns(&mut session, &turns).await;
            while_alive(&items);
            drop(session);
            items
        })
    }

    fn session_each(
        cfg: &AmpCfg,
        options: AmpOptions,
        turn: String,
        each: &mut dyn FnMut(usize, &Item) -> Duration,
    ) -> (Vec<Item>, Result<RunSummary, AgentError>) {
        block_on(async {
            let mut session = amp(cfg).session(options);
            let mut items = Vec::new();
            if let Err(e) = session.send_text(&turn).await {
                return (items, Err(e));
            }
            while let Some(item) = session.next().await {
                let is_result = matches!(&item, Ok(m) if m.is_result());
                let pause = each(items.len() + 1, &item);
                items.push(item);
                if !pause.is_zero() {
                    async_std::task::sleep(pause).await;
                }
                if is_result {
                    break;
                }
            }
            (items, session.finish().await)
        })
    }

    fn thread_new(cfg: &AmpCfg, visibility: Option<Visibility>) -> Result<String, AgentError> {
        block_on(amp(cfg).thread_new(visibility))
    }

    fn thread_markdown(cfg: &AmpCfg, thread_id: &str) -> Result<String, AgentError> {
        block_on(amp(cfg).thread_markdown(thread_id))
    }

    fn thread_query<Q: ampere_core::threads::ThreadQuery>(
        cfg: &AmpCfg,
        query: &Q,
    ) -> Result<Q::Output, AgentError> {
        block_on(amp(cfg).thread_query(query))
    }

    fn thread_multiplayer(
        cfg: &AmpCfg,
        thread_id: &str,
        setting: MultiplayerSetting,
    ) -> Result<String, AgentError> {
        block_on(amp(cfg).thread_multiplayer(thread_id, setting))
    }

    fn action<T: DeserializeOwned + Send + 'static>(
        cfg: &ActionCfg,
        request: ActionRequest,
    ) -> Result<T, ActionError> {
        block_on(executor(cfg).execute_request(request))
    }

    fn action_by_name(
        cfg: &ActionCfg,
        action_name: &str,
        params: Value,
    ) -> Result<Value, ActionError> {
        block_on(executor(cfg).execute(action_name, params))
    }

    fn execute_action(action_name: &str, params: Value) -> Result<Value, ActionError> {
        block_on(ampere_async_std::execute_action(action_name, params))
    }

    fn action_executor_debug(cfg: &ActionCfg) -> String {
        format!("{:?}", executor(cfg))
    }

    fn actions_concurrently(
        cfg: &ActionCfg,
        requests: Vec<ActionRequest>,
    ) -> Vec<Result<Value, ActionError>> {
        let executor = executor(cfg);
        block_on(futures_util::future::join_all(requests.into_iter().map(
            |request| {
                let executor = executor.clone();
                async move { executor.execute_request::<Value>(request).await }
            },
        )))
    }
}

ampere_tests::runtime_suite!(AsyncStd);
