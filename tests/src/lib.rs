//! ampere-tests: the test doubles (`amp-stub`, `zamp-mock`), helpers shared by the
//! cross-runtime scenario suite, and the real-CLI oracle used by conformance tests.

pub mod real_cli;
