//! The cross-runtime scenario suite (`ampere_tests::suite`) run against `ampere-tokio`.
//!
//! One multi-threaded tokio runtime lives for the whole test binary (as in an application);
//! each façade call is a `block_on` on it, so executions are created, read and dropped
//! inside the runtime.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ampere_core::action::{ActionError, ActionRequest};
use ampere_core::options::{AmpOptions, Visibility};
use ampere_core::run::{AgentError, RunSummary};
use ampere_core::threads::MultiplayerSetting;
use ampere_tests::suite::{
    ActionCfg, AmpCfg, Collected, Item, PromptSpec, Runtime, SessionEnd, SessionOutcome,
};
use ampere_tokio::{ActionExecutor, Amp, Prompt};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The `ampere-tokio` façade.
pub struct Tokio;

fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("build the tokio runtime")
    })
}

ampere_tests::suite_builders!(Amp, ActionExecutor, async tokio::time::sleep);

fn prompt(spec: PromptSpec) -> Prompt {
    match spec {
        PromptSpec::Text(t) => Prompt::from(t),
        PromptSpec::Messages(m) => Prompt::stream(futures_util::stream::iter(m)),
    }
}

type Sends = Vec<Result<(), AgentError>>;

/// Sends each turn and reads up to its result; once the stream has ended, turns are still
/// sent (to observe the send's result) but nothing more is read.
async fn drive_turns(
    session: &mut ampere_tokio::Session,
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

impl Runtime for Tokio {
    const NAME: &'static str = "tokio";

    fn execute(cfg: &AmpCfg, spec: PromptSpec, options: AmpOptions) -> Collected {
        rt().block_on(async {
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
        rt().block_on(async {
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
        rt().block_on(async {
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
        rt().block_on(async {
            let started = Instant::now();
            let mut execution = amp(cfg).execute(prompt(spec), options);
            let mut items = Vec::new();
            while items.len() < pause_after {
                match execution.next().await {
                    Some(item) => items.push(item),
                    None => break,
                }
            }
            tokio::time::sleep(pause).await;
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
        rt().block_on(async {
            let started = Instant::now();
            let mut execution = amp(cfg).execute(prompt(spec), options);
            let mut items = Vec::new();
            while let Some(item) = execution.next().await {
                let pause = each(items.len() + 1, &item);
                items.push(item);
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
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
        rt().block_on(async {
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
        rt().block_on(async {
            let started = Instant::now();
            let items: Vec<Item> = ampere_tokio::execute(prompt(spec), options).collect().await;
            Collected {
                items,
                elapsed: started.elapsed(),
            }
        })
    }

    fn execute_concurrently(cfg: &AmpCfg, runs: Vec<(PromptSpec, AmpOptions)>) -> Vec<Collected> {
        let amp = amp(cfg);
        rt().block_on(async move {
            let handles: Vec<_> = runs
                .into_iter()
                .map(|(spec, options)| {
                    let amp = amp.clone();
                    tokio::spawn(async move {
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
                out.push(h.await.expect("execution task panicked"));
            }
            out
        })
    }

    fn run(cfg: &AmpCfg, spec: PromptSpec, options: AmpOptions) -> Result<RunSummary, AgentError> {
        rt().block_on(amp(cfg).run(prompt(spec), options))
    }

    fn session(
        cfg: &AmpCfg,
        options: AmpOptions,
        turns: Vec<String>,
        end: SessionEnd,
    ) -> SessionOutcome {
        rt().block_on(async {
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
        rt().block_on(async {
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
        rt().block_on(async {
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
                    tokio::time::sleep(pause).await;
                }
                if is_result {
                    break;
                }
            }
            (items, session.finish().await)
        })
    }

    fn thread_new(cfg: &AmpCfg, visibility: Option<Visibility>) -> Result<String, AgentError> {
        rt().block_on(amp(cfg).thread_new(visibility))
    }

    fn thread_markdown(cfg: &AmpCfg, thread_id: &str) -> Result<String, AgentError> {
        rt().block_on(amp(cfg).thread_markdown(thread_id))
    }

    fn thread_query<Q: ampere_core::threads::ThreadQuery>(
        cfg: &AmpCfg,
        query: &Q,
    ) -> Result<Q::Output, AgentError> {
        rt().block_on(amp(cfg).thread_query(query))
    }

    fn thread_multiplayer(
        cfg: &AmpCfg,
        thread_id: &str,
        setting: MultiplayerSetting,
    ) -> Result<String, AgentError> {
        rt().block_on(amp(cfg).thread_multiplayer(thread_id, setting))
    }

    fn action<T: DeserializeOwned + Send + 'static>(
        cfg: &ActionCfg,
        request: ActionRequest,
    ) -> Result<T, ActionError> {
        rt().block_on(executor(cfg).execute_request(request))
    }

    fn action_by_name(
        cfg: &ActionCfg,
        action_name: &str,
        params: Value,
    ) -> Result<Value, ActionError> {
        rt().block_on(executor(cfg).execute(action_name, params))
    }

    fn execute_action(action_name: &str, params: Value) -> Result<Value, ActionError> {
        rt().block_on(ampere_tokio::execute_action(action_name, params))
    }

    fn action_executor_debug(cfg: &ActionCfg) -> String {
        format!("{:?}", executor(cfg))
    }

    fn actions_concurrently(
        cfg: &ActionCfg,
        requests: Vec<ActionRequest>,
    ) -> Vec<Result<Value, ActionError>> {
        let executor = executor(cfg);
        rt().block_on(async move {
            let handles: Vec<_> = requests
                .into_iter()
                .map(|request| {
                    let executor = executor.clone();
                    tokio::spawn(async move { executor.execute_request::<Value>(request).await })
                })
                .collect();
            let mut out = Vec::new();
            for h in handles {
                out.push(h.await.expect("action task panicked"));
            }
            out
        })
    }
}

ampere_tests::runtime_suite!(Tokio);
