//! What an async runtime's HTTP client must do for Zamp actions.

use ampere_core::action::{HttpRequest, HttpResponse, TransportError};

use crate::runtime::BoxFuture;

/// Sends one core [`HttpRequest`] exactly as core's HTTP policy says
/// (`ampere_core::action`'s module docs): every header as given and no other, the request's
/// total `timeout`, at most `max_response_body` bytes of answer (a longer body is
/// [`TransportErrorKind::BodyTooLarge`](ampere_core::action::TransportErrorKind::BodyTooLarge),
/// never a truncation), and **no redirect followed** (a 3xx comes back as an
/// [`HttpResponse`] with its headers).
///
/// Every HTTP answer, whatever its status, is an `Ok`; only a request that got no answer is
/// a [`TransportError`], whose kind the implementation picks from its client's error (core
/// writes the text). One value is one connection pool: clones share it, and connections
/// are kept alive and reused.
pub trait HttpTransport: Clone + Send + Sync + 'static {
    /// Sends `request` and reads the whole answer.
    fn send(
        &self,
        request: HttpRequest,
    ) -> BoxFuture<'static, Result<HttpResponse, TransportError>>;
}
