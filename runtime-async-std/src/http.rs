//! [`AsyncStdHttp`]: core's HTTP requests on async-io sockets for `http://` (the codec is
//! `ampere_runtime_common::Http1Target` / `ResponseReader`; kept-alive connections pooled
//! per host), and on one pooled [`ureq`] agent on the [`blocking`] pool for `https://`
//! (the same `ureq` code and policy as `ampere-blocking`).

use std::io::{self, ErrorKind};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Instant;

use ampere_core::action::{HttpRequest, HttpResponse, TransportError, TransportErrorKind as Kind};
use ampere_runtime_async::runtime::BoxFuture;
use ampere_runtime_async::HttpTransport;
use ampere_runtime_common::{
    io_transport_error, send_again, Failed, Http1Target, IdlePool, ResponseReader,
};
use async_io::{Async, Timer};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

/// The pools (connections kept alive and reused); clones share them. It never follows a
/// redirect and adds no header of its own.
#[derive(Debug, Clone, Default)]
pub struct AsyncStdHttp {
    idle: IdlePool<Async<TcpStream>>,
    tls: ampere_runtime_common::UreqAgent,
}

impl AsyncStdHttp {
    async fn exchange(
        &self,
        target: &Http1Target<'_>,
        req: &HttpRequest,
    ) -> Result<HttpResponse, TransportError> {
        let bytes = target.encode(req)?;
        let idle = |c: &Async<TcpStream>| matches!(c.get_ref().peek(&mut [0]), Err(e) if e.kind() == ErrorKind::WouldBlock);
        loop {
            let (mut conn, reused) = match self.idle.take(target.authority, idle) {
                Some(conn) => (conn, true),
                None => (connect(target).await?, false),
            };
            match round_trip(&mut conn, &bytes, req.max_response_body).await {
                Ok((response, keep)) => {
                    if keep {
                        self.idle.put(target.authority, conn);
                    }
                    return Ok(response);
                }
                Err((failed, _)) if send_again(reused, failed, &req.method) => continue,
                Err((_, e)) => return Err(e),
            }
        }
    }
}

async fn connect(target: &Http1Target<'_>) -> Result<Async<TcpStream>, TransportError> {
    let addrs: Vec<SocketAddr> = match target.host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, target.port)],
        Err(_) => {
            let (host, port) = (target.host.to_owned(), target.port);
            blocking::unblock(move || (host.as_str(), port).to_socket_addrs().map(Vec::from_iter))
                .await
                .map_err(|e| TransportError::new(Kind::Dns, e.to_string()))?
        }
    };
    let mut last = io::Error::new(ErrorKind::NotFound, "no address");
    for addr in addrs {
        match Async::<TcpStream>::connect(addr).await {
            Ok(conn) => {
                let _ = conn.get_ref().set_nodelay(true);
                return Ok(conn);
            }
            Err(e) => last = e,
        }
    }
    Err(io_transport_error(&last))
}

/// A request and its answer; `Err((true, _))` = failed before any byte of an answer.
async fn round_trip(
    conn: &mut Async<TcpStream>,
    bytes: &[u8],
    limit: u64,
) -> Result<(HttpResponse, bool), (Failed, TransportError)> {
    conn.write_all(bytes)
        .await
        .map_err(|e| (Failed::Unsent, io_transport_error(&e)))?;
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

impl HttpTransport for AsyncStdHttp {
    fn send(&self, req: HttpRequest) -> BoxFuture<'static, Result<HttpResponse, TransportError>> {
        // Two futures, so an `http://` request's box is not sized for the other's state.
        if Http1Target::parse(&req.url).is_none() {
            let agent = self.tls.clone();
            return Box::pin(blocking::unblock(move || agent.send(&req)));
        }
        let this = self.clone();
        Box::pin(async move {
            let Some(target) = Http1Target::parse(&req.url) else {
                // Parsed just above: never here.
                return Err(TransportError::new(Kind::InvalidUrl, "not an http:// URL"));
            };
            let deadline = Instant::now() + req.timeout;
            let timeout = async {
                Timer::at(deadline).await;
                Err(TransportError::new(Kind::Timeout, "request timed out"))
            };
            futures_lite::future::or(this.exchange(&target, &req), timeout).await
        })
    }
}
