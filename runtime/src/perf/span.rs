//! The span `#[log_performance]` opens around a call: its outcome, recorded when the call
//! ends, becomes the span's attributes and (for `Err` and panics) its error status once
//! an OpenTelemetry layer exports it.

use super::run::PerfReport;
use super::site::PerfSite;
use crate::cache::CacheConfig;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing::field::Value;
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

/// Records a cache lookup on the current span: `cache.hit` and `cache.name`, as the
/// span's own fields when it declares them, otherwise (feature `otel`) as OpenTelemetry
/// attributes. With spans off (the default) a lookup pays one relaxed load.
/// The cache is passed by reference so that its name is read only when spans are on.
#[inline]
pub(crate) fn record_lookup(cache: &CacheConfig, hit: bool) {
    if perf_spans_on() {
        record_lookup_on_current(cache.name, hit);
    }
}

#[cold]
#[inline(never)]
fn record_lookup_on_current(cache: &'static str, hit: bool) {
    let span = Span::current();
    if span.is_disabled() {
        return;
    }
    span.record("cache.hit", hit);
    span.record("cache.name", cache);
    #[cfg(feature = "otel")]
    {
        use tracing_opentelemetry::OpenTelemetrySpanExt as _;
        if !span.has_field("cache.hit") {
            span.set_attribute("cache.hit", hit);
        }
        if !span.has_field("cache.name") {
            span.set_attribute("cache.name", cache);
        }
    }
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

/// Records how the call ended on its span: `duration_ms`, `success`, `error_type`, and
/// `otel.status_code = "ERROR"` on `Err` or panic (`cache.hit` is recorded by the
/// lookup), all in one record, so each layer visits the outcome once. Nothing without a
/// span (the call was not timed) or when it is disabled.
pub(crate) fn perf_span_end(span: Option<&Span>, report: PerfReport<'_>) {
    let Some((span, meta)) = span
        .filter(|s| !s.is_disabled())
        .and_then(|s| Some((s, s.metadata()?)))
    else {
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
    let fields = meta.fields();
    let field = |name| fields.field(name);
    let (Some(duration), Some(ok), Some(error), Some(status)) = (
        field("duration_ms"),
        field("success"),
        field("error_type"),
        field("otel.status_code"),
    ) else {
        return;
    };
    let status_code = error_type.map(|_| "ERROR");
    span.record_all(&fields.value_set(&[
        (&duration, duration_ms.as_ref().map(|ms| ms as &dyn Value)),
        (&ok, Some(&success as &dyn Value)),
        (&error, error_type.as_ref().map(|e| e as &dyn Value)),
        (&status, status_code.as_ref().map(|s| s as &dyn Value)),
    ]));
}
