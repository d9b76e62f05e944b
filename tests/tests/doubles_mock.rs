//! zamp-mock answers as the actions API spec says, under every script knob.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use ampere_tests::mock::{
    validate_create_body, ActionScript, Envelope, MockConfig, Outcome, ZampMock,
};
use serde_json::{json, Value};

/// A minimal HTTP/1.1 client: one request per connection.
fn http(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut s = TcpStream::connect(host).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or("");
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

fn body_for(name: &str) -> Value {
    json!({
        "action_name": name,
        "params": {"x": 1},
        "is_external_action": true,
        "retry_policy": {"initial_interval": "PT30S", "maximum_attempts": 11,
                         "maximum_interval": "PT15M", "backoff_coefficient": 1.5},
        "summary": "a test",
        "start_to_close_timeout_seconds": 60
    })
}

fn create(mock: &ZampMock, body: &Value) -> (u16, Value) {
    let auth = format!("Bearer {}", mock.token());
    let (status, text) = http(
        "POST",
        &format!("{}/actions", mock.base_url()),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        Some(&body.to_string()),
    );
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn poll(mock: &ZampMock, id: &str) -> (u16, Value) {
    let auth = format!("Bearer {}", mock.token());
    let (status, text) = http(
        "GET",
        &format!("{}/actions/{id}", mock.base_url()),
        &[("Authorization", &auth)],
        None,
    );
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn created_id(mock: &ZampMock, name: &str) -> String {
    let (status, v) = create(mock, &body_for(name));
    assert_eq!(status, 200, "{v}");
    v["id"].as_str().unwrap().to_string()
}

#[test]
fn create_then_poll_completes() {
    let mock = ZampMock::start();
    assert!(mock.base_url().starts_with("http://127.0.0.1:"));
    let id = created_id(&mock, "plain");
    assert!(id.starts_with("act_"));
    let (status, v) = poll(&mock, &id);
    assert_eq!(status, 200);
    assert_eq!(
        v,
        json!({"id": id, "status": "COMPLETED", "result": {"ok": true}})
    );
    assert_eq!(mock.count_creates("plain"), 1);
    assert_eq!(mock.count_polls(&id), 1);
    assert_eq!(mock.action_ids("plain"), [id]);
}

#[test]
fn token_is_required() {
    let mock = ZampMock::start();
    let url = format!("{}/actions", mock.base_url());
    let body = body_for("x").to_string();
    for auth in [
        None,
        Some("Bearer wrong".to_string()),
        Some(mock.token().to_string()),
    ] {
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("Authorization", a));
        }
        let (status, text) = http("POST", &url, &headers, Some(&body));
        assert_eq!(status, 401);
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"message": "unauthorized"})
        );
    }
    let (status, _) = http("GET", &format!("{url}/act_000001"), &[], None);
    assert_eq!(status, 401);
    let reqs = mock.requests();
    assert_eq!(reqs.len(), 4);
    assert!(reqs.iter().all(|r| !r.authorized));
    assert_eq!(reqs[1].header("authorization"), Some("<redacted>"));
    assert_eq!(mock.count_creates("x"), 3);
}

#[test]
fn create_body_is_validated() {
    let mock = ZampMock::start();
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut b = body_for("v");
    b["is_external_action"] = json!(false);
    cases.push((b, "is_external_action"));
    let mut b = body_for("v");
    b.as_object_mut().unwrap().remove("retry_policy");
    cases.push((b, "retry_policy"));
    let mut b = body_for("v");
    b["retry_policy"]["initial_interval"] = json!(30);
    cases.push((b, "initial_interval"));
    let mut b = body_for("v");
    b["retry_policy"]["maximum_interval"] = json!("15 minutes");
    cases.push((b, "maximum_interval"));
    let mut b = body_for("v");
    b["retry_policy"]["backoff_coefficient"] = json!(0.5);
    cases.push((b, "backoff_coefficient"));
    let mut b = body_for("v");
    b["retry_policy"]["maximum_attempts"] = json!(-1);
    cases.push((b, "maximum_attempts"));
    let mut b = body_for("v");
    b["action_name"] = json!("");
    cases.push((b, "action_name"));
    let mut b = body_for("v");
    b["start_to_close_timeout_seconds"] = json!(0);
    cases.push((b, "start_to_close_timeout_seconds"));
    let mut b = body_for("v");
    b["execution_mode"] = json!("ASYNC");
    cases.push((b, "execution_mode"));
    cases.push((json!([1]), "object"));
    for (body, field) in cases {
        let (status, v) = create(&mock, &body);
        assert_eq!(status, 400, "{body}");
        assert!(
            v["message"].as_str().unwrap().contains(field),
            "{v} should name {field}"
        );
    }
    let auth = format!("Bearer {}", mock.token());
    let url = format!("{}/actions", mock.base_url());
    let (status, text) = http(
        "POST",
        &url,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        Some("{nope"),
    );
    assert_eq!(status, 400);
    assert!(text.contains("invalid JSON body"));
    let (status, _) = http(
        "POST",
        &url,
        &[("Authorization", &auth)],
        Some(&body_for("v").to_string()),
    );
    assert_eq!(status, 415);
}

