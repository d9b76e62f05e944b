//! The server side of the mock: routing a request, checking a create body, answering
//! creates and polls from the scripts.

use super::*;

/// An answer: status and JSON (or raw) body.
struct Answer {
    status: u16,
    body: String,
    json: bool,
    headers: Vec<(String, String)>,
}

fn answer(status: u16, body: Value) -> Answer {
    Answer {
        status,
        body: body.to_string(),
        json: true,
        headers: Vec::new(),
    }
}

fn message(status: u16, text: &str) -> Answer {
    answer(status, json!({ "message": text }))
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "bad request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not found",
        409 => "conflict",
        422 => "unprocessable entity",
        429 => "rate limited",
        500 => "internal server error (mock)",
        502 => "bad gateway (mock)",
        503 => "service unavailable (mock)",
        504 => "gateway timeout (mock)",
        _ => "error (mock)",
    }
}

fn wrap(envelope: &Envelope, body: Value) -> Value {
    match envelope {
        Envelope::Plain => body,
        Envelope::Data => json!({ "data": body }),
        Envelope::Error(e) => json!({ "error": e }),
    }
}

pub(super) fn handle(inner: &Inner, request: http::Request) -> http::Response {
    let at = inner.start.elapsed();
    let http::Request {
        method,
        path,
        headers: raw_headers,
        body: raw,
    } = request;
    let mut authorized = false;
    let expected = format!("Bearer {}", inner.token);
    let mut content_type = String::new();
    let headers: Vec<(String, String)> = raw_headers
        .into_iter()
        .map(|(name, mut value)| {
            if name == "authorization" {
                authorized = value == expected;
                value = "<redacted>".into();
            }
            if name == "content-type" {
                content_type = value.clone();
            }
            (name, value)
        })
        .collect();
    let body_text = String::from_utf8_lossy(&raw).into_owned();
    let body: Option<Value> = serde_json::from_slice(&raw).ok();

    let ans = route(
        inner,
        &method,
        &path,
        authorized,
        &content_type,
        &raw,
        body.as_ref(),
    );
    inner.lock().requests.push(RecordedRequest {
        method,
        path,
        headers,
        authorized,
        body_text,
        body,
        at,
        status: ans.status,
    });
    let ctype = if ans.json {
        "application/json"
    } else {
        "text/html"
    };
    http::Response {
        status: ans.status,
        content_type: ctype,
        body: ans.body.into_bytes(),
        headers: ans.headers,
    }
}

fn route(
    inner: &Inner,
    method: &str,
    path: &str,
    authorized: bool,
    content_type: &str,
    raw: &[u8],
    body: Option<&Value>,
) -> Answer {
    let path_only = path.split('?').next().unwrap_or("");
    let Some(rest) = path_only.strip_prefix(inner.prefix.as_str()) else {
        return message(404, "not found");
    };
    let is_create = rest == "/actions";
    let poll_id = rest
        .strip_prefix("/actions/")
        .filter(|id| !id.is_empty() && !id.contains('/'));
    if !is_create && poll_id.is_none() {
        return message(404, "not found");
    }
    if !authorized {
        return message(401, "unauthorized");
    }
    match (method, poll_id) {
        ("POST", None) => create(inner, content_type, raw, body),
        ("GET", Some(id)) => poll(inner, id),
        _ => message(405, "method not allowed"),
    }
}

fn is_iso_duration(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    let Some(rest) = s.strip_prefix('P') else {
        return false;
    };
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let valid = |part: &str, units: &[char]| -> bool {
        let mut num = String::new();
        let mut any = false;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                num.push(c);
            } else if units.contains(&c) && !num.is_empty() && num.parse::<f64>().is_ok() {
                num.clear();
                any = true;
            } else {
                return false;
            }
        }
        num.is_empty() && (any || part.is_empty())
    };
    let d_ok = valid(days, &['Y', 'M', 'W', 'D']);
    let t_ok = match time {
        Some(t) => !t.is_empty() && valid(t, &['H', 'M', 'S']),
        None => true,
    };
    d_ok && t_ok && s.len() > 1
}

/// Validates a create body; `Err` is the 400 message.
pub fn validate_create_body(body: &Value) -> Result<(), String> {
    let obj = body.as_object().ok_or("body must be a JSON object")?;
    match obj.get("action_name").and_then(Value::as_str) {
        Some(n) if !n.trim().is_empty() => {}
        _ => return Err("action_name must be a non-empty string".into()),
    }
    if obj.get("is_external_action") != Some(&Value::Bool(true)) {
        return Err("is_external_action must be true".into());
    }
    let rp = obj
        .get("retry_policy")
        .and_then(Value::as_object)
        .ok_or("retry_policy must be an object")?;
    for key in ["initial_interval", "maximum_interval"] {
        if !rp.get(key).is_some_and(is_iso_duration) {
            return Err(format!(
                "retry_policy.{key} must be an ISO-8601 duration such as PT30S"
            ));
        }
    }
    if rp.get("maximum_attempts").and_then(Value::as_u64).is_none() {
        return Err("retry_policy.maximum_attempts must be an integer >= 0".into());
    }
    match rp.get("backoff_coefficient").and_then(Value::as_f64) {
        Some(c) if c >= 1.0 => {}
        _ => return Err("retry_policy.backoff_coefficient must be a number >= 1".into()),
    }
    if let Some(s) = obj.get("summary") {
        if !s.is_string() && !s.is_null() {
            return Err("summary must be a string".into());
        }
    }
    if let Some(t) = obj.get("start_to_close_timeout_seconds") {
        if !t.is_null() && !t.as_f64().is_some_and(|t| t > 0.0) {
            return Err("start_to_close_timeout_seconds must be a positive number".into());
        }
    }
    if let Some(m) = obj.get("execution_mode") {
        if !m.is_null() && m != "INLINE" {
            return Err("execution_mode must be \"INLINE\"".into());
        }
    }
    Ok(())
}

