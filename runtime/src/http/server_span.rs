//! The OpenTelemetry SERVER span of a request (feature `otel`): named `{method} {route}`
//! from axum's `MatchedPath` (the template, not the raw path), child of the caller's span
//! when a valid `traceparent` came in.

use super::TraceContext;
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
};
use std::str::FromStr as _;
use tracing::field::Empty;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// Opens the request's span; `route` is the matched route template when there is one.
pub(super) fn open(method: &str, route: Option<&str>, path: &str, trace: &TraceContext) -> Span {
    let name = match route {
        Some(route) => format!("{method} {route}"),
        None => method.to_owned(),
    };
    let span = tracing::info_span!(
        target: "memotrace::http",
        "http.request",
        otel.name = name,
        otel.kind = "server",
        http.request.method = method,
        http.route = route,
        url.path = path,
        http.response.status_code = Empty,
        otel.status_code = Empty,
    );
    if let Some(parent) = remote_parent(trace) {
        // Fails only without an OpenTelemetry layer, when there is nothing to continue.
        let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(parent));
    }
    span
}

/// Records the response status; a 5xx (or a panic, answered with a 500) is an error.
pub(super) fn close(span: &Span, status_code: u16) {
    span.record("http.response.status_code", i64::from(status_code));
    if status_code >= 500 {
        span.record("otel.status_code", "ERROR");
    }
}

/// The caller's span, from a `traceparent` that was valid (a malformed `tracestate` is
/// left out, never an error).
fn remote_parent(trace: &TraceContext) -> Option<SpanContext> {
    let parent = trace.parent_span_id.as_deref()?;
    let trace_id = TraceId::from_hex(&trace.trace_id).ok()?;
    let span_id = SpanId::from_hex(parent).ok()?;
    let flags = if trace.sampled {
        TraceFlags::SAMPLED
    } else {
        TraceFlags::default()
    };
    let state = trace
        .tracestate
        .as_deref()
        .and_then(|s| TraceState::from_str(s).ok())
        .unwrap_or_default();
    Some(SpanContext::new(trace_id, span_id, flags, true, state))
}
