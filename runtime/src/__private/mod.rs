//! What generated code calls. Not public API: it changes without notice; the macro
//! crate is pinned to this exact runtime version. Re-exports only: the logic lives in
//! `cache`, `perf` and `db`.

mod cache;

pub use crate::db::call::Params as DbParams;
pub use crate::db::call::{DbCall, DbSite};
pub use crate::db::deferred::{
    defer, delete_again, invalidation, Borrowed, Cloned, Defer, Invalidation, Keep, KeepBorrowed,
    KeepOwned,
};
pub use crate::perf::describe::{
    Capture, CaptureClone, CaptureCopy, CaptureDebug, DescribeError, ErrProbe,
};
pub use crate::perf::run::{perf_typed, CacheHit, PerfFuture, PerfReport, PerfRun};
pub use crate::perf::site::{
    perf_errors_on, perf_metrics_on, PerfFieldNames, PerfLocation, PerfSite,
};
pub use crate::perf::span::PerfSpan;
pub use cache::*;
pub use tracing;
