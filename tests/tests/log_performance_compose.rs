//! `#[log_performance]` composes with `#[tracing::instrument]` and with `#[cached]` in
//! either order.
//!
//! With `#[cached]`, in either order, the timing wraps the function's body, which only
//! runs on a miss: one `operation_completed` per load, none for hits (the cache's own
//! statistics count those).

use memotrace::log_performance;
use memotrace_tests::capture::Capture;

#[log_performance(level = "info")]
#[tracing::instrument(fields(tenant = "acme"))]
fn outer_perf(id: u32) -> u32 {
    tracing::info!("inside_outer_perf");
    id + 1
}

#[tracing::instrument(fields(tenant = "acme"))]
#[log_performance(level = "info")]
fn inner_perf(id: u32) -> u32 {
    id + 2
}

#[tracing::instrument(fields(tenant = "acme"))]
#[log_performance(level = "info")]
async fn inner_perf_async(id: u32) -> Result<u32, String> {
    tokio::task::yield_now().await;
    if id == 0 {
        Err("zero".into())
    } else {
        Ok(id)
    }
}

/// `#[log_performance]` written above `#[instrument]` expands first and leaves
/// `#[instrument]` on its output, which then wraps the timed body: the event is emitted
/// inside the span and carries its fields.
#[test]
fn log_performance_above_instrument_is_inside_the_span() {
    let cap = Capture::json();
    assert_eq!(cap.run(|| outer_perf(1)), 2);
    let inside = cap.one("inside_outer_perf");
    assert_eq!(inside["tenant"], "acme");
    assert_eq!(inside["id"], 1);
    let done = cap.one("operation_completed");
    assert_eq!(done["operation"], "outer_perf");
    assert_eq!(done["tenant"], "acme");
    assert_eq!(done["id"], 1);
}

/// Below `#[instrument]`, the timing wraps the instrumented body: the event comes after
/// the span closed, so it has no span fields — and still exactly one event per call.
#[test]
fn log_performance_below_instrument_wraps_the_span() {
    let cap = Capture::json();
    assert_eq!(cap.run(|| inner_perf(1)), 3);
    let done = cap.one("operation_completed");
    assert_eq!(done["operation"], "inner_perf");
    assert!(done.get("tenant").is_none());

    let rt = cap.runtime();
    assert!(cap.block_on(&rt, inner_perf_async(0)).is_err());
    let failed = cap.one("operation_failed");
    assert_eq!(failed["operation"], "inner_perf_async");
    assert_eq!(failed["error"], "zero");
    assert!(cap.block_on(&rt, inner_perf_async(5)).is_ok());
    assert_eq!(cap.events("operation_completed").len(), 2);
}

static LOADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[memotrace::cached]
#[log_performance(level = "info", name = "load_price")]
fn price_cached_outer(id: u32) -> u32 {
    LOADS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    id * 10
}

#[log_performance(level = "info", name = "load_stock")]
#[memotrace::cached]
async fn stock_perf_outer(id: u32) -> Result<u32, String> {
    tokio::task::yield_now().await;
    if id == 0 {
        Err("no stock".into())
    } else {
        Ok(id)
    }
}

#[test]
fn cached_above_log_performance_times_loads_only() {
    let cap = Capture::json();
    cap.run(|| {
        assert_eq!(price_cached_outer(1), 10);
        assert_eq!(price_cached_outer(1), 10);
        assert_eq!(price_cached_outer(2), 20);
    });
    let events = cap.events("operation_completed");
    assert_eq!(events.len(), 2, "two loads, one hit");
    assert!(events.iter().all(|e| e["operation"] == "load_price"));
    assert_eq!(price_cached_outer_cache().stats().hits, 1);
    assert_eq!(LOADS.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[test]
fn log_performance_above_cached_times_loads_and_reports_failures() {
    let cap = Capture::json();
    let rt = cap.runtime();
    assert_eq!(cap.block_on(&rt, stock_perf_outer(3)), Ok(3));
    assert_eq!(cap.block_on(&rt, stock_perf_outer(3)), Ok(3));
    assert!(cap.block_on(&rt, stock_perf_outer(0)).is_err());
    assert_eq!(
        cap.events("operation_completed").len(),
        1,
        "the hit is not timed"
    );
    let failed = cap.one("operation_failed");
    assert_eq!(failed["operation"], "load_stock");
    assert_eq!(failed["error"], "no stock");
    assert_eq!(stock_perf_outer_cache().stats().hits, 1);
}
