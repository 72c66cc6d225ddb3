//! Fail-open: a Redis failure is a miss (or a dropped write), counted and warned about at
//! most once per interval, never a panic or an error returned to the caller.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Why a Redis call did not give an answer.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The server answered with an error, or the connection failed.
    Redis(redis::RedisError),
    /// The call took longer than the configured bound.
    Timeout(Duration),
    /// The stored bytes did not decode.
    Decode(String),
    /// The value did not encode.
    Encode(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Redis(e) => write!(f, "redis: {e}"),
            Self::Timeout(d) => write!(f, "redis call timed out after {d:?}"),
            Self::Decode(e) => write!(f, "undecodable entry: {e}"),
            Self::Encode(e) => write!(f, "unencodable value: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl StoreError {
    /// What is wrong when the server refused the credentials or a permission (the
    /// backend warns about these once for all its caches).
    pub(crate) fn access_problem(&self) -> Option<&'static str> {
        match self {
            Self::Redis(e) => super::endpoint::access_problem(e),
            _ => None,
        }
    }
}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        Self::Redis(e)
    }
}

/// What a Redis call returns inside memotrace.
pub type StoreResult<T> = Result<T, StoreError>;

/// At most one warning per interval; counts the ones it held back.
#[derive(Default)]
pub(crate) struct WarnThrottle {
    next_warn_ms: AtomicU64,
    suppressed: AtomicU64,
}

impl WarnThrottle {
    /// `Some(held back since the last one)` when a warning may go out now.
    pub(super) fn due(&self, interval: Duration) -> Option<u64> {
        let now = super::codec::unix_ms();
        let due = self.next_warn_ms.load(Ordering::Relaxed);
        let next = now.saturating_add(u64::try_from(interval.as_millis()).unwrap_or(u64::MAX));
        if now >= due
            && self
                .next_warn_ms
                .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            Some(self.suppressed.swap(0, Ordering::Relaxed))
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

/// Counters of one cache's store failures, and its rate-limited warning.
#[derive(Default)]
pub(crate) struct FailOpen {
    pub store_errors: AtomicU64,
    pub decode_errors: AtomicU64,
    pub lock_timeouts: AtomicU64,
    warning: WarnThrottle,
}

impl FailOpen {
    /// Counts `error` and logs it unless a warning went out less than `interval` ago, or
    /// it is an access problem (the backend warns about those).
    pub(crate) fn record(
        &self,
        cache: &str,
        op: &'static str,
        error: &StoreError,
        interval: Duration,
    ) {
        let counter = match error {
            StoreError::Decode(_) => &self.decode_errors,
            _ => &self.store_errors,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if error.access_problem().is_some() {
            return;
        }
        if let Some(suppressed) = self.warning.due(interval) {
            tracing::warn!(cache, op, %error, suppressed, "cache_store_failed_open");
        }
    }

    /// Counts a load whose distributed lock was lost before it finished (its lease
    /// lapsed, or another caller took the lock) and logs it, rate-limited like
    /// [`FailOpen::record`].
    pub(crate) fn lock_lost(&self, cache: &str, key: &str, interval: Duration) {
        self.lock_timeouts.fetch_add(1, Ordering::Relaxed);
        if let Some(suppressed) = self.warning.due(interval) {
            tracing::warn!(cache, key, suppressed, "cache_lock_lost");
        }
    }

    /// Sets the failure counters back to 0.
    pub(crate) fn reset(&self) {
        for counter in [&self.store_errors, &self.decode_errors, &self.lock_timeouts] {
            counter.store(0, Ordering::Relaxed);
        }
    }

    pub(crate) fn fill(&self, stats: &mut crate::cache::CacheStats) {
        stats.store_errors = self.store_errors.load(Ordering::Relaxed);
        stats.decode_errors = self.decode_errors.load(Ordering::Relaxed);
        stats.lock_timeouts = self.lock_timeouts.load(Ordering::Relaxed);
    }
}
