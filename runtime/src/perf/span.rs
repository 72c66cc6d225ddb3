//! The span `#[log_performance]` opens around a call: its outcome, recorded when the call
//! ends, becomes the span's attributes and (for `Err` and panics) its error status once
//! an OpenTelemetry layer exports it.

use super::run::PerfReport;
use super::site::PerfSite;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing::span::EnteredSpan;
use tracing::Span;

static SPANS: AtomicBool = AtomicBool::new(false);

/// Turns the spans of `#[log_performance]` on or off for every operation. Off by
/// default, so a timed call costs no span; OTLP export
/// ([`Builder::otlp`](crate::log::Builder)) turns them on. Turn them on yourself when
/// another layer (your own `tracing-opentelemetry` setup, a span-based profiler) reads
/// them.
pub fn set_spans(on: bool) {
    SPANS.store(on, Ordering::Relaxed);
}

/// Whether `#[log_performance]` opens spans (see [`set_spans`]).
#[inline]
pub(crate) fn perf_spans_on() -> bool {
    SPANS.load(Ordering::Relaxed)
}

/// The span of a sync call, entered while the call runs; empty when the call is not
/// timed. Opening and closing are out of line, so the untimed path only stores and tests
/// an empty slot.
pub struct PerfSpan(ManuallyDrop<Option<EnteredSpan>>);

impl PerfSpan {
    /// No span: the call is not timed.
    #[inline]
    const fn none() -> Self {
        Self(ManuallyDrop::new(None))
    }

    /// The span of `site`'s call, entered, when the call is timed (`active`) and spans
    /// are on ([`set_spans`]); else none.
    #[inline]
    pub fn open(site: &'static PerfSite, active: bool) -> Self {
        if active && perf_spans_on() {
            Self::enter(site)
        } else {
            Self::none()
        }
    }

    #[inline(never)]
    fn enter(site: &'static PerfSite) -> Self {
        Self(ManuallyDrop::new(Some(site.new_span().entered())))
    }

    /// The span, when there is one.
    #[inline]
    pub fn span(&self) -> Option<&Span> {
        self.0.as_deref()
    }

    #[cold]
    #[inline(never)]
    fn close(&mut self) {
        drop(self.0.take());
    }
}

impl Drop for PerfSpan {
    #[inline]
    fn drop(&mut self) {
        if self.0.is_some() {
            self.close();
        }
    }
}

/// Records how the call ended on its span: `duration_ms`, `success`, `error_type`,
/// `cache.hit` (above `#[cached]`), and `otel.status_code = "ERROR"` on `Err` or panic.
/// Nothing without a span (the call was not timed) or when it is disabled.
pub(crate) fn perf_span_end(span: Option<&Span>, report: PerfReport<'_>, cache_hit: Option<bool>) {
    let Some(span) = span.filter(|s| !s.is_disabled()) else {
        return;
    };
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
