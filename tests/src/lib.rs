//! Shared helpers for memotrace integration tests.

pub mod redis_harness;
