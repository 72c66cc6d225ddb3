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
    assert_same(&decoded, &expected);
}

/// Compared as prost re-encodes them: bit for bit, so a NaN double equals itself and
/// `-0.0` differs from `0.0`; the structures are shown when they differ.
fn assert_same<M: prost::Message + std::fmt::Debug>(decoded: &M, expected: &M) {
    assert!(
        decoded.encode_to_vec() == expected.encode_to_vec(),
        "decoded {decoded:#?}\nexpected {expected:#?}"
    );
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

/// Any attribute value the API has, short and long (lengths of one and more bytes),
/// doubles of every kind (NaN, infinities, `-0.0`, subnormal).
fn value() -> impl Strategy<Value = Value> {
    let text = "[a-zé\u{1F600} ]{0,200}";
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::I64),
        any::<f64>().prop_map(Value::F64),
        text.prop_map(|s| Value::String(s.into())),
        prop::collection::vec(any::<bool>(), 0..4).prop_map(|v| Value::Array(Array::Bool(v))),
        prop::collection::vec(any::<i64>(), 0..4).prop_map(|v| Value::Array(Array::I64(v))),
        prop::collection::vec(any::<f64>(), 0..4).prop_map(|v| Value::Array(Array::F64(v))),
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
    assert_same(&decoded, &expected);
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

/// A double of every class the wire must carry bit for bit.
const ODD_DOUBLES: [f64; 6] = [
    f64::NAN,
    -f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    -0.0,
    f64::MIN_POSITIVE / 2.0,
];

/// Text long enough that its length takes three bytes (16 KiB and more) or four (2 MiB
/// and more).
fn long(len: usize) -> String {
    "é".repeat(len / 2) + "z".repeat(len % 2).as_str()
}

#[test]
fn edge_values_in_spans_decode_as_the_protocol_s_own_conversion() {
    let mut attributes = vec![
        KeyValue::new("", ""),
        KeyValue::new("min", i64::MIN),
        KeyValue::new("max", i64::MAX),
        KeyValue::new("three_byte_length", long(20_000)),
        KeyValue::new("four_byte_length", long(2 * 1024 * 1024 + 1)),
        KeyValue::new("empty_bools", Value::Array(Array::Bool(Vec::new()))),
        KeyValue::new("empty_ints", Value::Array(Array::I64(Vec::new()))),
        KeyValue::new("empty_doubles", Value::Array(Array::F64(Vec::new()))),
        KeyValue::new("empty_strings", Value::Array(Array::String(Vec::new()))),
        KeyValue::new(
            "odd_doubles",
            Value::Array(Array::F64(ODD_DOUBLES.to_vec())),
        ),
    ];
    attributes.extend(ODD_DOUBLES.map(|d| KeyValue::new("double", d)));
    let mut edge = span("", attributes);
    let entries: Vec<(String, String)> = (0..32)
        .map(|i| (format!("k{i}"), format!("v{i}")))
        .collect();
    edge.span_context = SpanContext::new(
        TraceId::from(u128::MAX),
        SpanId::from(u64::MAX),
        TraceFlags::new(0xff),
        true,
        TraceState::from_key_value(entries).unwrap(),
    );
    edge.parent_span_id = SpanId::from(u64::MAX);
    edge.dropped_attributes_count = u32::MAX;
    // Before the epoch, and past what u64 nanoseconds hold (both encoders truncate).
    edge.start_time = UNIX_EPOCH - Duration::from_secs(1);
    edge.end_time = UNIX_EPOCH + Duration::from_secs(1_000 * 365 * 86_400);
    edge.events
        .events
        .push(Event::new(long(17_000), at(u64::MAX), Vec::new(), u32::MAX));
    edge.events.events.push(Event::with_name(""));
    edge.events.dropped_count = u32::MAX;
    edge.links.links.push(Link::new(
        SpanContext::empty_context(),
        Vec::new(),
        u32::MAX,
    ));
    edge.links.dropped_count = u32::MAX;
    edge.status = Status::error(long(70_000));
    let mut empty_status = span("empty_error", Vec::new());
    empty_status.status = Status::error("");
    let mut unnamed_scope = span("unnamed_scope", Vec::new());
    unnamed_scope.instrumentation_scope = InstrumentationScope::builder("").build();
    // The same scope, built again: one scope.
    let mut reordered = span("reordered", Vec::new());
    reordered.instrumentation_scope = InstrumentationScope::builder("memotrace")
        .with_version("1.2.3")
        .with_schema_url("https://example.test/schema")
        .with_attributes([KeyValue::new("scope.attr", true)])
        .build();
    check_spans(&[
        edge,
        unnamed_scope,
        empty_status,
        span("first", Vec::new()),
        reordered,
    ]);
}

/// A scope whose two attributes are given in `order`.
fn two_attribute_scope(name: &'static str, order: [usize; 2]) -> InstrumentationScope {
    let attributes = [KeyValue::new("a", 1), KeyValue::new("b", 2)];
    InstrumentationScope::builder(name)
        .with_version("1")
        .with_attributes(order.map(|i| attributes[i].clone()))
        .build()
}

#[test]
fn records_of_scopes_that_differ_only_in_attribute_order_share_one_scope() {
    check_records(|records| {
        let mut first = record();
        first.set_target("app");
        records.push((first, two_attribute_scope("memotrace", [0, 1])));
        let mut second = record();
        second.set_target("app");
        records.push((second, two_attribute_scope("other", [1, 0])));
    });
}

#[test]
fn records_of_scopes_with_no_version_or_an_empty_one_share_one_scope() {
    check_records(|records| {
        records.push((record(), InstrumentationScope::builder("memotrace").build()));
        let empty = InstrumentationScope::builder("memotrace")
            .with_version("")
            .with_schema_url("")
            .build();
        records.push((record(), empty));
    });
}

#[test]
fn edge_values_in_records_decode_as_the_protocol_s_own_conversion() {
    check_records(|records| {
        let mut edge = record();
        edge.set_timestamp(UNIX_EPOCH - Duration::from_secs(1));
        edge.set_observed_timestamp(UNIX_EPOCH + Duration::from_secs(1_000 * 365 * 86_400));
        edge.set_target("");
        edge.set_severity_text("");
        edge.set_event_name("");
        edge.set_body(AnyValue::ListAny(Box::new(vec![
            AnyValue::from(long(2 * 1024 * 1024 + 1)),
            AnyValue::ListAny(Box::default()),
            AnyValue::Map(Box::default()),
            AnyValue::Bytes(Box::default()),
            AnyValue::Bytes(Box::new(vec![0xab; 20_000])),
            AnyValue::Map(Box::new(HashMap::from([
                (Key::from_static_str(""), AnyValue::from(String::new())),
                (Key::from_static_str("min"), AnyValue::Int(i64::MIN)),
                (
                    Key::from_static_str("deeper"),
                    AnyValue::ListAny(Box::new(vec![AnyValue::Map(Box::new(HashMap::from([(
                        Key::from_static_str("leaf"),
                        AnyValue::Double(f64::NAN),
                    )])))])),
                ),
            ]))),
        ])));
        for (i, d) in ODD_DOUBLES.into_iter().enumerate() {
            edge.add_attribute(Key::new(format!("double{i}")), AnyValue::Double(d));
        }
        edge.add_attribute(Key::from_static_str(""), AnyValue::Int(i64::MIN));
        edge.set_trace_context(TraceId::from(u128::MAX), SpanId::from(u64::MAX), None);
        records.push((edge, scope("memotrace")));
    });
}

/// Any value a log record's body or attribute can hold, nested up to three deep.
fn any_value() -> impl Strategy<Value = AnyValue> {
    let leaf = prop_oneof![
        "[a-zé ]{0,40}".prop_map(AnyValue::from),
        any::<bool>().prop_map(AnyValue::Boolean),
        any::<i64>().prop_map(AnyValue::Int),
        any::<f64>().prop_map(AnyValue::Double),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|v| AnyValue::Bytes(Box::new(v))),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| AnyValue::ListAny(Box::new(v))),
            prop::collection::hash_map("[a-z]{0,8}", inner, 0..4).prop_map(|m| {
                AnyValue::Map(Box::new(
                    m.into_iter().map(|(k, v)| (Key::new(k), v)).collect(),
                ))
            }),
        ]
    })
}

