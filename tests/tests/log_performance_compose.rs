//! `#[log_performance]` composes with `#[tracing::instrument]` in either order (with
//! `#[cached]`: `cached_wrapping_order.rs`).

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
