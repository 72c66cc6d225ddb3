//! # memotrace
//!
//! Caching, structured logging and operation timing for Rust services, in a few
//! annotations: [`cached`], [`log_performance`] and [`instrument_db`], backed by the
//! stores in [`cache`], the logging runtime in [`log`], operation metrics in [`perf`] and
//! query events in [`db`].

pub mod cache;
pub mod db;
pub mod log;
pub mod perf;

#[cfg(feature = "http")]
pub mod http;

#[cfg(feature = "metrics")]
pub mod metrics;

#[doc(hidden)]
pub mod __private;

#[doc(inline)]
pub use memotrace_macros::{cached, instrument_db, log_performance};
