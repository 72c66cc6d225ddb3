//! Spans through the bounded processor: the tracer's span processor.

use super::{Bounded, Signal};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};
use std::time::Duration;

/// Sampled spans, exported by `E`.
pub(crate) struct Spans<E>(pub(crate) E);

impl<E: SpanExporter + 'static> Signal for Spans<E> {
    type Queued = Box<SpanData>;
    type Batched = SpanData;
    const THREAD: &'static str = "memotrace-otlp-spans";

    fn add(mut queued: Box<SpanData>, batch: &mut Vec<SpanData>) {
        last_values_win(&mut queued.attributes);
        batch.push(*queued);
    }

    fn export(&mut self, batch: Vec<SpanData>) -> OTelSdkResult {
        futures_executor::block_on(self.0.export(batch))
    }

    fn shutdown(&mut self) -> OTelSdkResult {
        self.0.shutdown()
    }

    fn warn(dropped: u64, new: u64, error: Option<String>) {
        tracing::warn!(
            target: "memotrace::otel",
            dropped_spans = dropped,
            new,
            error,
            "otel_spans_dropped"
        );
    }
}

impl<E: SpanExporter + 'static> SpanProcessor for Bounded<Spans<E>> {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        if span.span_context.is_sampled() {
            self.push(Box::new(span));
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.stop(timeout)
    }
}

/// Keeps one attribute per key, the last one set. tracing-opentelemetry and the SDK
/// append every recorded value, while OpenTelemetry defines setting an attribute again
/// as replacing it: a tiered lookup records its L1 miss, then its L2 answer.
fn last_values_win(attributes: &mut Vec<KeyValue>) {
    let mut i = 0;
    while i < attributes.len() {
        if attributes[i + 1..]
            .iter()
            .any(|later| later.key == attributes[i].key)
        {
            attributes.remove(i);
        } else {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::last_values_win;
    use opentelemetry::KeyValue;

    #[test]
    fn the_last_value_of_a_key_wins_and_the_order_is_kept() {
        let mut attributes = vec![
            KeyValue::new("cache.hit", false),
            KeyValue::new("success", true),
            KeyValue::new("cache.name", "a"),
            KeyValue::new("cache.hit", true),
            KeyValue::new("cache.name", "a"),
        ];
        last_values_win(&mut attributes);
        assert_eq!(
            attributes,
            [
                KeyValue::new("success", true),
                KeyValue::new("cache.hit", true),
                KeyValue::new("cache.name", "a"),
            ]
        );
    }
}
