//! ampere-tests: test doubles and shared helpers for the cross-runtime suite.
