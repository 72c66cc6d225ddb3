//! Log records over OTLP: each event with the fields and values its JSON line shows
//! (span fields and bound context added, sensitive fields redacted, free text masked),
//! handed over by the renderer while it writes the line; nothing is parsed back from the
//! line. The line's service, version and environment are the resource's attributes, its
//! trace ids the record's trace context.

use super::ids::TraceIds;
use crate::log::render::{Tap, Tapped};
use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, Severity};
use opentelemetry::Key;
use opentelemetry_sdk::logs::{SdkLogRecord, SdkLogger};
use std::time::SystemTime;

/// The OTLP log record of one event, filled while its JSON line is written.
pub(crate) struct RecordTap {
    record: SdkLogRecord,
    /// The `'static` name of the field about to be handed over, if it has one.
    name: Option<&'static str>,
}

impl RecordTap {
    /// An empty record at `level`.
    pub(crate) fn new(logger: &SdkLogger, level: tracing::Level) -> Self {
        let mut record = logger.create_log_record();
        let (number, text) = severity(level);
        record.set_severity_number(number);
        record.set_severity_text(text);
        Self { record, name: None }
    }

    /// Sends the record, in the trace of `ids` when the event has a span.
    pub(crate) fn emit(mut self, logger: &SdkLogger, ids: Option<&TraceIds>) {
        if let Some(ids) = ids {
            self.record
                .set_trace_context(ids.trace_id, ids.span_id, Some(ids.flags));
        }
        logger.emit(self.record);
    }
}

impl Tap for RecordTap {
    fn time(&mut self, now: SystemTime) {
        self.record.set_timestamp(now);
    }

    fn body(&mut self, message: &str) {
        self.record.set_body(AnyValue::from(message.to_owned()));
    }

    fn static_name(&mut self, key: &'static str) {
        self.name = Some(key);
    }

    fn field(&mut self, key: &str, value: Tapped<'_>) {
        // A field name is usually `'static` (an event's or a span's): used as it is, not
        // copied; an error's `…_sources` or a bound name built at run time is copied.
        let key = match self.name.take() {
            Some(name) if std::ptr::eq(name, key) => Key::from_static_str(name),
            _ => Key::new(key.to_owned()),
        };
        self.record.add_attribute(key, any_value(value));
    }
}

fn severity(level: tracing::Level) -> (Severity, &'static str) {
    match level {
        tracing::Level::TRACE => (Severity::Trace, "TRACE"),
        tracing::Level::DEBUG => (Severity::Debug, "DEBUG"),
        tracing::Level::INFO => (Severity::Info, "INFO"),
        tracing::Level::WARN => (Severity::Warn, "WARN"),
        tracing::Level::ERROR => (Severity::Error, "ERROR"),
    }
}

/// An integer as OTLP's `int` (64-bit), or as a double when it does not fit, as a JSON
/// reader takes the line's number.
#[allow(clippy::cast_precision_loss)]
fn int(value: i128) -> AnyValue {
    i64::try_from(value).map_or(AnyValue::Double(value as f64), AnyValue::Int)
}

fn any_value(value: Tapped<'_>) -> AnyValue {
    match value {
        Tapped::Str(s) => AnyValue::from(s.to_owned()),
        Tapped::I64(v) => AnyValue::Int(v),
        Tapped::U64(v) => int(i128::from(v)),
        Tapped::I128(v) => int(v),
        #[allow(clippy::cast_precision_loss)]
        Tapped::U128(v) => i128::try_from(v).map_or(AnyValue::Double(v as f64), int),
        Tapped::F64(v) => AnyValue::Double(v),
        Tapped::Bool(v) => AnyValue::Boolean(v),
        Tapped::List(items) => AnyValue::ListAny(Box::new(
            items
                .iter()
                .map(|s| AnyValue::from(s.to_string()))
                .collect(),
        )),
        Tapped::Json(json) => json_value(json),
    }
}

/// A redacted JSON value: its text when it is an object or an array.
fn json_value(value: &serde_json::Value) -> AnyValue {
    use serde_json::Value;
    match value {
        Value::Bool(b) => AnyValue::Boolean(*b),
        Value::Number(n) => n.as_i64().map_or_else(
            || AnyValue::Double(n.as_f64().unwrap_or(f64::NAN)),
            AnyValue::Int,
        ),
        Value::String(s) => AnyValue::from(s.clone()),
        Value::Null => AnyValue::from(String::new()),
        other => AnyValue::from(other.to_string()),
    }
}
