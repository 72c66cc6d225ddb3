//! The soft `timeout`: while a stale value is held (`stale_if_error`), a load that takes
//! longer than the timeout answers the stale value and goes on in the background.

use super::stats::Counters;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Awaits `load` for at most `limit` (`None`: unbounded); past it, hands back the load,
/// still pending, to finish in the background. Outside a tokio runtime (which the timer
/// needs) the load runs unbounded.
pub(crate) async fn within<F: Future>(
    limit: Option<Duration>,
    load: F,
) -> Result<F::Output, Pin<Box<F>>> {
    let Some(limit) = limit.filter(|_| tokio::runtime::Handle::try_current().is_ok()) else {
        return Ok(load.await);
    };
    let mut load = Box::pin(load);
    match tokio::time::timeout(limit, &mut load).await {
        Ok(returned) => Ok(returned),
        Err(_) => Err(load),
    }
}

/// Counts (and logs at debug level) a call answered with the stale value after the soft
/// timeout.
pub(crate) fn record(counters: &Counters, cache: &'static str) {
    Counters::bump(&counters.soft_timeouts);
    Counters::bump(&counters.stale_served);
    tracing::debug!(cache, "cache_soft_timeout");
}
