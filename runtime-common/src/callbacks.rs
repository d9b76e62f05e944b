//! [`Callbacks`]: the permission handler and custom tools an `Amp` client serves from the
//! caller's process, and their hosts' lifetime (started in the execution's private folder,
//! stopped with it).
//!
//! What enters the CLI's settings and `--mcp-config` is core's decision
//! ([`ampere_core::callbacks::wiring`]); this module says what is served and runs it.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ampere_core::callbacks::permission_bridge::{Decision, PermissionRequest};
use ampere_core::callbacks::wiring::{
    CallbackPlan, DelegateScripts, InProcessTools, IN_PROCESS_SERVER,
};
use ampere_core::mcp::McpServer;

use crate::async_call::{self, BoxFuture, Missing, Spawner};
use crate::permission_host::PermissionHost;
use crate::tool::{Tool, ToolRun};
use crate::tool_host::{HostedTool, ToolHost};

/// The default time a permission handler has to decide one call.
pub const DEFAULT_PERMISSION_DEADLINE: Duration = Duration::from_secs(60);

/// What a permission handler may return: a [`Decision`], or a `Result<Decision, E>` whose
/// error rejects the call (the agent is told `the permission handler failed: {error}`).
pub trait IntoDecision {
    /// The decision, or why there is none.
    fn into_decision(self) -> Result<Decision, String>;
}

impl IntoDecision for Decision {
    fn into_decision(self) -> Result<Decision, String> {
        Ok(self)
    }
}

impl<E: fmt::Display> IntoDecision for Result<Decision, E> {
    fn into_decision(self) -> Result<Decision, String> {
        self.map_err(|e| e.to_string())
    }
}

type SyncHandler = Arc<dyn Fn(&PermissionRequest) -> Result<Decision, String> + Send + Sync>;
type AsyncHandler =
    Arc<dyn Fn(PermissionRequest) -> BoxFuture<Result<Decision, String>> + Send + Sync>;

#[derive(Clone)]
enum Handler {
    Sync(SyncHandler),
    Async(AsyncHandler),
}

/// The callbacks of an `Amp` client (the builder's `permission_handler`,
/// `permission_deadline` and `tool`).
#[derive(Clone)]
pub struct Callbacks {
    handler: Option<Handler>,
    deadline: Duration,
    tools: Vec<Tool>,
    spawner: Option<Spawner>,
}

impl Default for Callbacks {
    fn default() -> Self {
        Self {
            handler: None,
            deadline: DEFAULT_PERMISSION_DEADLINE,
            tools: Vec::new(),
            spawner: None,
        }
    }
}

impl fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callbacks")
            .field("permission_handler", &self.handler.is_some())
            .field("deadline", &self.deadline)
            .field("tools", &self.tools)
            .finish()
    }
}

impl Callbacks {
    /// Decides each tool call the user's rules leave open with a plain function.
    pub fn set_permission_handler<F, O>(&mut self, handler: F)
    where
        F: Fn(&PermissionRequest) -> O + Send + Sync + 'static,
        O: IntoDecision,
    {
        self.handler = Some(Handler::Sync(Arc::new(move |r| handler(r).into_decision())));
    }

    /// Decides each tool call the user's rules leave open with an async function, run on
    /// the caller's runtime.
    pub fn set_async_permission_handler<F, Fut, O>(&mut self, handler: F)
    where
        F: Fn(PermissionRequest) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = O> + Send + 'static,
        O: IntoDecision,
    {
        let run = move |r| -> BoxFuture<Result<Decision, String>> {
            let fut = handler(r);
            Box::pin(async move { fut.await.into_decision() })
        };
        self.handler = Some(Handler::Async(Arc::new(run)));
    }

    /// How long the handler has to decide one call.
    pub fn set_deadline(&mut self, deadline: Duration) {
        self.deadline = deadline;
    }

    /// Registers one more tool.
    pub fn add_tool(&mut self, tool: Tool) {
        self.tools.push(tool);
    }

    /// Whether nothing is served (no handler, no tool).
    pub fn is_empty(&self) -> bool {
        self.handler.is_none() && self.tools.is_empty()
    }

    /// Whether an async callback is registered (the runtime should then give a spawner).
    pub fn needs_spawner(&self) -> bool {
        matches!(self.handler, Some(Handler::Async(_)))
            || self
                .tools
                .iter()
                .any(|t| matches!(t.run, ToolRun::Async(_)))
    }