/// One record: whether it has a target (and which), its scope, body, attributes,
/// severity and trace context.
type RecordParts = (
    Option<&'static str>,
    bool,
    Option<AnyValue>,
    Vec<(String, AnyValue)>,
    Option<u8>,
    Option<Option<u8>>,
);

fn record_parts() -> impl Strategy<Value = RecordParts> {
    (
        prop::option::of(prop::sample::select(vec!["app::a", "app::b", ""])),
        any::<bool>(),
        prop::option::of(any_value()),
        prop::collection::vec(("[a-z_.]{0,20}", any_value()), 0..6),
        prop::option::of(0..24_u8),
        prop::option::of(prop::option::of(any::<u8>())),
    )
}

const SEVERITIES: [Severity; 24] = [
    Severity::Trace,
    Severity::Trace2,
    Severity::Trace3,
    Severity::Trace4,
    Severity::Debug,
    Severity::Debug2,
    Severity::Debug3,
    Severity::Debug4,
    Severity::Info,
    Severity::Info2,
    Severity::Info3,
    Severity::Info4,
    Severity::Warn,
    Severity::Warn2,
    Severity::Warn3,
    Severity::Warn4,
    Severity::Error,
    Severity::Error2,
    Severity::Error3,
    Severity::Error4,
    Severity::Fatal,
    Severity::Fatal2,
    Severity::Fatal3,
    Severity::Fatal4,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_records_decode_as_the_protocol_s_own_conversion(
        batch in prop::collection::vec(record_parts(), 0..6),
    ) {
        check_records(|records| {
            for (target, other, body, attributes, severity, context) in batch.clone() {
                let mut r = record();
                if let Some(target) = target {
                    r.set_target(target);
                }
                if let Some(body) = body {
                    r.set_body(body);
                }
                for (k, v) in attributes {
                    r.add_attribute(Key::new(k), v);
                }
                if let Some(s) = severity {
                    r.set_severity_number(SEVERITIES[usize::from(s)]);
                }
                if let Some(flags) = context {
                    r.set_trace_context(
                        TraceId::from(3_u128),
                        SpanId::from(4_u64),
                        flags.map(TraceFlags::new),
                    );
                }
                records.push((r, scope(if other { "other" } else { "memotrace" })));
            }
        });
    }
}
