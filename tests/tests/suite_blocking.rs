//! The cross-runtime scenario suite (`ampere_tests::suite`) run against `ampere-blocking`.
//!
//! The façade calls the blocking API directly; concurrency for actions is one thread per
//! request sharing one (cloned) executor.

use std::time::{Duration, Instant};

use ampere_blocking::{ActionExecutor, Amp, Prompt, Session};
use ampere_core::action::{ActionError, ActionRequest};
use ampere_core::options::{AmpOptions, Visibility};
use ampere_core::run::{AgentError, RunSummary};
use ampere_core::threads::MultiplayerSetting;
use ampere_tests::suite::{
    ActionCfg, AmpCfg, Collected, Item, PromptSpec, Runtime, SessionEnd, SessionOutcome,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The `ampere-blocking` façade.
pub struct Blocking;

ampere_tests::suite_builders!(Amp, ActionExecutor);

fn prompt(spec: PromptSpec) -> Prompt {
    match spec {
        PromptSpec::Text(t) => Prompt::from(t),
        PromptSpec::Messages(m) => Prompt::messages(m),
    }
}

type Sends = Vec<Result<(), AgentError>>;

/// Sends each turn and reads up to its result; once the stream has ended, turns are still
/// sent (to observe the send's result) but nothing more is read.
fn drive_turns(session: &mut Session, turns: &[String]) -> (Sends, Vec<Item>, bool) {
    let (mut sends, mut items, mut ended) = (Vec::new(), Vec::new(), false);
    for turn in turns {
        let sent = session.send_text(turn);
        let ok = sent.is_ok();
        sends.push(sent);
        if !ok || ended {
            continue;
        }
        loop {
            match session.next() {
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

impl Runtime for Blocking {
    const NAME: &'static str = "blocking";

    fn execute(cfg: &AmpCfg, spec: PromptSpec, options: AmpOptions) -> Collected {
        let started = Instant::now();
        let items: Vec<Item> = amp(cfg).execute(prompt(spec), options).collect();
        Collected {
            items,
            elapsed: started.elapsed(),
        }
    }

    fn execute_then_drop(
        cfg: &AmpCfg,
        spec: PromptSpec,
        options: AmpOptions,
        after: usize,
        while_alive: &mut dyn FnMut(&[Item]),
    ) -> Vec<Item> {
        let mut execution = amp(cfg).execute(prompt(spec), options);
        let items: Vec<Item> = execution.by_ref().take(after).collect();
        while_alive(&items);
        drop(execution);
        items
    }

    fn execute_then_cancel(
        cfg: &AmpCfg,
        spec: PromptSpec,
        options: AmpOptions,
        after: usize,
        while_alive: &mut dyn FnMut(&[Item]),
    ) -> Vec<Item> {
        let mut execution = amp(cfg).execute(prompt(spec), options);
        let items: Vec<Item> = execution.by_ref().take(after).collect();
        while_alive(&items);
        execution.cancel();
        items
    }

    fn execute_paused(
        cfg: &AmpCfg,
        spec: PromptSpec,
        options: AmpOptions,
        pause_after: usize,
        pause: Duration,
    ) -> Collected {
        let started = Instant::now();
        let mut execution = amp(cfg).execute(prompt(spec), options);
        let mut items: Vec<Item> = execution.by_ref().take(pause_after).collect();
        std::thread::sleep(pause);
        items.extend(execution);
        Collected {
            items,
            elapsed: started.elapsed(),
        }
    }

    fn execute_each(
        cfg: &AmpCfg,
        spec: PromptSpec,
        options: AmpOptions,
        each: &mut dyn FnMut(usize, &Item) -> Duration,
    ) -> Collected {
        let started = Instant::now();
        let mut items = Vec::new();
        for item in amp(cfg).execute(prompt(spec), options) {
            let pause = each(items.len() + 1, &item);
            items.push(item);
            std::thread::sleep(pause);
        }
        Collected {
            items,
            elapsed: started.elapsed(),
        }
    }

    fn execute_past_end(
        cfg: &AmpCfg,
        spec: PromptSpec,
        options: AmpOptions,
    ) -> (Vec<Item>, Vec<Option<Item>>) {
        let mut execution = amp(cfg).execute(prompt(spec), options);
        let items: Vec<Item> = execution.by_ref().collect();
        let after = vec![execution.next(), execution.next()];
        (items, after)
    }

    fn execute_default(spec: PromptSpec, options: AmpOptions) -> Collected {
        let started = Instant::now();
        let items: Vec<Item> = ampere_blocking::execute(prompt(spec), options).collect();
        Collected {
            items,
            elapsed: started.elapsed(),
        }
    }

    fn execute_concurrently(cfg: &AmpCfg, runs: Vec<(PromptSpec, AmpOptions)>) -> Vec<Collected> {
        let amp = amp(cfg);
        std::thread::scope(|scope| {
            let handles: Vec<_> = runs
                .into_iter()
                .map(|(spec, options)| {
                    let amp = amp.clone();
                    scope.spawn(move || {
                        let started = Instant::now();
                        let items: Vec<Item> = amp.execute(prompt(spec), options).collect();
                        Collected {
                            items,
                            elapsed: started.elapsed(),
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("execution thread panicked"))
                .collect()
        })
    }

    fn run(cfg: &AmpCfg, spec: PromptSpec, options: AmpOptions) -> Result<RunSummary, AgentError> {
        amp(cfg).run(prompt(spec), options)
    }

    fn session(
        cfg: &AmpCfg,
        options: AmpOptions,
        turns: Vec<String>,
        end: SessionEnd,
    ) -> SessionOutcome {
        let mut session = amp(cfg).session(options);
        let (sends, mut items, ended) = drive_turns(&mut session, &turns);
        match end {
            SessionEnd::Finish => SessionOutcome {
                sends,
                items,
                summary: Some(session.finish()),
            },
            SessionEnd::CloseAndDrain => {
                session.close_input();
                if !ended {
                    items.extend(session.by_ref());
                }
                SessionOutcome {
                    sends,
                    items,
                    summary: None,
                }
            }
        }
    }

    fn session_then_drop(
        cfg: &AmpCfg,
        options: AmpOptions,
        turns: Vec<String>,
        while_alive: &mut dyn FnMut(&[Item]),
    ) -> Vec<Item> {
        let mut session = amp(cfg).session(options);
        let (_, items, _) = drive_turns(&mut session, &turns);
        while_alive(&items);
        drop(session);
        items
    }

    fn session_each(
        cfg: &AmpCfg,
        options: AmpOptions,
        turn: String,
        each: &mut dyn FnMut(usize, &Item) -> Duration,
    ) -> (Vec<Item>, Result<RunSummary, AgentError>) {
        let mut session = amp(cfg).session(options);
        let mut items = Vec::new();
        if let Err(e) = session.send_text(&turn) {
            return (items, Err(e));
        }
        for item in session.by_ref() {
            let is_result = matches!(&item, Ok(m) if m.is_result());
            let pause = each(items.len() + 1, &item);
            items.push(item);
            std::thread::sleep(pause);
            if is_result {
                break;
            }
        }
        (items, session.finish())
    }

    fn thread_new(cfg: &AmpCfg, visibility: Option<Visibility>) -> Result<String, AgentError> {
        amp(cfg).thread_new(visibility)
    }

    fn thread_markdown(cfg: &AmpCfg, thread_id: &str) -> Result<String, AgentError> {
        amp(cfg).thread_markdown(thread_id)
    }

    fn thread_query<Q: ampere_core::threads::ThreadQuery>(
        cfg: &AmpCfg,
        query: &Q,
    ) -> Result<Q::Output, AgentError> {
        amp(cfg).thread_query(query)
    }

    fn thread_multiplayer(
        cfg: &AmpCfg,
        thread_id: &str,
        setting: MultiplayerSetting,
    ) -> Result<String, AgentError> {
        amp(cfg).thread_multiplayer(thread_id, setting)
    }

    fn action<T: DeserializeOwned + Send + 'static>(
        cfg: &ActionCfg,
        request: ActionRequest,
    ) -> Result<T, ActionError> {
        executor(cfg).execute_request(request)
    }

    fn action_by_name(
        cfg: &ActionCfg,
        action_name: &str,
        params: Value,
    ) -> Result<Value, ActionError> {
        executor(cfg).execute(action_name, params)
    }

    fn execute_action(action_name: &str, params: Value) -> Result<Value, ActionError> {
        ampere_blocking::execute_action(action_name, params)
    }

    fn action_executor_debug(cfg: &ActionCfg) -> String {
        format!("{:?}", executor(cfg))
    }

    fn actions_concurrently(
        cfg: &ActionCfg,
        requests: Vec<ActionRequest>,
    ) -> Vec<Result<Value, ActionError>> {
        let executor = executor(cfg);
        std::thread::scope(|scope| {
            let handles: Vec<_> = requests
                .into_iter()
                .map(|request| {
                    let executor = executor.clone();
                    scope.spawn(move || executor.execute_request::<Value>(request))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("action thread panicked"))
                .collect()
        })
    }
}

ampere_tests::runtime_suite!(Blocking);