    /// These callbacks with async ones run by `spawner` (on the caller's runtime).
    #[must_use]
    pub fn with_spawner(&self, spawner: Spawner) -> Callbacks {
        Callbacks {
            spawner: Some(spawner),
            ..self.clone()
        }
    }

    /// What is served, as core plans it, for the private folder `dir`.
    pub fn plan(&self, dir: &Path) -> CallbackPlan {
        CallbackPlan {
            delegates: self.handler.as_ref().map(|_| DelegateScripts::in_dir(dir)),
            tools: (!self.tools.is_empty()).then(|| InProcessTools {
                relay: McpServer::stdio("/bin/sh").arg(ToolHost::relay_path(dir).to_string_lossy()),
                tools: self.tools.iter().map(|t| t.spec.clone()).collect(),
            }),
        }
    }

    /// Starts the hosts in the (created) private folder `dir`.
    pub(crate) fn start(&self, dir: &Path) -> std::io::Result<CallbackHosts> {
        let permission = match &self.handler {
            None => None,
            Some(handler) => Some(PermissionHost::start(
                dir,
                self.deadline,
                self.permission_handler(handler.clone()),
            )?),
        };
        let tools = if self.tools.is_empty() {
            None
        } else {
            let hosted = self.tools.iter().map(|t| self.hosted(t)).collect();
            Some(ToolHost::start(dir, IN_PROCESS_SERVER, hosted)?)
        };
        Ok(CallbackHosts { permission, tools })
    }

    fn permission_handler(&self, handler: Handler) -> crate::PermissionHandler {
        let spawner = self.spawner.clone();
        // An async handler past its deadline was already rejected by the bridge: stop
        // waiting a little later.
        let wait = self.deadline.saturating_add(Duration::from_secs(1));
        Arc::new(move |request: PermissionRequest| {
            let tool = request.tool.clone();
            let outcome = match &handler {
                Handler::Sync(f) => f(&request),
                Handler::Async(f) => {
                    match async_call::run(spawner.as_ref(), f(request), Some(wait)) {
                        Ok(outcome) => outcome,
                        Err(Missing::Panicked(text)) => {
                            tracing::warn!(target: "ampere", %tool, "the permission handler panicked; the call is rejected");
                            return Decision::Reject(format!(
                                "the permission handler panicked: {text}"
                            ));
                        }
                        Err(Missing::TimedOut) => {
                            return Decision::Reject(
                                "the permission handler did not answer in time".into(),
                            )
                        }
                        Err(Missing::Dropped) => {
                            Err("its task was dropped (runtime shut down?)".into())
                        }
                    }
                }
            };
            match outcome {
                Ok(decision) => decision,
                Err(error) => {
                    tracing::warn!(target: "ampere", %tool, "the permission handler failed; the call is rejected");
                    tracing::debug!(target: "ampere", %tool, %error, "permission handler error");
                    Decision::Reject(format!("the permission handler failed: {error}"))
                }
            }
        })
    }

    fn hosted(&self, tool: &Tool) -> HostedTool {
        let handler: crate::ToolHandler = match &tool.run {
            ToolRun::Sync(f) => Arc::clone(f),
            ToolRun::Async(f) => {
                let (f, spawner, name) =
                    (Arc::clone(f), self.spawner.clone(), tool.spec.name.clone());
                Arc::new(move |arguments| {
                    match async_call::run(spawner.as_ref(), f(arguments), None) {
                        Ok(result) => result,
                        Err(Missing::Panicked(_)) => {
                            tracing::warn!(target: "ampere", tool = %name, "a tool handler panicked");
                            ampere_core::callbacks::mcp_server::ToolResult::error(format!(
                                "the tool {name} panicked"
                            ))
                        }
                        Err(_) => ampere_core::callbacks::mcp_server::ToolResult::error(format!(
                            "the tool {name} was stopped before it finished"
                        )),
                    }
                })
            }
        };
        HostedTool {
            spec: tool.spec.clone(),
            handler,
        }
    }
}

/// The running hosts of one execution; dropped with its private folder (first: pending
/// permission calls are rejected, the relay's pipes are closed).
#[derive(Debug)]
pub struct CallbackHosts {
    permission: Option<PermissionHost>,
    tools: Option<ToolHost>,
}

impl CallbackHosts {
    /// Stops serving: pending permission calls are rejected.
    pub fn stop(self) {
        if let Some(host) = self.permission {
            host.stop();
        }
        drop(self.tools);
    }
}
