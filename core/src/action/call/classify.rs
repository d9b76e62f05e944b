//! Classifying one HTTP answer of the actions API: the answer or the error.

use serde_json::{Map, Value};

use crate::action::error::ActionError;
use crate::action::http::HttpResponse;

/// The terminal failure statuses.
pub(super) const FAILURE_STATUSES: [&str; 4] = ["FAILED", "CANCELED", "TERMINATED", "TIMED_OUT"];

/// Classifies one HTTP answer into the protocol's "answer" (a JSON value) or an error.
///
/// - 3xx (redirects are never followed, so the token never travels to another host):
///   [`ActionError::Http`] `HTTP {status} from {url}: redirect to {location} not followed`
///   (`: redirect not followed (no Location)` without one), with the body;
/// - other non-2xx: [`ActionError::Http`] `HTTP {status} from {url}` (+ `: {message}` when
///   the body is a JSON object with a non-blank string `message`), with the body;
/// - 2xx, not JSON: [`ActionError::Decode`] naming the URL;
/// - 2xx, an object with a non-null `error`: [`ActionError::Http`] whose message is
///   `error.message` (or the error's text) — except an action record whose `status` is a
///   terminal failure (`FAILED`, `CANCELED`, `TERMINATED`, `TIMED_OUT`): its `error` is the
///   action's error and the record is the answer (it becomes [`ActionError::Failed`]);
/// - 2xx, an object with `data`: the answer is `{"payload": data}`;
/// - otherwise the parsed body is the answer.
pub fn classify(url: &str, response: &HttpResponse) -> Result<Value, ActionError> {
    let status = response.status;
    if (300..=399).contains(&status) {
        let message = match response.header("location") {
            Some(location) => {
                format!("HTTP {status} from {url}: redirect to {location} not followed")
            }
            None => format!("HTTP {status} from {url}: redirect not followed (no Location)"),
        };
        return Err(ActionError::Http {
            status: Some(status),
            message,
            body: Some(String::from_utf8_lossy(&response.body).into_owned()),
        });
    }
    if !(200..=299).contains(&status) {
        let mut message = format!("HTTP {status} from {url}");
        if let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(&response.body) {
            if let Some(Value::String(text)) = object.get("message") {
                if !text.trim().is_empty() {
                    message.push_str(": ");
                    message.push_str(text);
                }
            }
        }
        return Err(ActionError::Http {
            status: Some(status),
            message,
            body: Some(String::from_utf8_lossy(&response.body).into_owned()),
        });
    }
    let parsed: Value = match serde_json::from_slice(&response.body) {
        Ok(parsed) => parsed,
        Err(err) => {
            return Err(ActionError::Decode {
                url: url.to_owned(),
                message: format!("the body is not JSON ({err})"),
            })
        }
    };
    let Value::Object(mut object) = parsed else {
        return Ok(parsed);
    };
    // An action record in a terminal failure status carries the action's own `error`:
    // that is the action-failed error's text, not an error envelope.
    let failed_record = matches!(
        object.get("status").and_then(Value::as_str),
        Some(status) if FAILURE_STATUSES.contains(&status)
    );
    match object.get("error") {
        None | Some(Value::Null) => {}
        Some(_) if failed_record => {}
        Some(error) => {
            let message = match error {
                Value::Object(fields) => match fields.get("message") {
                    Some(Value::String(text)) => text.clone(),
                    Some(other) => other.to_string(),
                    None => error.to_string(),
                },
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            return Err(ActionError::Http {
                status: Some(status),
                message,
                body: Some(String::from_utf8_lossy(&response.body).into_owned()),
            });
        }
    }
    if let Some(data) = object.remove("data") {
        let mut envelope = Map::new();
        envelope.insert("payload".to_owned(), data);
        return Ok(Value::Object(envelope));
    }
    Ok(Value::Object(object))
}
