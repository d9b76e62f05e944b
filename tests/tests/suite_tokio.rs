//! The cross-runtime scenario suite (`ampere_tests::suite`) run against `ampere-tokio`.
//!
//! One multi-threaded tokio runtime lives for the whole test binary (as in an application);
//! each façade call is a `block_on` on it, so executions are created, read and dropped
//! inside the runtime.

use std::sync::OnceLock;

use ampere_core::action::{ActionError, ActionRequest};
use ampere_core::options::{AmpOptions, Visibility};
use ampere_core::run::{AgentError, RunSummary};
use ampere_core::threads::MultiplayerSetting;
use ampere_tests::suite::{
    ActionCfg, AmpCfg, Collected, Item, PromptSpec, Runtime, SessionEnd, SessionOutcome,
};
use ampere_tokio::ActionExecutor;
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

fn executor(cfg: &ActionCfg) -> ActionExecutor {
    let mut b = ActionExecutor::builder();
    if let Some(u) = &cfg.base_url {
        b = b.base_url(u.clone());
    }
    if let Some(t) = &cfg.auth_token {
        b = b.auth_token(t.clone());
    }
    b.build()
}

impl Runtime for Tokio {
    const NAME: &'static str = "tokio";

    fn execute(_: &AmpCfg, _: PromptSpec, _: AmpOptions) -> Collected {
        unimplemented!("{}: agent not merged yet", Self::NAME)
    }
    fn execute_then_drop(
        _: &AmpCfg,
        _: PromptSpec,
        _: AmpOptions,
        _: usize,
        _: &mut dyn FnMut(&[Item]),
    ) -> Vec<Item> {
        unimplemented!("{}: agent not merged yet", Self::NAME)
    }
    fn execute_then_cancel(
        _: &AmpCfg,
        _: PromptSpec,
        _: AmpOptions,
        _: usize,
        _: &mut dyn FnMut(&[Item]),
    ) -> Vec<Item> {
        unimplemented!("{}: agent not merged yet", Self::NAME)
    }
    fn run(_: &AmpCfg, _: PromptSpec, _: AmpOptions) -> Result<RunSummary, AgentError> {
        unimplemented!("{}: agent not merged yet", Self::NAME)
    }
    fn session(_: &AmpCfg, _: AmpOptions, _: Vec<String>, _: SessionEnd) -> SessionOutcome {
        unimplemented!("{}: agent not merged yet", Self::NAME)
    }
    fn thread_new(_: &AmpCfg, _: Option<Visibility>) -> Result<String, AgentError> {
        unimplemented!("{}: agent not merged yet", Self::NAME)
    }
    fn thread_markdown(_: &AmpCfg, _: &str) -> Result<String, AgentError> {
        unimplemented!("{}: agent not merged yet", Self::NAME)
    }
    fn thread_multiplayer(
        _: &AmpCfg,
        _: &str,
        _: MultiplayerSetting,
    ) -> Result<String, AgentError> {
        unimplemented!("{}: agent not merged yet", Self::NAME)
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

ampere_tests::runtime_suite!(Tokio, only: [
    action_happy_path,
    action_by_name,
    action_create_5xx_then_success,
    action_poll_5xx_then_success,
    action_429_no_retry,
    action_401,
    action_poll_404_surfaces,
    action_failure_statuses,
    action_unexpected_status,
    action_non_json_create,
    action_non_json_poll,
    action_error_envelope,
    action_inline,
    action_inline_not_opted_in,
    action_inline_running,
    action_typed_result,
    action_validation_before_send,
    action_env_config,
    action_env_missing,
    action_concurrent_20,
]);
