//! Every request is decoded with `opentelemetry-proto`'s types and compared with that
//! crate's own conversion of the same spans and records: the structure the collector
//! reads must be the same, field for field.

use super::{records, spans, EncodedResource};
use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::trace::{
    Event, Link, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Array, InstrumentationScope, Key, KeyValue, StringValue, Value};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::logs::tonic::group_logs_by_resource_and_scope;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::logs::{LogBatch, SdkLogRecord, SdkLoggerProvider};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use opentelemetry_sdk::Resource;
use proptest::prelude::*;
use prost::Message as _;
use std::borrow::Cow;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn resource() -> Resource {
    Resource::builder_empty()
        .with_schema_url(
            [
                KeyValue::new("service.name", "orders"),
                KeyValue::new("service.instance.count", 3),
            ],
            "https://opentelemetry.io/schemas/1.26.0",
        )
        .build()
}

fn scope(name: &'static str) -> InstrumentationScope {
    InstrumentationScope::builder(name)
        .with_version("1.2.3")
        .with_schema_url("https://example.test/schema")
        .with_attributes([KeyValue::new("scope.attr", true)])
        .build()
}

fn at(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

fn check_spans(batch: &[SpanData]) {
    let resource = resource();
    let expected = ExportTraceServiceRequest {
        resource_spans: group_spans_by_resource_and_scope(
            batch.to_vec(),
            &ResourceAttributesWithSchema::from(&resource),
        ),
    };
    let bytes = spans::request(&EncodedResource::new(&resource), batch);
    let decoded = ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap();
    assert_eq!(decoded, expected);
}

fn span(name: &str, attributes: Vec<KeyValue>) -> SpanData {
    SpanData {
        span_context: SpanContext::new(
            TraceId::from(0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10_u128),
            SpanId::from(0x1112_1314_1516_1718_u64),
            TraceFlags::SAMPLED,
            false,
            TraceState::NONE,
        ),
        parent_span_id: SpanId::INVALID,
        parent_span_is_remote: false,
        span_kind: SpanKind::Internal,
        name: Cow::Owned(name.to_owned()),
        start_time: at(1_700_000_000_000_000_000),
        end_time: at(1_700_000_000_000_123_456),
        attributes,
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: scope("memotrace"),
    }
}

#[test]
fn a_traced_call_s_span_decodes_as_the_protocol_s_own_conversion() {
    check_spans(&[span(
        "get_user",
        vec![
            KeyValue::new("duration_ms", 12.5),
            KeyValue::new("success", true),
            KeyValue::new("cache.name", "users"),
            KeyValue::new("cache.hit", false),
            KeyValue::new("rows", -3),
        ],
    )]);
}

#[test]
fn every_span_field_decodes_as_the_protocol_s_own_conversion() {
    let mut full = span(
        "x".repeat(300).as_str(),
        vec![KeyValue::new("k", "v".repeat(200))],
    );
    full.span_context = SpanContext::new(
        TraceId::from(7_u128),
        SpanId::from(9_u64),
        TraceFlags::NOT_SAMPLED,
        true,
        "vendor=abc,other=def".parse::<TraceState>().unwrap(),
    );
    full.parent_span_id = SpanId::from(42_u64);
    full.parent_span_is_remote = true;
    full.span_kind = SpanKind::Client;
    full.dropped_attributes_count = 4;
    full.status = Status::error("connection reset");
    full.start_time = UNIX_EPOCH - Duration::from_secs(5);
    full.events.events.push(Event::new(
        "retry",
        at(1_000),
        vec![KeyValue::new("attempt", 2)],
        1,
    ));
    full.events.dropped_count = 2;
    full.links.links.push(Link::new(
        SpanContext::new(
            TraceId::from(11_u128),
            SpanId::from(12_u64),
            TraceFlags::SAMPLED,
            true,
            TraceState::NONE,
        ),
        vec![KeyValue::new("link.kind", "follows")],
        3,
    ));
    full.links.dropped_count = 1;
    let mut ok = span("ok", Vec::new());
    ok.status = Status::Ok;
    ok.span_kind = SpanKind::Server;
    let mut other_scope = span("elsewhere", Vec::new());
    other_scope.instrumentation_scope = InstrumentationScope::builder("other").build();
    other_scope.span_kind = SpanKind::Producer;
    let mut consumer = span("consumer", Vec::new());
    consumer.span_kind = SpanKind::Consumer;
    check_spans(&[full, other_scope, ok, consumer]);
}

#[test]
fn an_empty_batch_decodes_as_the_protocol_s_own_conversion() {
    check_spans(&[]);
}

/// Any attribute value the API has, short and long (lengths of one and more bytes).
fn value() -> impl Strategy<Value = Value> {
    let text = "[a-zé\u{1F600} ]{0,200}";
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::I64),
        (-1e300..1e300_f64).prop_map(Value::F64),
        text.prop_map(|s| Value::String(s.into())),
        prop::collection::vec(any::<bool>(), 0..4).prop_map(|v| Value::Array(Array::Bool(v))),
        prop::collection::vec(any::<i64>(), 0..4).prop_map(|v| Value::Array(Array::I64(v))),
        prop::collection::vec(-1e9..1e9_f64, 0..4).prop_map(|v| Value::Array(Array::F64(v))),
        prop::collection::vec(text, 0..4).prop_map(|v| {
            Value::Array(Array::String(
                v.into_iter().map(StringValue::from).collect(),
            ))
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn any_attributes_decode_as_the_protocol_s_own_conversion(
        batch in prop::collection::vec(
            ("[a-z_.]{0,40}", prop::collection::vec(("[a-z_.]{1,150}", value()), 0..12)),
            0..6,
        ),
    ) {
        let batch: Vec<SpanData> = batch
            .into_iter()
            .map(|(name, attributes)| {
                span(&name, attributes.into_iter().map(|(k, v)| KeyValue::new(k, v)).collect())
            })
            .collect();
        check_spans(&batch);
    }
}

/// The records `fill` makes, encoded and decoded, against the protocol's conversion
/// (scopes in name order: the conversion groups them through a `HashMap`).
fn check_records(fill: impl Fn(&mut Vec<(SdkLogRecord, InstrumentationScope)>)) {
    let mut records = Vec::new();
    fill(&mut records);
    for (record, _) in &mut records {
        // What the SDK's logger sets on emit, when the appender has not.
        if record.observed_timestamp().is_none() {
            record.set_observed_timestamp(at(1_700_000_000_000_000_001));
        }
    }
    let pairs: Vec<(&SdkLogRecord, &InstrumentationScope)> =
        records.iter().map(|(r, s)| (r, s)).collect();
    let batch = LogBatch::new(&pairs);
    let resource = resource();
    let mut expected = ExportLogsServiceRequest {
        resource_logs: group_logs_by_resource_and_scope(
            &batch,
            &ResourceAttributesWithSchema::from(&resource),
        ),
    };
    let bytes = records::request(&EncodedResource::new(&resource), &batch);
    let mut decoded = ExportLogsServiceRequest::decode(bytes.as_slice()).unwrap();
    for request in [&mut expected, &mut decoded] {
        for logs in &mut request.resource_logs {
            logs.scope_logs.sort_by(|a, b| {
                a.scope
                    .as_ref()
                    .map(|s| &s.name)
                    .cmp(&b.scope.as_ref().map(|s| &s.name))
            });
        }
    }
    assert_eq!(decoded, expected);
}

fn record() -> SdkLogRecord {
    SdkLoggerProvider::builder()
        .build()
        .logger("memotrace")
        .create_log_record()
}

#[test]
fn a_log_line_s_record_decodes_as_the_protocol_s_own_conversion() {
    check_records(|records| {
        let mut r = record();
        r.set_timestamp(at(1_700_000_000_000_000_000));
        r.set_severity_number(Severity::Info);
        r.set_severity_text("INFO");
        r.set_body(AnyValue::from("user_loaded".to_owned()));
        r.add_attribute(Key::from_static_str("user_id"), AnyValue::Int(42));
        r.add_attribute(
            Key::from_static_str("password"),
            AnyValue::from("[REDACTED]".to_owned()),
        );
        r.add_attribute(Key::new("ratio".to_owned()), AnyValue::Double(0.25));
        r.add_attribute(Key::from_static_str("ok"), AnyValue::Boolean(false));
        r.set_trace_context(
            TraceId::from(0xabcdef_u128),
            SpanId::from(0x1234_u64),
            Some(TraceFlags::SAMPLED),
        );
        records.push((r, scope("memotrace")));
    });
}

#[test]
fn every_record_field_decodes_as_the_protocol_s_own_conversion() {
    check_records(|records| {
        let mut full = record();
        full.set_event_name("order.placed");
        full.set_target("app::orders");
        full.set_severity_number(Severity::Fatal4);
        full.set_body(AnyValue::Map(Box::new(HashMap::from([(
            Key::from_static_str("nested"),
            AnyValue::ListAny(Box::new(vec![
                AnyValue::Int(-1),
                AnyValue::Bytes(Box::new(vec![0, 255, 7])),
                AnyValue::from("z".repeat(500)),
            ])),
        )]))));
        full.add_attribute(Key::from_static_str("empty"), AnyValue::from(String::new()));
        full.add_attribute(Key::from_static_str("zero"), AnyValue::Int(0));
        records.push((full, scope("memotrace")));
        // No timestamp, no trace context, no severity, no body.
        records.push((record(), scope("memotrace")));
        let mut elsewhere = record();
        elsewhere.set_body(AnyValue::Double(-0.0));
        records.push((elsewhere, scope("other")));
    });
}
