//! (filled by its owner; see DESIGN.md)