fn terminal_body(id: &str, script: &ActionScript, create_body: &Value) -> Value {
    match &script.outcome {
        Outcome::Completed(result) => {
            let result = if script.echo_body {
                Some(create_body.clone())
            } else {
                result.clone()
            };
            match result {
                Some(r) => json!({"id": id, "status": "COMPLETED", "result": r}),
                None => json!({"id": id, "status": "COMPLETED"}),
            }
        }
        Outcome::Failed { status, error } => match error {
            Some(e) => json!({"id": id, "status": status, "error": e}),
            None => json!({"id": id, "status": status}),
        },
        Outcome::Status(status) => json!({"id": id, "status": status}),
    }
}

fn create(inner: &Inner, content_type: &str, raw: &[u8], body: Option<&Value>) -> Answer {
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return message(415, "Content-Type must be application/json");
    }
    let Some(body) = body else {
        let why = serde_json::from_slice::<Value>(raw)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        return message(400, &format!("invalid JSON body: {why}"));
    };
    if let Err(why) = validate_create_body(body) {
        return message(400, &why);
    }
    let name = body
        .get("action_name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let (script, attempt) = {
        let mut st = inner.lock();
        let script = st
            .scripts
            .get(&name)
            .cloned()
            .unwrap_or_else(|| st.default.clone());
        let attempt = st.creates_by_name.entry(name.clone()).or_insert(0);
        *attempt += 1;
        (script, *attempt)
    };
    if !script.create_delay.is_zero() {
        std::thread::sleep(script.create_delay);
    }
    if attempt <= script.create_5xx {
        return message(503, reason(503));
    }
    let nth = usize::try_from(attempt - script.create_5xx - 1).unwrap_or(usize::MAX);
    if let Some(&status) = script.create_statuses.get(nth) {
        return message(status, reason(status));
    }
    if let Some(status) = script.create_status {
        return message(status, reason(status));
    }
    if let Some((status, location)) = &script.create_redirect {
        let mut moved = message(*status, "moved");
        moved.headers.push(("Location".into(), location.clone()));
        return moved;
    }
    if let Some(len) = script.create_body_len {
        let head = r#"{"id":"act_big","pad":""#;
        let tail = r#""}"#;
        let pad = len.saturating_sub(head.len() + tail.len());
        return Answer {
            status: 200,
            body: format!("{head}{}{tail}", "x".repeat(pad)),
            json: true,
            headers: Vec::new(),
        };
    }
    if script.create_non_json {
        return Answer {
            status: 200,
            body: "<html>definitely not json</html>".into(),
            json: false,
            headers: Vec::new(),
        };
    }
    let inline = body.get("execution_mode").and_then(Value::as_str) == Some("INLINE");
    if inline && !script.inline {
        return message(
            422,
            &format!("action {name} is not opted in to inline execution"),
        );
    }
    let id = {
        let mut st = inner.lock();
        st.next_id += 1;
        let id = format!("act_{:06}", st.next_id);
        st.actions.insert(
            id.clone(),
            ActionState {
                name,
                body: body.clone(),
                created: Instant::now(),
                polls: 0,
                script: script.clone(),
            },
        );
        id
    };
    let answer_body = if inline {
        if script.inline_running {
            json!({"id": id, "status": "RUNNING"})
        } else {
            terminal_body(&id, &script, body)
        }
    } else {
        json!({ "id": id })
    };
    answer(200, wrap(&script.create_envelope, answer_body))
}

fn poll(inner: &Inner, id: &str) -> Answer {
    let found = {
        let mut st = inner.lock();
        st.actions.get_mut(id).map(|a| {
            a.polls += 1;
            (a.polls, a.script.clone(), a.body.clone(), a.created)
        })
    };
    let Some((polls, script, body, created)) = found else {
        return message(404, &format!("action {id} not found"));
    };
    if !script.poll_delay.is_zero() {
        std::thread::sleep(script.poll_delay);
    }
    if polls <= script.poll_5xx {
        return message(503, reason(503));
    }
    let nth = usize::try_from(polls - script.poll_5xx - 1).unwrap_or(usize::MAX);
    if let Some(&status) = script.poll_statuses.get(nth) {
        return message(status, reason(status));
    }
    if let Some(status) = script.poll_status {
        return message(status, reason(status));
    }
    if script.poll_non_json {
        return Answer {
            status: 200,
            body: "<html>definitely not json</html>".into(),
            json: false,
            headers: Vec::new(),
        };
    }
    let scripted = u32::try_from(script.poll_statuses.len()).unwrap_or(u32::MAX);
    let effective = polls - script.poll_5xx - scripted.min(polls - script.poll_5xx);
    let running = effective <= script.running_polls || created.elapsed() < script.running_for;
    let out = if running {
        json!({"id": id, "status": "RUNNING"})
    } else {
        terminal_body(id, &script, &body)
    };
    answer(200, wrap(&script.poll_envelope, out))
}
