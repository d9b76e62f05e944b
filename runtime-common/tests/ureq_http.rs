//! The shared ureq transport (blocking and async-std) against a raw TCP server on 127.0.0.1.
#![cfg(feature = "ureq")]
use std::time::Instant;

use ampere_core::action::MAX_RESPONSE_BODY;
use ampere_core::action::{HttpRequest, Method, RequestId, TransportErrorKind};
use ampere_runtime_common::UreqAgent;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

fn request(url: String, timeout: Duration) -> HttpRequest {
    HttpRequest {
        id: RequestId::from_raw(0),
        method: Method::Get,
        url,
        headers: vec![("Authorization".into(), "Bearer t".into())],
        body: None,
        timeout,
        max_response_body: MAX_RESPONSE_BODY,
    }
}

#[test]
fn a_silent_server_is_a_transport_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    // Accept and read, but never answer.
    let server = std::thread::spawn(move || {
        if let Ok((mut conn, _)) = listener.accept() {
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf);
            std::thread::sleep(Duration::from_secs(2));
        }
    });
    let agent = UreqAgent::new();
    let start = Instant::now();
    let err = agent
        .send(&request(
            format!("http://{addr}/actions/1"),
            Duration::from_millis(300),
        ))
        .expect_err("timeout");
    assert_eq!(err.kind, TransportErrorKind::Timeout, "{err:?}");
    assert!(start.elapsed() < Duration::from_secs(2));
    let _ = server.join();
}

#[test]
fn error_statuses_come_back_as_responses() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = std::thread::spawn(move || {
        if let Ok((mut conn, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let body = r#"{"message":"down"}"#;
            let _ = write!(
                conn,
                "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let resp = UreqAgent::new()
        .send(&request(
            format!("http://{addr}/actions/1"),
            Duration::from_secs(10),
        ))
        .expect("a response");
    assert_eq!(resp.status, 503);
    assert_eq!(resp.body, br#"{"message":"down"}"#);
    let _ = server.join();
}
