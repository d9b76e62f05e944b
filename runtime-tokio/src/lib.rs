//! ampere runtime adapter (tokio). (filled in a later issue; see DESIGN.md)
