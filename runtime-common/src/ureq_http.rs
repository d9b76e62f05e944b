//! Core's HTTP requests on a blocking [`ureq`] 3 agent, for the blocking and async-std
//! runtimes (feature `ureq`): one implementation of core's HTTP policy for both.
//!
//! Every header comes from core (ureq adds no `User-Agent` of its own), each request gets
//! its own total timeout, the body is read up to the request's limit (beyond it:
//! [`TransportErrorKind::BodyTooLarge`]), redirects are never followed, and every HTTP
//! status is an answer.

use std::io;

use ampere_core::action::{HttpRequest, HttpResponse, TransportError, TransportErrorKind};
use ureq::http;

/// A pooled agent set up for core's policy: statuses as answers, no redirects, no
/// User-Agent of ureq's own, no global timeout (each request carries its own).
pub fn ureq_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(ureq::config::AutoHeaderValue::None)
        .timeout_global(None)
        .max_idle_connections(1024)
        .max_idle_connections_per_host(1024)
        .build()
        .new_agent()
}

/// Sends `request` on `agent` (made by [`ureq_agent`]), blocking until the whole answer is
/// read or the request failed.
pub fn ureq_send(
    agent: &ureq::Agent,
    request: &HttpRequest,
) -> Result<HttpResponse, TransportError> {
    let mut builder = http::Request::builder()
        .method(request.method.as_str())
        .uri(request.url.as_str());
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let response = match &request.body {
        Some(body) => run(agent, request, builder.body(body.as_slice())),
        None => run(agent, request, builder.body(())),
    };
    let mut response = response.map_err(|e| transport_error(&e))?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    // ureq fails a read once its limit is reached, even at the end of a body of exactly the
    // limit: allow one byte more, so that only a longer body fails.
    let body = response
        .body_mut()
        .with_config()
        .limit(request.max_response_body.saturating_add(1))
        .read_to_vec()
        .map_err(|e| transport_error(&e))?;
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn run<S: ureq::AsSendBody>(
    agent: &ureq::Agent,
    request: &HttpRequest,
    built: Result<http::Request<S>, http::Error>,
) -> Result<http::Response<ureq::Body>, ureq::Error> {
    let built = built.map_err(ureq::Error::Http)?;
    let configured = agent
        .configure_request(built)
        .timeout_global(Some(request.timeout))
        .build();
    agent.run(configured)
}

/// Which core kind a ureq error is.
fn transport_error(error: &ureq::Error) -> TransportError {
    let kind = match error {
        ureq::Error::Timeout(_) => TransportErrorKind::Timeout,
        ureq::Error::HostNotFound => TransportErrorKind::Dns,
        ureq::Error::BodyExceedsLimit(_) => TransportErrorKind::BodyTooLarge,
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::RequireHttpsOnly(_) => {
            TransportErrorKind::InvalidUrl
        }
        ureq::Error::Tls(_) | ureq::Error::TlsRequired => TransportErrorKind::Tls,
        ureq::Error::Io(io) => match io.kind() {
            io::ErrorKind::ConnectionRefused => TransportErrorKind::Refused,
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportErrorKind::Timeout,
            _ => TransportErrorKind::Other,
        },
        other => {
            let text = other.to_string().to_ascii_lowercase();
            if text.contains("tls") || text.contains("certificate") || text.contains("rustls") {
                TransportErrorKind::Tls
            } else {
                TransportErrorKind::Other
            }
        }
    };
    TransportError::new(kind, error.to_string())
}
