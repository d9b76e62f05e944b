//! The suite's permission handler and tools, runtime-neutral: [`AmpCfg`](super::AmpCfg)
//! carries them and [`suite_builders!`](crate::suite_builders) puts them on each runtime's
//! builder (a plain closure for blocking, an async one sleeping on the runtime's own timer
//! for tokio and async-std).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use ampere_core::callbacks::permission_bridge::{Decision, PermissionRequest};
pub use ampere_runtime_common::Tool;

/// What the suite's handler does with one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Allow it.
    Allow,
    /// Reject it with this message.
    Reject(String),
    /// Return an error with this text.
    Fail(String),
    /// Panic with this text.
    Panic(String),
}

impl Reply {
    /// The handler's return value (panics for [`Reply::Panic`], as asked).
    pub fn finish(self) -> Result<Decision, String> {
        match self {
            Reply::Allow => Ok(Decision::Allow),
            Reply::Reject(m) => Ok(Decision::Reject(m)),
            Reply::Fail(m) => Err(m),
            Reply::Panic(m) => panic!("{m}"),
        }
    }
}

type Ask = dyn Fn(&PermissionRequest) -> (Reply, Duration) + Send + Sync;

/// A permission handler for the suite: for each call, a reply and how long to take first.
#[derive(Clone)]
pub struct SuiteHandler(Arc<Ask>);

impl SuiteHandler {
    /// A handler answering with `ask`.
    pub fn new(
        ask: impl Fn(&PermissionRequest) -> (Reply, Duration) + Send + Sync + 'static,
    ) -> Self {
        SuiteHandler(Arc::new(ask))
    }

    /// The reply to `request` and the delay before it.
    pub fn ask(&self, request: &PermissionRequest) -> (Reply, Duration) {
        (self.0)(request)
    }

    /// The blocking handler: sleeps the delay on this thread, then replies.
    pub fn answer_blocking(&self, request: &PermissionRequest) -> Result<Decision, String> {
        let (reply, delay) = self.ask(request);
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        reply.finish()
    }
}

impl fmt::Debug for SuiteHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SuiteHandler")
    }
}

impl PartialEq for SuiteHandler {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SuiteHandler {}

/// The custom tools registered with `tool(..)` (equal when their names are).
#[derive(Debug, Clone, Default)]
pub struct SuiteTools(pub Vec<Tool>);

impl PartialEq for SuiteTools {
    fn eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .map(Tool::name)
            .eq(other.0.iter().map(Tool::name))
    }
}

impl Eq for SuiteTools {}
