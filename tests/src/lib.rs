//! Shared helpers for memotrace integration tests.

pub mod capture;

use std::time::{Duration, Instant};

/// Waits until `condition` holds, checking every millisecond; panics after `timeout`
/// with `what`. For conditions that a background task makes true and that have no
/// signal of their own to await (e.g. a refreshed cache entry).
pub fn wait_until(timeout: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// An error whose message is the given text, for tests of how errors are logged.
#[derive(Debug)]
pub struct TextError(pub String);

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TextError {}

pub mod http_client;
pub mod mariadb_harness;
pub mod otlp_receiver;
pub mod postgres_harness;
pub mod prometheus_harness;
pub mod redis_harness;
pub mod redis_tls;
pub mod watchdog;
