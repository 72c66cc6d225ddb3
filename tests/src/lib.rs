//! Shared helpers for memotrace integration tests.

pub mod capture;
