//! ampere-tests: the test doubles (`amp-stub`, `zamp-mock`), helpers shared by the
//! cross-runtime scenario suite, and the real-CLI oracle used by conformance tests.

pub mod capture;
pub mod flood;
/// The Zamp mock lives in `ampere-testing` (one mock for users and for ampere's own tests).
pub use ampere_testing::mock;
pub mod real_cli;
pub mod stub;
pub mod suite;
pub mod surface;
