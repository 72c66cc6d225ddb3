//! `hard_timeout`: a call that takes too long, waiting for its own load or for another
//! caller's, gives up and answers `Err(Timeout.into())`.

use std::fmt;
use std::future::Future;
use std::time::Duration;

/// The error of a `#[cached(hard_timeout = "..")]` call that took longer than its
/// bound; the fn's error type converts from it (`impl From<Timeout> for MyError`).
///
/// ```
/// use memotrace::cache::Timeout;
///
/// #[derive(Debug)]
/// enum FetchError { Timeout(Timeout), NotFound }
///
/// impl From<Timeout> for FetchError {
///     fn from(t: Timeout) -> Self { FetchError::Timeout(t) }
/// }
///
/// #[memotrace::cached(hard_timeout = "2s")]
/// async fn fetch(id: u64) -> Result<String, FetchError> {
///     if id == 0 { return Err(FetchError::NotFound); }
///     Ok(format!("item {id}"))
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeout {
    limit: Duration,
}

impl Timeout {
    /// The bound the call exceeded.
    pub fn limit(&self) -> Duration {
        self.limit
    }
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cached call timed out after {:?}", self.limit)
    }
}

impl std::error::Error for Timeout {}

/// Runs `call` for at most `limit`; past it the call (its lookup, its wait for another
/// caller's load, or its own load) is dropped and `Err(Timeout.into())` answered.
/// Dropping a load wakes the callers waiting for it, each bounded by its own timeout.
///
/// Needs a tokio runtime with its time driver (as `#[tokio::main]` builds); outside any
/// tokio runtime the call runs unbounded rather than failing.
pub async fn hard_timeout<T, E: From<Timeout>>(
    limit: Duration,
    call: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    if tokio::runtime::Handle::try_current().is_err() {
        return call.await;
    }
    match tokio::time::timeout(limit, call).await {
        Ok(returned) => returned,
        Err(_) => {
            tracing::debug!(limit_ms = limit.as_millis() as u64, "cache_hard_timeout");
            // Not answered from the cache: `{fn}_with_status` says `Miss`.
            super::call::answered(super::status::CacheStatus::Miss);
            Err(Timeout { limit }.into())
        }
    }
}
