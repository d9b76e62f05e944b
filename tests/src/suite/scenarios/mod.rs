//! The scenarios of the cross-runtime suite, generic over the [`Runtime`](super::Runtime)
//! façade. Each is a plain function `fn name<R: Runtime>(suite: &Suite)` that panics on a
//! wrong observation; [`runtime_suite!`](crate::runtime_suite) turns each into a test.
//!
//! - [`agent`]: the Amp CLI driven through `amp-stub` (messages, errors, timeouts,
//!   cancellation and cleanup, invocation, thread commands).
//! - [`edges`]: edge cases moved in from the per-runtime test files.
//! - [`lifecycle`]: the promises of issue 9 (thread-command timeout, exit drain grace, exit
//!   right after a drop, bounded memory under backpressure).
//! - [`surface`]: issue 12 (run guards, live stderr, bad input named before a spawn).
//! - [`callbacks`]: issue 11 (permission handler, in-process tools).
//! - [`actions`]: Zamp actions against [`ZampMock`](crate::mock::ZampMock).

pub mod actions;
pub mod agent;
pub mod callbacks;
pub mod edges;
pub mod lifecycle;
pub mod surface;

pub use actions::*;
pub use agent::*;
pub use callbacks::*;
pub use edges::*;
pub use lifecycle::*;
pub use surface::*;
