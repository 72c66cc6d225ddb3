//! # memotrace
//!
//! Caching, structured logging and operation timing for Rust services, in a few
//! annotations: [`cached`], [`log_performance`] and [`instrument_db`], backed by the
//! stores in [`cache`], the logging runtime in [`log`], operation metrics in [`perf`] and
//! query events in [`db`].
//!
//! ## Quick start
//!
//! ```toml
//! [dependencies]
//! memotrace = "0.1"
//! tracing = "0.1"
//! ```
//!
//! ```rust
//! use memotrace::{cached, log_performance};
//!
//! // Memoised for ten minutes, at most 1 000 entries; each load is timed and logged.
//! #[cached(ttl = "10m", max_capacity = 1_000)]
//! #[log_performance(level = "info", name = "load_permissions")]
//! fn user_permissions(user_id: u64) -> Vec<String> {
//!     vec![format!("read:{user_id}"), format!("write:{user_id}")] // the expensive query
//! }
//!
//! fn main() {
//!     // Logging from the environment: APP_ENV=development (the default) prints pretty
//!     // lines at debug, staging and production print JSON; RUST_LOG overrides the filter.
//!     let _log = memotrace::log::init().expect("logging is initialised once");
//!     memotrace::perf::set_enabled(true);
//!
//!     // Every event inside the scope carries request_id and user_id.
//!     let request = memotrace::log::Logger::new()
//!         .bind("request_id", "req-789")
//!         .bind("user_id", 7);
//!     let _scope = request.enter();
//!
//!     assert_eq!(user_permissions(7), ["read:7", "write:7"]); // loads: operation_completed
//!     assert_eq!(user_permissions(7), ["read:7", "write:7"]); // answered from memory
//!
//!     let stats = user_permissions_cache().stats();
//!     assert_eq!((stats.hits, stats.misses, stats.loads), (1, 1, 1));
//!     assert!(user_permissions_invalidate(7)); // drops the entry for these arguments
//!
//!     // Sensitive fields are redacted in every format: password=***REDACTED***
//!     tracing::warn!(password = "hunter2", attempts = 3, "login_failed");
//!
//!     let timed = memotrace::perf::snapshot();
//!     assert_eq!(timed.get("load_permissions").map(|op| op.count), Some(1));
//! }
//! ```
//!
//! `#[cached]` also writes `{fn}_put` (write-through) and `{fn}_uncached`, works on async
//! fns and methods, and takes `tags`, `refresh_ahead`, `stale_if_error`, `key`, `when` and
//! `unless`; see [`cached`]. [`cache::registry`] lists every cache with its statistics and
//! [`cache::invalidate_tag`] drops tagged entries in every cache.
//!
//! ## Features
//!
//! Nothing is on by default: the memory store, logging, timing and `#[instrument_db]`
//! need no feature.
//!
//! | feature | what it adds |
//! |---|---|
//! | `redis` | `cache::redis`: `#[cached(store = redis)]` (Redis or Redis Cluster) and `store = tiered` (memory L1 in front of Redis L2), with distributed single-flight, fail-open behaviour and a typed `RedisClient`; JSON values |
//! | `redis-msgpack` | `redis`, plus the MessagePack codec `cache::redis::MsgPackCodec` |
//! | `redis-tls` | `redis`, plus `rediss://` with custom roots and client certificates |
//! | `http` | `http`: a tower/axum layer binding `request_id` and the request's OpenTelemetry fields (`http.request.method`, `url.path`, `http.route`, `client.address`, …) to every event of a request, logging its start and end, and answering a handler panic with a 500 |
//! | `metrics` | `metrics`: every cache's statistics and every operation's counts and latency histogram through the `metrics` facade, read at scrape time; `metrics::prometheus()` for a `/metrics` body |
//! | `rusqlite` | `db::rusqlite`: query events for every statement of a rusqlite connection, through SQLite's trace hooks |
//! | `sqlx` | `db::sqlx`: an `Executor` wrapper that logs every query run through a sqlx pool or connection, and a `Transaction` on which cache invalidations wait for the commit (`#[invalidates(transaction = tx)]`) |
//! | `otel` | OpenTelemetry: `log::Builder::otlp` (or `OTEL_EXPORTER_OTLP_ENDPOINT`) exports spans (`#[log_performance]`, `db.query`, the HTTP server span), log records and the cache and operation metrics over OTLP/HTTP, and puts `trace_id`/`span_id` in JSON lines |
//! | `otel-grpc` | `otel`, and OTLP over gRPC (tonic): `log::Builder::otlp_protocol(log::OtlpProtocol::Grpc)` or `OTEL_EXPORTER_OTLP_PROTOCOL=grpc` |
//!
//! Without the `redis` feature, `#[cached(store = redis)]` is a compile error naming the
//! feature to enable.
//!
//! ## Minimum supported Rust version
//!
//! The `rust-version` in `Cargo.toml` is the highest one any dependency declares with every
//! feature on (`scripts/msrv.sh` computes it from the lock file).

#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs, unreachable_pub)]

pub mod cache;
pub mod db;
pub mod log;
pub mod perf;

#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;

#[cfg(feature = "metrics")]
pub mod metrics;
// Only the series OTLP metrics export shares with the `metrics` feature.
#[cfg(all(feature = "otel", not(feature = "metrics")))]
mod metrics;

#[cfg(feature = "otel")]
mod otel;

#[doc(hidden)]
pub mod __private;

#[doc(inline)]
pub use memotrace_macros::{cached, instrument_db, invalidates, log_performance};

/// The README's Rust blocks, compiled and run as doctests.
#[cfg(all(
    doctest,
    feature = "redis",
    feature = "rusqlite",
    feature = "http",
    feature = "metrics",
    feature = "sqlx"
))]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
