//! The span `#[log_performance]` opens around a call: its outcome, recorded when the call
//! ends, becomes the span's attributes and (for `Err` and panics) its error status once
//! an OpenTelemetry layer exports it.

use super::run::PerfReport;
use tracing::Span;

/// Records how the call ended on its span: `duration_ms`, `success`, `error_type`,
/// `cache.hit` (above `#[cached]`), and `otel.status_code = "ERROR"` on `Err` or panic.
/// Nothing when the span is disabled.
pub fn perf_span_end(span: &Span, report: PerfReport<'_>, cache_hit: Option<bool>) {
    if span.is_disabled() {
        return;
    }
    let (duration_ms, success, error_type) = match report {
        PerfReport::Completed { duration_ms, .. } => (duration_ms, true, None),
        PerfReport::Failed {
            duration_ms,
            error_type,
            ..
        } => (duration_ms, false, Some(error_type)),
        PerfReport::Panicked { duration_ms, .. } => (duration_ms, false, Some("panic")),
        PerfReport::Cancelled { duration_ms } => (duration_ms, false, None),
    };
    if let Some(ms) = duration_ms {
        span.record("duration_ms", ms);
    }
    span.record("success", success);
    if let Some(hit) = cache_hit {
        span.record("cache.hit", hit);
    }
    if let Some(error_type) = error_type {
        span.record("error_type", error_type);
        span.record("otel.status_code", "ERROR");
    }
}
