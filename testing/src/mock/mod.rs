//! `zamp-mock`: a real HTTP server on `127.0.0.1` implementing the Zamp actions API
//! (`POST /actions`, `GET /actions/{id}`), scripted per action name.
//!
//! ```no_run
//! use ampere_testing::mock::{ActionScript, Outcome, ZampMock};
//! let mock = ZampMock::start();
//! mock.script("slow", ActionScript { running_polls: 3, ..ActionScript::default() });
//! mock.script("boom", ActionScript { outcome: Outcome::failed("kaput"), ..Default::default() });
//! // point the SDK at mock.base_url() with mock.token() ...
//! assert_eq!(mock.count_creates("slow"), 0);
//! ```
//!
//! Behaviour (per the spec `zamp-actions.md`):
//! - every request needs `Authorization: Bearer <token>`; otherwise 401
//!   `{"message":"unauthorized"}` (checked first).
//! - `POST /actions`: needs `Content-Type: application/json` (else 415) and a valid body
//!   (else 400 `{"message": ...}`): object with a non-empty string `action_name`,
//!   `is_external_action: true`, `retry_policy` with ISO-8601 `initial_interval` /
//!   `maximum_interval` (`PT..S/M/H`), integer `maximum_attempts >= 0`, number
//!   `backoff_coefficient >= 1`; optional `summary` (string), `start_to_close_timeout_seconds`
//!   (positive number), `execution_mode` (`"INLINE"`). Answers `{"id":"act_000001"}`.
//! - `GET /actions/{id}`: `{"id", "status":"RUNNING"}` while the script says so, then the
//!   terminal answer `{"id","status","result"}` / `{"id","status","error"}`; unknown id 404.
//! - inline mode (`execution_mode: "INLINE"`): the terminal answer comes in the create
//!   response if the script has `inline: true`, else 422.
//! - anything else: 404 (405 for a wrong method on a known path).
//!
//! What an ampere `ActionExecutor` (any runtime) gives for each scripted behaviour (tested
//! in `testing/tests/mock_actions.rs`):
//!
//! | script | outcome |
//! |---|---|
//! | `outcome: Outcome::Completed(v)` (default `{"ok": true}`) | `Ok(v)` |
//! | `Outcome::failed / canceled / terminated / timed_out(e)` | `ActionError::Failed { status, error: e, .. }` |
//! | `running_polls: n` / `running_for: d` | `Ok` after n + 1 polls / after d |
//! | `create_status: Some(401 / 404 / 429 / ...)`, `create_statuses: vec![401]` | `ActionError::Http { status: Some(..), .. }` (no token in the text) |
//! | `poll_statuses: vec![401]` | `ActionError::Http { status: Some(401), .. }` |
//! | `create_5xx: n`, `create_statuses: vec![503]` | retried after a back-off (1 s, doubling), then `Ok` |
//! | `create_delay` / `poll_delay` | `Ok`, that much later |

mod http;
mod server;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use self::server::handle;
pub use self::server::validate_create_body;

/// How an action ends.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `COMPLETED`, with `result` (omitted from the answer when `None`).
    Completed(Option<Value>),
    /// A failure status (`FAILED`, `CANCELED`, `TERMINATED`, `TIMED_OUT`) with `error`
    /// (omitted when `None`).
    Failed {
        /// The terminal status.
        status: String,
        /// The error text.
        error: Option<String>,
    },
    /// Any other status value (e.g. `"PAUSED"`), with no result or error.
    Status(String),
}

impl Outcome {
    /// `FAILED` with an error text.
    pub fn failed(error: &str) -> Outcome {
        Outcome::Failed {
            status: "FAILED".into(),
            error: Some(error.into()),
        }
    }
    /// `CANCELED` with an error text.
    pub fn canceled(error: &str) -> Outcome {
        Outcome::Failed {
            status: "CANCELED".into(),
            error: Some(error.into()),
        }
    }
    /// `TERMINATED` with an error text.
    pub fn terminated(error: &str) -> Outcome {
        Outcome::Failed {
            status: "TERMINATED".into(),
            error: Some(error.into()),
        }
    }
    /// `TIMED_OUT` with an error text.
    pub fn timed_out(error: &str) -> Outcome {
        Outcome::Failed {
            status: "TIMED_OUT".into(),
            error: Some(error.into()),
        }
    }
}