#[test]
fn iso_durations_as_pydantic_writes_them() {
    for ok in ["PT30S", "PT15M", "PT1.5S", "PT1H30M0.005S", "P1D", "P1DT2H"] {
        let mut b = body_for("d");
        b["retry_policy"]["initial_interval"] = json!(ok);
        assert!(validate_create_body(&b).is_ok(), "{ok}");
    }
    for bad in ["P", "PT", "30S", "PTS", "PT1.5", "pt30s", "PT-1S", ""] {
        let mut b = body_for("d");
        b["retry_policy"]["initial_interval"] = json!(bad);
        assert!(validate_create_body(&b).is_err(), "{bad}");
    }
}

#[test]
fn running_then_terminal() {
    let mock = ZampMock::start();
    mock.script(
        "slow",
        ActionScript {
            running_polls: 2,
            ..Default::default()
        },
    );
    let id = created_id(&mock, "slow");
    let statuses: Vec<Value> = (0..4)
        .map(|_| poll(&mock, &id).1["status"].clone())
        .collect();
    assert_eq!(statuses, ["RUNNING", "RUNNING", "COMPLETED", "COMPLETED"]);
    assert_eq!(mock.count_polls(&id), 4);

    mock.script(
        "timed",
        ActionScript {
            running_for: Duration::from_millis(300),
            ..Default::default()
        },
    );
    let id = created_id(&mock, "timed");
    assert_eq!(poll(&mock, &id).1["status"], "RUNNING");
    std::thread::sleep(Duration::from_millis(350));
    assert_eq!(poll(&mock, &id).1["status"], "COMPLETED");
}

#[test]
fn terminal_outcomes() {
    let mock = ZampMock::start();
    let cases = [
        (
            Outcome::failed("boom"),
            json!({"status": "FAILED", "error": "boom"}),
        ),
        (
            Outcome::canceled("stop"),
            json!({"status": "CANCELED", "error": "stop"}),
        ),
        (
            Outcome::terminated("kill"),
            json!({"status": "TERMINATED", "error": "kill"}),
        ),
        (
            Outcome::timed_out("slow"),
            json!({"status": "TIMED_OUT", "error": "slow"}),
        ),
        (
            Outcome::Failed {
                status: "FAILED".into(),
                error: None,
            },
            json!({"status": "FAILED"}),
        ),
        (
            Outcome::Status("PAUSED".into()),
            json!({"status": "PAUSED"}),
        ),
        (Outcome::Completed(None), json!({"status": "COMPLETED"})),
        (
            Outcome::Completed(Some(json!([1, "two"]))),
            json!({"status": "COMPLETED", "result": [1, "two"]}),
        ),
    ];
    for (i, (outcome, want)) in cases.into_iter().enumerate() {
        let name = format!("o{i}");
        mock.script(
            &name,
            ActionScript {
                outcome,
                ..Default::default()
            },
        );
        let id = created_id(&mock, &name);
        let mut want = want;
        want["id"] = json!(id);
        assert_eq!(poll(&mock, &id).1, want);
    }
}

