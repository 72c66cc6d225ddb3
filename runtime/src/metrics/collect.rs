//! Copies the current cache and operation numbers into the installed recorder.

use super::series::{CACHE_COUNTERS, CACHE_GAUGES, OPERATION_CALLS, OPERATION_ERRORS};
use metrics::{counter, gauge};

/// Copies every registered cache's statistics and every operation's count, errors and
/// latency histogram into the `metrics` recorder installed now (a no-op without one).
///
/// Call it right before an exporter renders or exports. Not needed with
/// [`prometheus`](super::prometheus): [`Prometheus::render`](super::Prometheus::render)
/// reads the same values and renders the latency as a native histogram.
pub fn collect() {
    counts();
    super::histogram::record();
}

/// The cache statistics and the operations' call and error counts.
#[allow(clippy::cast_precision_loss)]
pub(super) fn counts() {
    for cache in crate::cache::registry() {
        let name = cache.name;
        for (metric, read) in CACHE_COUNTERS {
            counter!(metric, "cache" => name).absolute(read(&cache.stats));
        }
        for (metric, read) in CACHE_GAUGES {
            gauge!(metric, "cache" => name).set(read(&cache.stats) as f64);
        }
    }
    for op in crate::perf::snapshot().operations {
        let name = op.name;
        counter!(OPERATION_CALLS, "operation" => name).absolute(op.count);
        counter!(OPERATION_ERRORS, "operation" => name).absolute(op.errors);
    }
}
