//! OTLP log records carry exactly what the event's JSON line shows: the same fields, with
//! the same redacted and masked values (sensitive names, free text, Debug structs, JSON
//! text, error sources, span fields, bound context, the message), whatever format the
//! lines are written in; the line's service fields and trace ids travel as the resource
//! and the record's trace context instead. The records are decoded by a receiver in the
//! test process.

use memotrace::log::{Format, Logger};
use memotrace_tests::capture::Capture;
use memotrace_tests::otlp_receiver::OtlpReceiver;
use memotrace_tests::TextError;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use serde_json::Value;
use std::error::Error;
use std::fmt;

/// Values that must not reach the collector.
const SECRETS: &[&str] = &[
    "hunter2",
    "hunter3",
    "hunter4",
    "hunter5",
    "abc.def.ghi",
    "s3cr3t",
    "k-bound-1",
    "span-secret-1",
    "inner-secret-2",
];

/// A configuration logged with `?config`.
#[derive(Debug)]
#[allow(dead_code)] // read through `Debug` only
struct DbConfig {
    host: &'static str,
    password: &'static str,
}

/// An error whose source's text holds a secret.
#[derive(Debug)]
struct QueryFailed(TextError);

impl fmt::Display for QueryFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("query failed: password=hunter2")
    }
}

impl Error for QueryFailed {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.0)
    }
}

/// One event with a secret on every path a value can take.
fn emit() {
    let log = Logger::new()
        .bind("api_key", "k-bound-1")
        .bind("request_id", "req-1");
    let _bound = log.enter();
    let span = tracing::info_span!("work", session_secret = "span-secret-1", user = "ada");
    let _entered = span.enter();
    let error = QueryFailed(TextError("token=inner-secret-2 rejected".into()));
    tracing::info!(
        password = "hunter2",
        note = "login with password=hunter3 (Authorization: Bearer abc.def.ghi)",
        config = ?DbConfig { host: "db", password: "hunter4" },
        payload = r#"{"user":"ann","token":"s3cr3t"}"#,
        error = &error as &(dyn Error + 'static),
        count = 3,
        ratio = 0.5,
        ok = true,
        "signed in with password=hunter5"
    );
}

/// The record of [`emit`]'s event, and the JSON line a capture writes for it.
fn exported(format: Format) -> (LogRecord, Capture) {
    let receiver = OtlpReceiver::start();
    let endpoint = receiver.endpoint();
    let cap = Capture::with(|b| b.format(format).filter("info").otlp(endpoint));
    cap.run(emit);
    cap.guard().flush();
    let logs = receiver.logs();
    let all = format!("{logs:?}");
    for secret in SECRETS {
        assert!(
            !all.contains(secret),
            "{format:?}: {secret:?} reached the collector: {all}"
        );
    }
    let record = logs
        .into_iter()
        .find(|r| matches!(body(r), Some(Any::StringValue(b)) if b.starts_with("signed in")))
        .unwrap_or_else(|| panic!("{format:?}: no record of the event in {all}"));
    (record, cap)
}

fn body(record: &LogRecord) -> Option<&Any> {
    record.body.as_ref().and_then(|b| b.value.as_ref())
}

/// Whether an OTLP value is the JSON line's value: strings, numbers and booleans alike,
/// an array as a list of the same items, nested JSON as its text.
fn same(json: &Value, any: Option<&Any>) -> bool {
    match (json, any) {
        (Value::String(s), Some(Any::StringValue(a))) => s == a,
        (Value::Bool(b), Some(Any::BoolValue(a))) => b == a,
        (Value::Number(n), Some(Any::IntValue(a))) => n.as_i64() == Some(*a),
        (Value::Number(n), Some(Any::DoubleValue(a))) => n.as_f64() == Some(*a),
        (Value::Array(items), Some(Any::ArrayValue(list))) => {
            items.len() == list.values.len()
                && items
                    .iter()
                    .zip(&list.values)
                    .all(|(item, v)| same(item, v.value.as_ref()))
        }
        (Value::Object(_), Some(Any::StringValue(text))) => {
            serde_json::from_str::<Value>(text).ok().as_ref() == Some(json)
        }
        _ => false,
    }
}

/// The line's own fields, which are not record attributes: the record's time, severity
/// and body, the resource's attributes, and its trace context.
const NOT_ATTRIBUTES: &[&str] = &[
    "timestamp",
    "level",
    "event",
    "service",
    "version",
    "environment",
    "trace_id",
    "span_id",
];

/// Asserts that `record` has exactly the fields of `line` (but the line's own), each
/// with the same value, the line's message as its body and its ids as trace context.
fn assert_matches_line(record: &LogRecord, line: &Value) {
    let fields = line.as_object().expect("a JSON object");
    let mut expected: Vec<&str> = fields
        .keys()
        .map(String::as_str)
        .filter(|k| !NOT_ATTRIBUTES.contains(k))
        .collect();
    let mut keys: Vec<&str> = record.attributes.iter().map(|kv| kv.key.as_str()).collect();
    expected.sort_unstable();
    keys.sort_unstable();
    assert_eq!(keys, expected, "{line}");
    for kv in &record.attributes {
        let value = kv.value.as_ref().and_then(|v| v.value.as_ref());
        assert!(
            same(&fields[&kv.key], value),
            "{}: the line has {}, the record {value:?}",
            kv.key,
            fields[&kv.key]
        );
    }
    assert!(same(&line["event"], body(record)), "{line} / {record:?}");
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(line["trace_id"], hex(&record.trace_id), "{line}");
    assert_eq!(line["span_id"], hex(&record.span_id), "{line}");
}

#[test]
fn a_record_has_the_fields_and_redacted_values_of_its_json_line() {
    let (record, cap) = exported(Format::Json);
    let line = cap.one("signed in with password=***REDACTED***");
    assert_matches_line(&record, &line);
    // What the comparison covers: every path hid its secret, and kept the rest.
    assert_eq!(line["password"], "***REDACTED***");
    assert_eq!(line["session_secret"], "***REDACTED***");
    assert_eq!(line["api_key"], "***REDACTED***");
    assert_eq!(line["payload"]["token"], "***REDACTED***");
    assert_eq!(line["payload"]["user"], "ann");
    assert_eq!(line["user"], "ada");
    assert_eq!(line["request_id"], "req-1");
    assert_eq!(line["count"], 3);
    assert!(line["note"].as_str().unwrap().starts_with("login with"));
    assert!(line["config"].as_str().unwrap().contains("host: \"db\""));
    assert_eq!(line["error_sources"].as_array().map(Vec::len), Some(1));
}

#[test]
fn with_pretty_lines_the_record_is_what_a_json_line_would_show() {
    let (record, cap) = exported(Format::Pretty);
    let json = exported(Format::Json).0;
    assert!(cap.text().contains("signed in with"), "{}", cap.text());
    let fields = |r: &LogRecord| {
        let mut f: Vec<(String, Option<Any>)> = r
            .attributes
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.clone().and_then(|v| v.value)))
            .collect();
        f.sort_by(|a, b| a.0.cmp(&b.0));
        f
    };
    assert_eq!(fields(&record), fields(&json));
    assert_eq!(body(&record), body(&json));
}
