//! [`AsyncStdHttp`]: core's HTTP requests on one pooled [`ureq`] 3 agent, each run on the
//! [`blocking`] crate's thread pool (the same `ureq` code and policy as `ampere-blocking`).

use ampere_core::action::{HttpRequest, HttpResponse, TransportError};
use ampere_runtime_async::runtime::BoxFuture;
use ampere_runtime_async::HttpTransport;

/// One pooled `ureq` agent (connections kept alive and reused); clones share it.
#[derive(Debug, Clone)]
pub struct AsyncStdHttp(ureq::Agent);

impl AsyncStdHttp {
    /// An agent that never follows a redirect and adds no header of its own.
    pub fn new() -> Self {
        Self(ampere_runtime_common::ureq_agent())
    }
}

impl Default for AsyncStdHttp {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpTransport for AsyncStdHttp {
    fn send(&self, req: HttpRequest) -> BoxFuture<'static, Result<HttpResponse, TransportError>> {
        let agent = self.0.clone();
        Box::pin(blocking::unblock(move || {
            ampere_runtime_common::ureq_send(&agent, &req)
        }))
    }
}
