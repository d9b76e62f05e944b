//! ampere runtime adapter (blocking). (filled in a later issue; see DESIGN.md)
