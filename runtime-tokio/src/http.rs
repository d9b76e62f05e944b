//! [`TokioHttp`]: core's HTTP requests on one pooled `reqwest` client (rustls, no
//! redirects; every header, the timeout and the body limit come from core).

use std::error::Error as _;

use ampere_core::action::{
    HttpRequest, HttpResponse, Method, TransportError, TransportErrorKind as Kind,
};
use ampere_runtime_async::runtime::BoxFuture;
use ampere_runtime_async::HttpTransport;

/// One pooled `reqwest` client (connections kept alive and reused); clones share it.
#[derive(Debug, Clone)]
pub struct TokioHttp(reqwest::Client);

impl TokioHttp {
    /// A client that never follows a redirect and adds no header of its own.
    pub fn new() -> Result<Self, String> {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map(Self)
            .map_err(|e| chain(&e))
    }
}

impl HttpTransport for TokioHttp {
    fn send(&self, req: HttpRequest) -> BoxFuture<'static, Result<HttpResponse, TransportError>> {
        let client = self.0.clone();
        Box::pin(async move {
            let method = match req.method {
                Method::Get => reqwest::Method::GET,
                Method::Post => reqwest::Method::POST,
            };
            let mut builder = client.request(method, &req.url).timeout(req.timeout);
            for (name, value) in &req.headers {
                builder = builder.header(name, value);
            }
            if let Some(body) = req.body {
                builder = builder.body(body);
            }
            let mut response = builder.send().await.map_err(transport_error)?;
            let too_large = || TransportError::new(Kind::BodyTooLarge, "");
            if response
                .content_length()
                .is_some_and(|n| n > req.max_response_body)
            {
                return Err(too_large());
            }
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
                .collect();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
                if (body.len() + chunk.len()) as u64 > req.max_response_body {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(HttpResponse {
                status,
                headers,
                body,
            })
        })
    }
}

/// Which core kind a reqwest error is.
fn transport_error(error: reqwest::Error) -> TransportError {
    let text = chain(&error);
    let refused = std::iter::successors(error.source(), |e| (*e).source())
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::ConnectionRefused);
    let lower = text.to_ascii_lowercase();
    let kind = if error.is_timeout() {
        Kind::Timeout
    } else if error.is_builder() {
        Kind::InvalidUrl
    } else if refused {
        Kind::Refused
    } else if lower.contains("dns error") {
        Kind::Dns
    } else if lower.contains("certificate") || lower.contains("tls") {
        Kind::Tls
    } else {
        Kind::Other
    };
    TransportError::new(kind, text)
}

/// The error and its sources, joined with `: `.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    for source in std::iter::successors(error.source(), |e| (*e).source()) {
        let more = source.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
    }
    text
}
