//! Operation timing and the metrics snapshot.
//!
//! `#[log_performance]` records every call's duration and outcome here when metrics are
//! on ([`set_enabled`], or [`Builder::metrics`](crate::log::Builder::metrics)); they are
//! off by default, and then nothing is recorded. [`snapshot`] returns per-operation count,
//! errors and latency percentiles from a lock-free, sharded HDR-style histogram.
//!
//! ```
//! memotrace::perf::set_enabled(true);
//!
//! #[memotrace::log_performance(name = "doc_example")]
//! fn work() -> u32 { 7 }
//!
//! work();
//! let snap = memotrace::perf::snapshot();
//! let op = snap.get("doc_example").unwrap();
//! assert_eq!(op.count, 1);
//! println!("{snap}");
//! ```

pub(crate) mod describe;
mod histogram;
pub(crate) mod run;
pub(crate) mod site;
pub(crate) mod span;

pub use span::set_spans;

use histogram::Histogram;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns metrics recording on or off for every operation.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Whether metrics are being recorded.
#[inline]
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// The metrics of one operation (one `name`).
pub(crate) struct Operation {
    pub name: &'static str,
    pub histogram: Histogram,
}

fn registry() -> &'static Mutex<Vec<Arc<Operation>>> {
    static REGISTRY: OnceLock<Mutex<Vec<Arc<Operation>>>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

/// The operation called `name`, registered on first use; call sites cache it.
pub(crate) fn operation(name: &'static str) -> Arc<Operation> {
    let mut ops = registry()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(op) = ops.iter().find(|op| op.name == name) {
        return Arc::clone(op);
    }
    let op = Arc::new(Operation {
        name,
        histogram: Histogram::new(),
    });
    ops.push(Arc::clone(&op));
    op
}

/// One operation's numbers in a [`Snapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationStats {
    /// The operation name (`name = ".."` or the fn name).
    pub name: &'static str,
    /// Calls that ended (completed, failed, panicked or cancelled).
    pub count: u64,
    /// Calls that returned `Err` or panicked.
    pub errors: u64,
    /// Mean duration.
    pub mean: Duration,
    /// Median duration (≤ 3.1 % above the true value).
    pub p50: Duration,
    /// 95th percentile.
    pub p95: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Longest call.
    pub max: Duration,
}

/// Every operation's metrics at one moment, sorted by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// One entry per operation that recorded at least one call.
    pub operations: Vec<OperationStats>,
}

impl Snapshot {
    /// The stats of `name`.
    pub fn get(&self, name: &str) -> Option<&OperationStats> {
        self.operations.iter().find(|o| o.name == name)
    }
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<32} {:>8} {:>7} {:>10} {:>10} {:>10} {:>10}",
            "operation", "count", "errors", "p50", "p95", "p99", "max"
        )?;
        for o in &self.operations {
            writeln!(
                f,
                "{:<32} {:>8} {:>7} {:>10.3?} {:>10.3?} {:>10.3?} {:>10.3?}",
                o.name, o.count, o.errors, o.p50, o.p95, o.p99, o.max
            )?;
        }
        Ok(())
    }
}

/// Per-operation count, errors and latency percentiles recorded so far.
pub fn snapshot() -> Snapshot {
    let ops = registered();
    let mut operations: Vec<OperationStats> = ops
        .iter()
        .filter_map(|op| {
            let t = op.histogram.totals();
            (t.count > 0).then(|| OperationStats {
                name: op.name,
                count: t.count,
                errors: t.errors,
                mean: Duration::from_nanos(t.sum_ns / t.count),
                p50: Duration::from_nanos(t.p50),
                p95: Duration::from_nanos(t.p95),
                p99: Duration::from_nanos(t.p99),
                max: Duration::from_nanos(t.max_ns),
            })
        })
        .collect();
    operations.sort_by(|a, b| a.name.cmp(b.name));
    Snapshot { operations }
}

/// One operation's latency distribution: calls, total time, and how many calls took at
/// most each of the bounds asked for.
#[cfg(any(feature = "metrics", feature = "otel"))]
pub(crate) struct Distribution {
    pub name: &'static str,
    pub count: u64,
    pub sum: Duration,
    /// Cumulative, one per bound.
    pub at_most: Vec<u64>,
}

/// Every operation that recorded a call, sorted by name, with its counts at `bounds`.
#[cfg(any(feature = "metrics", feature = "otel"))]
pub(crate) fn distributions(bounds: &[Duration]) -> Vec<Distribution> {
    let bounds_ns: Vec<u64> = bounds
        .iter()
        .map(|b| u64::try_from(b.as_nanos()).unwrap_or(u64::MAX))
        .collect();
    let ops = registered();
    let mut out: Vec<Distribution> = ops
        .iter()
        .filter_map(|op| {
            let (count, sum_ns, at_most) = op.histogram.cumulative(&bounds_ns);
            (count > 0).then(|| Distribution {
                name: op.name,
                count,
                sum: Duration::from_nanos(sum_ns),
                at_most,
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(b.name));
    out
}

/// Clears every operation's numbers (the operations stay registered).
pub fn reset() {
    for op in registered() {
        op.histogram.reset();
    }
}

/// Every operation registered so far.
fn registered() -> Vec<Arc<Operation>> {
    registry()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}
