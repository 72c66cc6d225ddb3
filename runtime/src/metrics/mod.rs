//! Cache statistics and operation timings through the [`metrics`](https://docs.rs/metrics) facade
//! (feature `metrics`).
//!
//! Nothing is added to the hot paths: a cache hit still bumps only its own counter.
//! [`collect`] copies the current values of every cache's
//! [`CacheStats`](crate::cache::CacheStats) and every `#[log_performance]` operation's
//! numbers ([`perf::snapshot`](crate::perf::snapshot)) into the installed recorder; an
//! exporter calls it right before it renders, so the values are read at scrape time.
//!
//! Published metrics (`cache` is the cache's name, `operation` the operation's):
//!
//! | metric | type |
//! |---|---|
//! | `memotrace_cache_{hits,misses,loads,load_errors,evictions,stale_served,store_errors}_total{cache}` | counter |
//! | `memotrace_cache_{refreshes,bypassed,invalidations,decode_errors,lock_timeouts}_total{cache}` | counter |
//! | `memotrace_cache_entries{cache}`, `memotrace_cache_capacity{cache}` | gauge |
//! | `memotrace_operation_calls_total{operation}`, `memotrace_operation_errors_total{operation}` | counter |
//! | `memotrace_operation_duration_seconds{operation}` (buckets 0.5 ms … 10 s) | histogram |
//!
//! [`prometheus`] installs a Prometheus recorder and returns a handle whose
//! [`render`](Prometheus::render) collects and renders the text format, the body of a
//! `/metrics` response:
//!
//! ```
//! #[memotrace::cached]
//! fn square(x: u64) -> u64 { x * x }
//!
//! let prom = memotrace::metrics::prometheus().expect("no other metrics recorder installed");
//! square(3);
//! assert!(prom.render().contains("memotrace_cache_misses_total"));
//! // with axum:
//! // Router::new().route("/metrics", get(move || async move { prom.render() }))
//! ```
//!
//! With a recorder of your own (another exporter), call [`collect`] before it exports.
//!
//! With OTLP export on (feature `otel`), the same series are also exported as OTLP
//! metrics, read by callbacks when the periodic reader collects (see the README).

#[cfg(feature = "metrics")]
mod collect;
#[cfg(feature = "metrics")]
mod histogram;
#[cfg(feature = "metrics")]
mod prometheus;
pub(crate) mod series;

#[cfg(feature = "metrics")]
pub use collect::collect;
#[cfg(feature = "metrics")]
pub use prometheus::{prometheus, Prometheus};
