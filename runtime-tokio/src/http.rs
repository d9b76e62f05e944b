//! [`TokioHttp`]: core's HTTP requests on tokio sockets for `http://` (the codec is
//! `ampere_runtime_common::Http1Target` / `ResponseReader`; kept-alive connections pooled
//! per host), and on one pooled `reqwest` client (rustls, no redirects) for `https://`.
//! Every header, the timeout and the body limit come from core.

use std::error::Error as _;
use std::io::ErrorKind;

use ampere_runtime_common::{
    connect_error, io_transport_error, send_again, Failed, Http1Target, IdlePool, ResponseReader,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use ampere_core::action::{
    HttpRequest, HttpResponse, Method, TransportError, TransportErrorKind as Kind,
};
use ampere_runtime_async::runtime::BoxFuture;
use ampere_runtime_async::HttpTransport;

/// The pools (connections kept alive and reused); clones share them.
#[derive(Debug, Clone)]
pub struct TokioHttp(reqwest::Client, IdlePool<TcpStream>);

impl TokioHttp {
    /// A client that never follows a redirect (and sends no `User-Agent` of its own).
    pub fn new() -> Result<Self, String> {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map(|client| Self(client, IdlePool::default()))
            .map_err(|e| e.to_string())
    }

    async fn exchange(
        &self,
        target: &Http1Target<'_>,
        req: &HttpRequest,
    ) -> Result<HttpResponse, TransportError> {
        let bytes = target.encode(req)?;
        let idle = |c: &TcpStream| matches!(c.try_read(&mut [0]), Err(e) if e.kind() == ErrorKind::WouldBlock);
        loop {
            let (mut conn, reused) = match self.1.take(target.authority, idle) {
                Some(conn) => (conn, true),
                None => {
                    let conn = TcpStream::connect((target.host, target.port)).await;
                    let conn = conn.map_err(|e| connect_error(target.host, &e))?;
                    let _ = conn.set_nodelay(true);
                    (conn, false)
                }
            };
            // A kept-alive connection may be one the peer closed, or one of a tokio runtime
            // since shut down.
            match conn.write_all(&bytes).await {
                Err(_) if send_again(reused, Failed::Unsent, &req.method) => continue,
                Err(e) => return Err(io_transport_error(&e)),
                Ok(()) => {}
            }
            match round_trip(&mut conn, req.max_response_body).await {
                Ok((response, keep)) => {
                    if keep {
                        self.1.put(target.authority, conn);
                    }
                    return Ok(response);
                }
                Err((failed, _)) if send_again(reused, failed, &req.method) => continue,
                Err((_, e)) => return Err(e),
            }
        }
    }
}

/// A request's answer; `Err((true, _))` = failed before any byte of an answer.
async fn round_trip(
    conn: &mut TcpStream,
    limit: u64,
) -> Result<(HttpResponse, bool), (Failed, TransportError)> {
    let mut reader = ResponseReader::new(limit);
    loop {
        let n = match conn.read(reader.spare()).await {
            Ok(n) => n,
            Err(e) => return Err((reader.failed(), io_transport_error(&e))),
        };
        if let Some(done) = reader.filled(n)? {
            return Ok(done);
        }
    }
}

impl HttpTransport for TokioHttp {
    fn send(&self, req: HttpRequest) -> BoxFuture<'static, Result<HttpResponse, TransportError>> {
        // Two futures, so an `http://` request's box is not sized for reqwest's state.
        if Http1Target::parse(&req.url).is_none() {
            return Box::pin(send_reqwest(self.0.clone(), req));
        }
        let this = self.clone();
        Box::pin(async move {
            let Some(target) = Http1Target::parse(&req.url) else {
                // Parsed just above: never here (reqwest's state stays out of this box).
                return Err(TransportError::new(Kind::InvalidUrl, "not an http:// URL"));
            };
            let exchange = this.exchange(&target, &req);
            tokio::time::timeout(req.timeout, exchange)
                .await
                .unwrap_or_else(|_| Err(TransportError::new(Kind::Timeout, "request timed out")))
        })
    }
}

/// An `https://` request (anything but plain `http://`) on the pooled reqwest client.
async fn send_reqwest(
    client: reqwest::Client,
    req: HttpRequest,
) -> Result<HttpResponse, TransportError> {
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
    let limit = req.max_response_body;
    let too_large = || TransportError::new(Kind::BodyTooLarge, "");
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let status = response.status().as_u16();
    let headers = (response.headers().iter())
        .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// Which core kind a reqwest error is (the text is the error and its sources).
fn transport_error(error: reqwest::Error) -> TransportError {
    let sources: Vec<&(dyn std::error::Error + 'static)> =
        std::iter::successors(error.source(), |e| (*e).source()).collect();
    let mut text = error.to_string();
    for more in sources.iter().map(ToString::to_string) {
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
    }
    let refused = (sources
        .iter()
        .filter_map(|e| e.downcast_ref::<std::io::Error>()))
    .any(|e| e.kind() == std::io::ErrorKind::ConnectionRefused);
    let lower = text.to_ascii_lowercase();
    let kind = match () {
        _ if error.is_timeout() => Kind::Timeout,
        _ if error.is_builder() => Kind::InvalidUrl,
        _ if refused => Kind::Refused,
        _ if lower.contains("dns error") => Kind::Dns,
        _ if lower.contains("certificate") || lower.contains("tls") => Kind::Tls,
        _ => Kind::Other,
    };
    TransportError::new(kind, text)
}
