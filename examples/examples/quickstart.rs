//! The main demo: caching in a few lines, on the in-memory store.
fn main() {}
