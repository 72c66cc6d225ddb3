//! The published series, shared by the `metrics` facade, the Prometheus renderer and OTLP
//! metrics export: their names, where each value is read, and the latency buckets.

use crate::cache::CacheStats;
use crate::perf::{distributions, Distribution};
use std::time::Duration;

/// One cache counter: its metric name and where it is read in [`CacheStats`].
pub(crate) type CacheCounter = (&'static str, fn(&CacheStats) -> u64);

/// Every cache counter, labelled `cache`.
pub(crate) const CACHE_COUNTERS: [CacheCounter; 12] = [
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

/// The cache gauges, labelled `cache`.
pub(crate) const CACHE_GAUGES: [CacheCounter; 2] = [
    ("memotrace_cache_entries", |s| s.entries),
    ("memotrace_cache_capacity", |s| s.capacity),
];

/// Calls of each operation, labelled `operation`.
pub(crate) const OPERATION_CALLS: &str = "memotrace_operation_calls_total";
/// Calls that returned `Err` or panicked, labelled `operation`.
pub(crate) const OPERATION_ERRORS: &str = "memotrace_operation_errors_total";

/// The latency histogram's metric name.
pub(crate) const DURATION: &str = "memotrace_operation_duration_seconds";

/// The latency bucket bounds, in seconds: 0.5 ms to 10 s.
pub(crate) const BOUNDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Every operation's latency distribution at [`BOUNDS`], read now.
pub(crate) fn durations() -> Vec<Distribution> {
    distributions(&BOUNDS.map(Duration::from_secs_f64))
}