/// The form of a 2xx answer body.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Envelope {
    /// The answer object as is.
    #[default]
    Plain,
    /// `{"data": ANSWER}`.
    Data,
    /// `{"error": VALUE}` (status 200), e.g. `json!({"message": "nope"})` or a string.
    Error(Value),
}

/// What the mock does for one action name.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionScript {
    /// Number of (non-5xx) polls answered `RUNNING` before the terminal answer.
    pub running_polls: u32,
    /// Also answer `RUNNING` until this long after the create.
    pub running_for: Duration,
    /// The terminal answer.
    pub outcome: Outcome,
    /// With `Outcome::Completed`, make the result the create body the mock received.
    pub echo_body: bool,
    /// The first N creates for this name answer 503.
    pub create_5xx: u32,
    /// The first N polls of each action answer 503.
    pub poll_5xx: u32,
    /// The first creates for this name (after the `create_5xx` ones) answer these statuses
    /// in order, with `{"message": ...}` (e.g. `vec![503, 429]`: two retryable failures,
    /// then the normal answer; `vec![401]`: one authentication failure).
    pub create_statuses: Vec<u16>,
    /// The first polls of each action (after the `poll_5xx` ones) answer these statuses in
    /// order; they do not count as `running_polls`.
    pub poll_statuses: Vec<u16>,
    /// Every create answers this status with `{"message": ...}` (e.g. 429, 401, 404, 500).
    pub create_status: Option<u16>,
    /// Every poll answers this status with `{"message": ...}`.
    pub poll_status: Option<u16>,
    /// Creates answer 200 with a body that is not JSON.
    pub create_non_json: bool,
    /// Polls answer 200 with a body that is not JSON.
    pub poll_non_json: bool,
    /// Form of 2xx create answers.
    pub create_envelope: Envelope,
    /// Form of 2xx poll answers.
    pub poll_envelope: Envelope,
    /// Pause before answering a create.
    pub create_delay: Duration,
    /// Pause before answering a poll.
    pub poll_delay: Duration,
    /// The action is opted in to inline execution (else an inline create gets 422).
    pub inline: bool,
    /// With inline execution, answer `RUNNING` instead of the terminal answer.
    pub inline_running: bool,
    /// Every create answers this redirect status with `Location: <url>` (and a JSON body).
    pub create_redirect: Option<(u16, String)>,
    /// Creates answer 200 with a JSON body of exactly this many bytes (an `id` and padding).
    pub create_body_len: Option<usize>,
}

impl Default for ActionScript {
    fn default() -> Self {
        ActionScript {
            running_polls: 0,
            running_for: Duration::ZERO,
            outcome: Outcome::Completed(Some(json!({"ok": true}))),
            echo_body: false,
            create_5xx: 0,
            poll_5xx: 0,
            create_statuses: Vec::new(),
            poll_statuses: Vec::new(),
            create_status: None,
            poll_status: None,
            create_non_json: false,
            poll_non_json: false,
            create_envelope: Envelope::Plain,
            poll_envelope: Envelope::Plain,
            create_delay: Duration::ZERO,
            poll_delay: Duration::ZERO,
            inline: false,
            inline_running: false,
            create_redirect: None,
            create_body_len: None,
        }
    }
}

/// One request the mock received.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target (path and query).
    pub path: String,
    /// Headers (lowercase names); the `authorization` value is replaced by `<redacted>`.
    pub headers: Vec<(String, String)>,
    /// Whether the bearer token was right.
    pub authorized: bool,
    /// The body as text (lossy UTF-8).
    pub body_text: String,
    /// The body parsed as JSON, if it was JSON.
    pub body: Option<Value>,
    /// When it arrived, since the mock started.
    pub at: Duration,
    /// The status the mock answered.
    pub status: u16,
}

