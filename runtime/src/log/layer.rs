//! The `tracing` layer that renders events with span fields and bound context.

use super::render::{Check, FieldRef, Line, NoTap, Statics, Tap};
use super::writer::LineSink;
use super::{context, Format, Redactor, Value};
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

#[cfg(feature = "otel")]
use crate::otel::ids::TraceIds;
/// Without OpenTelemetry no event has trace ids.
#[cfg(not(feature = "otel"))]
enum TraceIds {}

/// memotrace's formatting layer: JSON, ECS or pretty lines with the fields of the event,
/// of its spans and of the bound context flattened (innermost wins), redacted, plus the
/// service fields. Built by [`Builder::layer`](super::Builder::layer), or use
/// [`Builder::init`](super::Builder::init) which installs it.
#[derive(Clone)]
pub struct MemotraceLayer {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub format: Format,
    pub ansi: bool,
    pub redactor: Redactor,
    pub statics: Statics,
    pub sink: Box<dyn LineSink>,
    /// OTLP log export, when on.
    #[cfg(feature = "otel")]
    pub otel_logger: Option<opentelemetry_sdk::logs::SdkLogger>,
    /// The subscriber this layer is part of, where the OpenTelemetry layer keeps the span
    /// ids (`get_default` inside a callback is the no-op dispatcher).
    #[cfg(feature = "otel")]
    pub dispatch: std::sync::OnceLock<tracing::dispatcher::WeakDispatch>,
}

impl fmt::Debug for MemotraceLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemotraceLayer")
            .field("format", &self.inner.format)
            .finish_non_exhaustive()
    }
}

impl MemotraceLayer {
    pub(crate) fn new(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }
}

/// The fields a span was created or recorded with.
#[derive(Default)]
struct SpanFields(Vec<(&'static str, Value)>);

impl SpanFields {
    fn set(&mut self, key: &'static str, value: Value) {
        // `otel.*` fields tell an OpenTelemetry layer how to export the span (its name,
        // kind, status); they are not data of the events inside it.
        if key.starts_with("otel.") {
            return;
        }
        if let Some(slot) = self.0.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            self.0.push((key, value));
        }
    }
}

impl Visit for SpanFields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.set(field.name(), Value::F64(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.set(field.name(), Value::I64(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.set(field.name(), Value::U64(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.set(field.name(), Value::Bool(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.set(field.name(), text_value(value.to_owned()));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let sources = std::iter::successors(value.source(), |s| s.source())
            .map(ToString::to_string)
            .collect();
        self.set(
            field.name(),
            Value::Error {
                message: value.to_string(),
                sources,
            },
        );
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.set(field.name(), text_value(format!("{value:?}")));
    }
}

/// A span's text value: JSON text (an object or array, leading blanks allowed) is parsed
/// once here and kept as [`Value::Json`]; it is redacted when written, like any value.
fn text_value(text: String) -> Value {
    let trimmed = text.trim_ascii_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(json) = serde_json::from_str(trimmed) {
            return Value::Json(json);
        }
    }
    Value::Str(text.into())
}

/// Writes the message of an event, nothing else.
struct MessageVisitor<'l, 'a, 'k, T: Tap>(&'l mut Line<'a, 'k, T>, bool);

impl<T: Tap> Visit for MessageVisitor<'_, '_, '_, T> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" && !self.1 {
            self.1 = true;
            self.0.message(&value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" && !self.1 {
            self.1 = true;
            self.0.message(&DebugAsDisplay(value));
        }
    }
}

struct DebugAsDisplay<'a>(&'a dyn fmt::Debug);
impl fmt::Display for DebugAsDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Writes every field of an event but its message.
struct FieldVisitor<'l, 'a, 'k, T: Tap>(&'l mut Line<'a, 'k, T>);

impl<T: Tap> FieldVisitor<'_, '_, '_, T> {
    fn put(&mut self, field: &Field, value: &FieldRef<'_>) {
        let name = field.name();
        if name != "message" && !name.starts_with("log.") {
            self.0.field_static(name, value);
        }
    }
}

