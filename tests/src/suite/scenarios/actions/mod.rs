//! Action scenarios: Zamp actions against [`ZampMock`], a real HTTP server on 127.0.0.1.
//!
//! Polling backs off from 0.1 s (x1.5), create retries from 1 s (x2), so the scripts keep
//! to a few polls and at most two create retries.
//!
//! One file per topic (`happy`, `retries`, `answers`, `inline`, `config`, `transport`),
//! every scenario re-exported here; the helpers they share are below.

use std::time::{Duration, Instant};

use ampere_core::action::{ActionError, ActionRequest, RetryPolicy, MAX_RESPONSE_BODY, USER_AGENT};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::mock::{ActionScript, Envelope, Outcome, RecordedRequest, ZampMock};
use crate::suite::{env_lock, ActionCfg, EnvPatch, Runtime, Suite};

mod answers;
mod config;
mod happy;
mod inline;
mod retries;
mod transport;

pub use answers::*;
pub use config::*;
pub use happy::*;
pub use inline::*;
pub use retries::*;
pub use transport::*;

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

fn cfg_of(mock: &ZampMock) -> ActionCfg {
    ActionCfg::explicit(mock.base_url(), mock.token())
}

fn only_id<R: Runtime>(mock: &ZampMock, name: &str) -> String {
    let ids = mock.action_ids(name);
    assert_eq!(
        ids.len(),
        1,
        "[{}] actions created for {name}: {ids:?}",
        R::NAME
    );
    ids[0].clone()
}

fn creates(mock: &ZampMock) -> Vec<RecordedRequest> {
    mock.requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect()
}

fn polls(mock: &ZampMock) -> Vec<RecordedRequest> {
    mock.requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect()
}

fn expect_http<R: Runtime>(
    what: &str,
    got: Result<Value, ActionError>,
    status: u16,
    message: &str,
) -> Option<String> {
    match got {
        Err(ActionError::Http {
            status: s,
            message: m,
            body,
        }) => {
            assert_eq!(s, Some(status), "[{}] {what}: status", R::NAME);
            assert_eq!(m, message, "[{}] {what}: message", R::NAME);
            body
        }
        other => panic!(
            "[{}] {what}: expected an HTTP error, got {other:?}",
            R::NAME
        ),
    }
}

fn expect_decode<R: Runtime>(got: Result<Value, ActionError>, url: &str) {
    match &got {
        Err(e @ ActionError::Decode { url: u, message }) => {
            assert_eq!(u, url, "[{}] decode error URL", R::NAME);
            assert!(!message.is_empty());
            let text = e.to_string();
            assert!(text.contains(url), "[{}] {text}", R::NAME);
        }
        other => panic!("[{}] expected a decode error, got {other:?}", R::NAME),
    }
}

fn expect_network<R: Runtime>(what: &str, got: Result<Value, ActionError>, message: &str) {
    match got {
        Err(ActionError::Http {
            status: None,
            message: m,
            body: None,
        }) => assert_eq!(m, message, "[{}] {what}", R::NAME),
        other => panic!(
            "[{}] {what}: expected a transport error, got {other:?}",
            R::NAME
        ),
    }
}