impl RecordedRequest {
    /// The value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Settings for [`ZampMock::start_with`].
#[derive(Debug, Clone, Default)]
pub struct MockConfig {
    /// Port to bind on 127.0.0.1 (0 = any free port).
    pub port: u16,
    /// The expected bearer token (`None` = a generated one).
    pub token: Option<String>,
    /// Path prefix the API lives under, e.g. `/api/v1` (empty = at the root).
    pub prefix: String,
}

struct ActionState {
    name: String,
    body: Value,
    created: Instant,
    polls: u32,
    script: ActionScript,
}

#[derive(Default)]
struct State {
    scripts: HashMap<String, ActionScript>,
    default: ActionScript,
    actions: HashMap<String, ActionState>,
    requests: Vec<RecordedRequest>,
    creates_by_name: HashMap<String, u32>,
    next_id: u64,
}

struct Inner {
    state: Mutex<State>,
    start: Instant,
    token: String,
    prefix: String,
    shutdown: AtomicBool,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running mock server; stops (and joins its threads) on drop.
pub struct ZampMock {
    inner: Arc<Inner>,
    base_url: String,
    server: Option<http::Server>,
}

impl std::fmt::Debug for ZampMock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZampMock")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl ZampMock {
    /// Starts a mock on `127.0.0.1:0` with a generated token.
    ///
    /// # Panics
    /// If no local port can be bound (a test environment problem).
    pub fn start() -> ZampMock {
        match Self::start_with(MockConfig::default()) {
            Ok(m) => m,
            Err(e) => panic!("zamp-mock: cannot start: {e}"),
        }
    }

    /// Starts a mock with explicit settings.
    pub fn start_with(config: MockConfig) -> Result<ZampMock, String> {
        let token = config.token.unwrap_or_else(|| {
            format!(
                "zamp-test-token-{}-{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.subsec_nanos())
                    .unwrap_or(0)
            )
        });
        let prefix = config.prefix.trim_end_matches('/').to_string();
        let inner = Arc::new(Inner {
            state: Mutex::new(State::default()),
            start: Instant::now(),
            token,
            prefix: prefix.clone(),
            shutdown: AtomicBool::new(false),
        });
        let served = Arc::clone(&inner);
        let server = http::Server::start(config.port, move |request| handle(&served, request))
            .map_err(|e| format!("cannot bind 127.0.0.1:{}: {e}", config.port))?;
        let addr = server.addr();
        Ok(ZampMock {
            inner,
            base_url: format!("http://{addr}{prefix}"),
            server: Some(server),
        })
    }

    /// `http://127.0.0.1:PORT` (plus the prefix, if any), without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bearer token the mock expects.
    pub fn token(&self) -> &str {
        &self.inner.token
    }

    /// Sets the script for one action name (replacing an earlier one).
    pub fn script(&self, action_name: &str, script: ActionScript) {
        self.inner
            .lock()
            .scripts
            .insert(action_name.to_string(), script);
    }

    /// Sets the script used for action names without one.
    pub fn set_default(&self, script: ActionScript) {
        self.inner.lock().default = script;
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.lock().requests.clone()
    }

    /// Number of `POST /actions` requests whose body named `action_name` (any answer).
    pub fn count_creates(&self, action_name: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == "POST")
            .filter(|r| {
                r.body
                    .as_ref()
                    .and_then(|b| b.get("action_name"))
                    .and_then(Value::as_str)
                    == Some(action_name)
            })
            .count()
    }

    /// Number of `GET /actions/{id}` requests (any answer).
    pub fn count_polls(&self, id: &str) -> usize {
        let want = format!("{}/actions/{id}", self.inner.prefix);
        self.requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path.split('?').next() == Some(want.as_str()))
            .count()
    }

    /// How many TCP connections the mock accepted so far (a client that keeps connections
    /// alive makes one for many sequential requests).
    pub fn connections(&self) -> usize {
        self.server.as_ref().map_or(0, http::Server::accepted)
    }

    /// Ids of the actions created so far for `action_name`, oldest first.
    pub fn action_ids(&self, action_name: &str) -> Vec<String> {
        let state = self.inner.lock();
        let mut ids: Vec<String> = state
            .actions
            .iter()
            .filter(|(_, a)| a.name == action_name)
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    }
}

impl Drop for ZampMock {
    fn drop(&mut self) {
        self.inner.shutdown.store(true, Ordering::SeqCst);
        drop(self.server.take());
    }
}
