//! ampere runtime adapter (async-std). (filled in a later issue; see DESIGN.md)