#[test]
fn server_errors_and_rejections() {
    let mock = ZampMock::start();
    mock.script(
        "flaky",
        ActionScript {
            create_5xx: 2,
            poll_5xx: 1,
            ..Default::default()
        },
    );
    assert_eq!(create(&mock, &body_for("flaky")).0, 503);
    assert_eq!(create(&mock, &body_for("flaky")).0, 503);
    let id = created_id(&mock, "flaky");
    assert_eq!(mock.count_creates("flaky"), 3);
    assert_eq!(poll(&mock, &id).0, 503);
    assert_eq!(poll(&mock, &id).1["status"], "COMPLETED");

    mock.script(
        "limited",
        ActionScript {
            create_status: Some(429),
            ..Default::default()
        },
    );
    let (status, v) = create(&mock, &body_for("limited"));
    assert_eq!((status, v), (429, json!({"message": "rate limited"})));

    mock.script(
        "pollerr",
        ActionScript {
            poll_status: Some(401),
            ..Default::default()
        },
    );
    let id = created_id(&mock, "pollerr");
    assert_eq!(poll(&mock, &id), (401, json!({"message": "unauthorized"})));

    assert_eq!(poll(&mock, "act_999999").0, 404);
    let (status, _) = http("GET", &format!("{}/nowhere", mock.base_url()), &[], None);
    assert_eq!(status, 404);
    let auth = format!("Bearer {}", mock.token());
    let (status, _) = http(
        "DELETE",
        &format!("{}/actions/{id}", mock.base_url()),
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(status, 405);
}

#[test]
fn non_json_bodies_and_envelopes() {
    let mock = ZampMock::start();
    mock.script(
        "html",
        ActionScript {
            create_non_json: true,
            ..Default::default()
        },
    );
    let (status, v) = create(&mock, &body_for("html"));
    assert_eq!(status, 200);
    assert!(v.as_str().unwrap().contains("not json"));

    mock.script(
        "htmlpoll",
        ActionScript {
            poll_non_json: true,
            ..Default::default()
        },
    );
    let id = created_id(&mock, "htmlpoll");
    assert!(poll(&mock, &id).1.is_string());

    mock.script(
        "data",
        ActionScript {
            poll_envelope: Envelope::Data,
            ..Default::default()
        },
    );
    let id = created_id(&mock, "data");
    assert_eq!(poll(&mock, &id).1["data"]["status"], "COMPLETED");

    mock.script(
        "err",
        ActionScript {
            create_envelope: Envelope::Error(json!({"message": "nope"})),
            ..Default::default()
        },
    );
    assert_eq!(
        create(&mock, &body_for("err")),
        (200, json!({"error": {"message": "nope"}}))
    );

    mock.script(
        "datacreate",
        ActionScript {
            create_envelope: Envelope::Data,
            ..Default::default()
        },
    );
    assert!(create(&mock, &body_for("datacreate")).1["data"]["id"].is_string());
}

#[test]
fn echo_body_returns_what_was_sent() {
    let mock = ZampMock::start();
    mock.set_default(ActionScript {
        echo_body: true,
        ..Default::default()
    });
    let id = created_id(&mock, "anything");
    assert_eq!(poll(&mock, &id).1["result"], body_for("anything"));
    let sent = &mock.requests()[0];
    assert_eq!(sent.body.as_ref().unwrap(), &body_for("anything"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
}

#[test]
fn inline_execution() {
    let mock = ZampMock::start();
    let mut body = body_for("fast");
    body["execution_mode"] = json!("INLINE");
    let (status, v) = create(&mock, &body);
    assert_eq!(status, 422);
    assert!(v["message"].as_str().unwrap().contains("inline"));

    mock.script(
        "fast",
        ActionScript {
            inline: true,
            running_polls: 5,
            ..Default::default()
        },
    );
    let (status, v) = create(&mock, &body);
    assert_eq!(status, 200);
    assert_eq!(v["status"], "COMPLETED");
    assert_eq!(v["result"], json!({"ok": true}));

    mock.script(
        "fast",
        ActionScript {
            inline: true,
            outcome: Outcome::failed("bad"),
            ..Default::default()
        },
    );
    assert_eq!(create(&mock, &body).1["error"], "bad");

    mock.script(
        "fast",
        ActionScript {
            inline: true,
            inline_running: true,
            ..Default::default()
        },
    );
    assert_eq!(create(&mock, &body).1["status"], "RUNNING");
}

#[test]
fn slow_answers_and_timestamps() {
    let mock = ZampMock::start();
    mock.script(
        "slow",
        ActionScript {
            create_delay: Duration::from_millis(200),
            poll_delay: Duration::from_millis(100),
            ..Default::default()
        },
    );
    let start = Instant::now();
    let id = created_id(&mock, "slow");
    assert!(start.elapsed() >= Duration::from_millis(200));
    let start = Instant::now();
    poll(&mock, &id);
    assert!(start.elapsed() >= Duration::from_millis(100));
    let reqs = mock.requests();
    assert!(reqs[0].at <= reqs[1].at);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, "/actions");
    assert_eq!(reqs[1].path, format!("/actions/{id}"));
    assert_eq!(reqs[1].status, 200);
}

#[test]
fn prefix_token_and_concurrency() {
    let mock = ZampMock::start_with(MockConfig {
        token: Some("tok".into()),
        prefix: "/api/v1/".into(),
        port: 0,
    })
    .unwrap();
    assert!(mock.base_url().ends_with("/api/v1"));
    assert_eq!(mock.token(), "tok");
    let ids: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|_| s.spawn(|| created_id(&mock, "many")))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 16);
    assert_eq!(mock.count_creates("many"), 16);
    assert_eq!(poll(&mock, &ids[0]).1["status"], "COMPLETED");
    assert_eq!(mock.count_polls(&ids[0]), 1);
    let root = mock.base_url().trim_end_matches("/api/v1").to_string();
    let (status, _) = http("POST", &format!("{root}/actions"), &[], Some("{}"));
    assert_eq!(status, 404);
}

#[test]
fn drop_stops_the_server() {
    let mock = ZampMock::start();
    let addr = mock.base_url().trim_start_matches("http://").to_string();
    drop(mock);
    // The accept thread is joined on drop, and the listener closes with it.
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(&addr).is_ok() {
        assert!(Instant::now() < deadline, "still listening on {addr}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
