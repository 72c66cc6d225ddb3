//! Shared helpers for memotrace integration tests.
