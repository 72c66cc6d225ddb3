//! The OpenTelemetry ids of the span an event happens in, for the log line and the OTLP
//! log record: read from the tracing-opentelemetry layer's data, when one is installed.

use opentelemetry::trace::{SpanId, TraceContextExt as _, TraceFlags, TraceId};
use tracing::dispatcher::WeakDispatch;
use tracing::span::Id;
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// The ids of an event's span, its trace, and its local root span (the transaction).
pub(crate) struct TraceIds {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub transaction_id: SpanId,
    pub flags: TraceFlags,
}

/// The ids of the event's innermost span when an OpenTelemetry layer of `dispatch` (the
/// subscriber the logging layer is part of) tracks it; `None` outside spans (nothing is
/// looked up) or without such a layer.
pub(crate) fn of_event<S>(
    event: &Event<'_>,
    ctx: &Context<'_, S>,
    dispatch: Option<&WeakDispatch>,
) -> Option<TraceIds>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let mut scope = ctx.event_scope(event)?;
    let innermost = scope.next()?.id();
    let root = scope.last().map_or_else(|| innermost.clone(), |s| s.id());
    let dispatch = dispatch?.upgrade()?;
    {
        let dispatch = &dispatch;
        let span = context_of(&innermost, dispatch)?;
        let transaction_id = if root == innermost {
            span.0
        } else {
            context_of(&root, dispatch).map_or(span.0, |r| r.0)
        };
        Some(TraceIds {
            trace_id: span.1,
            span_id: span.0,
            transaction_id,
            flags: span.2,
        })
    }
}

fn context_of(id: &Id, dispatch: &tracing::Dispatch) -> Option<(SpanId, TraceId, TraceFlags)> {
    let cx = tracing_opentelemetry::get_otel_context(id, dispatch)?;
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid()
        .then(|| (sc.span_id(), sc.trace_id(), sc.trace_flags()))
}
