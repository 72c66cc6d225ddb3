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
    /// The local root's span id; the event's own when it was not asked for.
    pub transaction_id: SpanId,
    pub flags: TraceFlags,
}

impl TraceIds {
    /// The trace id in lower-case hex, as lines show it.
    pub(crate) fn trace_hex(&self) -> Hex<32> {
        Hex::of(&self.trace_id.to_bytes())
    }

    /// The span id in lower-case hex.
    pub(crate) fn span_hex(&self) -> Hex<16> {
        Hex::of(&self.span_id.to_bytes())
    }

    /// The transaction's span id in lower-case hex.
    pub(crate) fn transaction_hex(&self) -> Hex<16> {
        Hex::of(&self.transaction_id.to_bytes())
    }
}

/// An id in lower-case hex, on the stack (`N` digits).
pub(crate) struct Hex<const N: usize>([u8; N]);

impl<const N: usize> Hex<N> {
    fn of(bytes: &[u8]) -> Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [b'0'; N];
        for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0xf)];
        }
        Self(out)
    }

    /// The digits.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// The ids of the event's innermost span when an OpenTelemetry layer of `dispatch` (the
/// subscriber the logging layer is part of) tracks it; `None` outside spans (nothing is
/// looked up) or without such a layer. The local root (the transaction, ECS lines) is
/// looked up only when `transaction` is asked for.
pub(crate) fn of_event<S>(
    event: &Event<'_>,
    ctx: &Context<'_, S>,
    dispatch: Option<&WeakDispatch>,
    transaction: bool,
) -> Option<TraceIds>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let mut scope = ctx.event_scope(event)?;
    let innermost = scope.next()?.id();
    let dispatch = dispatch?.upgrade()?;
    let span = context_of(&innermost, &dispatch)?;
    let transaction_id = match scope.last() {
        Some(root) if transaction => context_of(&root.id(), &dispatch).map_or(span.0, |r| r.0),
        _ => span.0,
    };
    Some(TraceIds {
        trace_id: span.1,
        span_id: span.0,
        transaction_id,
        flags: span.2,
    })
}

fn context_of(id: &Id, dispatch: &tracing::Dispatch) -> Option<(SpanId, TraceId, TraceFlags)> {
    let cx = tracing_opentelemetry::get_otel_context(id, dispatch)?;
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid()
        .then(|| (sc.span_id(), sc.trace_id(), sc.trace_flags()))
}

#[cfg(test)]
mod tests {
    use super::Hex;

    #[test]
    fn hex_is_lower_case_and_zero_padded() {
        assert_eq!(
            Hex::<16>::of(&[0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]).as_str(),
            "00f067aa0ba902b7"
        );
    }
}