impl<T: Tap> Visit for FieldVisitor<'_, '_, '_, T> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, &FieldRef::F64(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, &FieldRef::I64(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, &FieldRef::U64(value));
    }
    fn record_i128(&mut self, field: &Field, value: i128) {
        self.put(field, &FieldRef::I128(value));
    }
    fn record_u128(&mut self, field: &Field, value: u128) {
        self.put(field, &FieldRef::U128(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, &FieldRef::Bool(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, &FieldRef::Str(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, &FieldRef::Error(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, &FieldRef::Debug(value));
    }
}

thread_local! {
    static BUFFER: RefCell<String> = RefCell::new(String::with_capacity(512));
}

impl<S> tracing_subscriber::Layer<S> for MemotraceLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    #[cfg(feature = "otel")]
    fn on_register_dispatch(&self, subscriber: &tracing::Dispatch) {
        let _ = self.inner.dispatch.set(subscriber.downgrade());
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = SpanFields::default();
        attrs.record(&mut fields);
        // A span without values yet (`#[log_performance]`'s) stores nothing until one is
        // recorded.
        if fields.0.is_empty() {
            return;
        }
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut ext = span.extensions_mut();
            if let Some(fields) = ext.get_mut::<SpanFields>() {
                values.record(fields);
            } else {
                let mut fields = SpanFields::default();
                values.record(&mut fields);
                ext.insert(fields);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        #[cfg(feature = "otel")]
        let ids = crate::otel::ids::of_event(
            event,
            &ctx,
            self.inner.dispatch.get(),
            self.inner.format == Format::Ecs,
        );
        #[cfg(not(feature = "otel"))]
        let ids = None;
        let render = |buf: &mut String| {
            buf.clear();
            #[cfg(feature = "otel")]
            if let Some(logger) = &self.inner.otel_logger {
                return self.render_exported(buf, logger, event, &ctx, ids.as_ref());
            }
            self.render(
                buf,
                self.inner.format,
                event,
                &ctx,
                ids.as_ref(),
                &mut NoTap,
            );
            self.inner.sink.write_line(buf.as_bytes());
        };
        let done = BUFFER.try_with(|b| match b.try_borrow_mut() {
            Ok(mut buf) => {
                render(&mut buf);
                true
            }
            Err(_) => false,
        });
        if done != Ok(true) {
            render(&mut String::new());
        }
    }
}

impl MemotraceLayer {
    /// Writes the line and emits the event's OTLP log record, whose fields are the ones
    /// a JSON line shows, values redacted and masked alike: handed over while that line
    /// is written (the same pass when the lines are JSON, a second one otherwise).
    #[cfg(feature = "otel")]
    fn render_exported<S>(
        &self,
        buf: &mut String,
        logger: &opentelemetry_sdk::logs::SdkLogger,
        event: &Event<'_>,
        ctx: &Context<'_, S>,
        ids: Option<&TraceIds>,
    ) where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let mut record = crate::otel::logs::RecordTap::new(logger, *event.metadata().level());
        let format = self.inner.format;
        if format == Format::Json {
            self.render(buf, format, event, ctx, ids, &mut record);
            self.inner.sink.write_line(buf.as_bytes());
        } else {
            self.render(buf, format, event, ctx, ids, &mut NoTap);
            self.inner.sink.write_line(buf.as_bytes());
            buf.clear();
            self.render(buf, Format::Json, event, ctx, ids, &mut record);
        }
        record.emit(logger, ids);
    }

    fn render<S, T: Tap>(
        &self,
        buf: &mut String,
        format: Format,
        event: &Event<'_>,
        ctx: &Context<'_, S>,
        #[cfg_attr(not(feature = "otel"), allow(unused_variables))] ids: Option<&TraceIds>,
        tap: &mut T,
    ) where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let inner = &*self.inner;
        let meta = event.metadata();
        let bound = context::Logger::current();
        let mut line = Line::new(buf, format, inner.ansi, &inner.redactor, tap);
        line.begin(*meta.level(), meta.target());
        let mut mv = MessageVisitor(&mut line, false);
        event.record(&mut mv);
        line.logger(meta.target());
        event.record(&mut FieldVisitor(&mut line));
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope {
                let ext = span.extensions();
                if let Some(fields) = ext.get::<SpanFields>() {
                    for (k, v) in &fields.0 {
                        line.field_static(k, &FieldRef::Owned(v));
                    }
                }
            }
        }
        #[cfg(feature = "otel")]
        if let Some(ids) = ids {
            line.trace_ids(ids);
        }
        for (k, v) in bound.fields() {
            let check = match k {
                std::borrow::Cow::Borrowed(name) => Check::Static(name),
                std::borrow::Cow::Owned(_) => Check::Dynamic,
            };
            line.field(k, check, &FieldRef::Owned(v));
        }
        line.pretty_logger(meta.target());
        line.finish(&inner.statics);
    }
}
