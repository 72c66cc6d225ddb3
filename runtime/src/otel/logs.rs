//! Log records over OTLP: each event as the JSON renderer wrote it (bound context added,
//! sensitive fields redacted), turned into an OTLP log record with the span's trace ids.

use super::ids::TraceIds;
use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, Severity};
use opentelemetry_sdk::logs::SdkLogger;
use serde_json::Value;

/// Keys of the JSON line that become the record's own fields rather than attributes.
const OWN: &[&str] = &["timestamp", "level", "event", "message"];

/// Emits one OTLP log record from a rendered JSON line.
pub(crate) fn emit(
    logger: &SdkLogger,
    level: tracing::Level,
    json_line: &str,
    ids: Option<&TraceIds>,
) {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(json_line) else {
        return;
    };
    let mut record = logger.create_log_record();
    let (number, text) = severity(level);
    record.set_severity_number(number);
    record.set_severity_text(text);
    record.set_timestamp(std::time::SystemTime::now());
    if let Some(Value::String(message)) = fields.get("event").or_else(|| fields.get("message")) {
        record.set_body(AnyValue::from(message.clone()));
    }
    for (key, value) in fields {
        if !OWN.contains(&key.as_str()) {
            record.add_attribute(key, any_value(value));
        }
    }
    if let Some(ids) = ids {
        record.set_trace_context(ids.trace_id, ids.span_id, Some(ids.flags));
    }
    logger.emit(record);
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

fn any_value(value: Value) -> AnyValue {
    match value {
        Value::Bool(b) => AnyValue::Boolean(b),
        Value::Number(n) => n.as_i64().map_or_else(
            || AnyValue::Double(n.as_f64().unwrap_or(f64::NAN)),
            AnyValue::Int,
        ),
        Value::String(s) => AnyValue::from(s),
        Value::Null => AnyValue::from(String::new()),
        other => AnyValue::from(other.to_string()),
    }
}
