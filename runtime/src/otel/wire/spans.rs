//! `ExportTraceServiceRequest`: the batch's spans under the resource, grouped by
//! instrumentation scope in the order the scopes first appear.

use super::{nanos, EncodedResource, Writer};
use opentelemetry::trace::{SpanId, SpanKind, Status};
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::trace::SpanData;

/// `SpanFlags`: the flags say whether the parent is remote.
const CONTEXT_HAS_IS_REMOTE: u32 = 0x100;
const CONTEXT_IS_REMOTE: u32 = 0x200;

/// The encoded request for `batch`.
pub(crate) fn request(resource: &EncodedResource, batch: &[SpanData]) -> Vec<u8> {
    // Nearly always one scope (memotrace's tracer); the list stays tiny.
    let mut scopes: Vec<&InstrumentationScope> = Vec::new();
    for span in batch {
        if !scopes.contains(&&span.instrumentation_scope) {
            scopes.push(&span.instrumentation_scope);
        }
    }
    resource.request(256 * batch.len() + 256, |w| {
        for scope in scopes {
            w.message(2, |w| {
                w.scope(1, scope.name(), scope);
                for span in batch.iter().filter(|s| &s.instrumentation_scope == scope) {
                    w.message(2, |w| write_span(w, span));
                }
                w.string(3, scope.schema_url().unwrap_or_default());
            });
        }
    })
}

fn write_span(w: &mut Writer, span: &SpanData) {
    let context = &span.span_context;
    w.bytes(1, &context.trace_id().to_bytes());
    w.bytes(2, &context.span_id().to_bytes());
    w.string(3, &context.trace_state().header());
    if span.parent_span_id != SpanId::INVALID {
        w.bytes(4, &span.parent_span_id.to_bytes());
    }
    w.string(5, &span.name);
    w.varint(6, kind(&span.span_kind));
    w.fixed64(7, nanos(span.start_time));
    w.fixed64(8, nanos(span.end_time));
    w.attributes(9, &span.attributes);
    w.varint(10, u64::from(span.dropped_attributes_count));
    for event in span.events.iter() {
        w.message(11, |w| {
            w.fixed64(1, nanos(event.timestamp));
            w.string(2, &event.name);
            w.attributes(3, &event.attributes);
            w.varint(4, u64::from(event.dropped_attributes_count));
        });
    }
    w.varint(12, u64::from(span.events.dropped_count));
    for link in span.links.iter() {
        let context = &link.span_context;
        w.message(13, |w| {
            w.bytes(1, &context.trace_id().to_bytes());
            w.bytes(2, &context.span_id().to_bytes());
            w.string(3, &context.trace_state().header());
            w.attributes(4, &link.attributes);
            w.varint(5, u64::from(link.dropped_attributes_count));
            w.fixed32(6, flags(context.trace_flags().to_u8(), context.is_remote()));
        });
    }
    w.varint(14, u64::from(span.links.dropped_count));
    // Written even when unset, as an empty message.
    w.message(15, |w| match &span.status {
        Status::Unset => {}
        Status::Ok => w.varint(3, 1),
        Status::Error { description } => {
            w.string(2, description);
            w.varint(3, 2);
        }
    });
    w.fixed32(
        16,
        flags(context.trace_flags().to_u8(), span.parent_span_is_remote),
    );
}

/// A span's or link's `flags`: the W3C trace flags, and whether the parent (or the
/// linked span) is remote.
fn flags(trace_flags: u8, remote: bool) -> u32 {
    let remote = if remote { CONTEXT_IS_REMOTE } else { 0 };
    u32::from(trace_flags) | CONTEXT_HAS_IS_REMOTE | remote
}

fn kind(kind: &SpanKind) -> u64 {
    match kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}
