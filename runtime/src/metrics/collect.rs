//! Copies the current cache and operation numbers into the installed recorder.

use crate::cache::CacheStats;
use metrics::{counter, gauge};

/// One cache counter: its metric name and where it is read in [`CacheStats`].
type CacheCounter = (&'static str, fn(&CacheStats) -> u64);

const CACHE_COUNTERS: [CacheCounter; 12] = [
    ("memotrace_cache_hits_total", |s| s.hits),
    ("memotrace_cache_misses_total", |s| s.misses),
    ("memotrace_cache_loads_total", |s| s.loads),
    ("memotrace_cache_load_errors_total", |s| s.load_errors),
    ("memotrace_cache_evictions_total", |s| s.evictions),
    ("memotrace_cache_stale_served_total", |s| s.stale_served),
    ("memotrace_cache_store_errors_total", |s| s.store_errors),
    ("memotrace_cache_refreshes_total", |s| s.refreshes),
    ("memotrace_cache_bypassed_total", |s| s.bypassed),
    ("memotrace_cache_invalidations_total", |s| s.invalidations),
    ("memotrace_cache_decode_errors_total", |s| s.decode_errors),
    ("memotrace_cache_lock_timeouts_total", |s| s.lock_timeouts),
];

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
        gauge!("memotrace_cache_entries", "cache" => name).set(cache.stats.entries as f64);
        gauge!("memotrace_cache_capacity", "cache" => name).set(cache.stats.capacity as f64);
    }
    for op in crate::perf::snapshot().operations {
        let name = op.name;
        counter!("memotrace_operation_calls_total", "operation" => name).absolute(op.count);
        counter!("memotrace_operation_errors_total", "operation" => name).absolute(op.errors);
    }
}
