//! `ExportLogsServiceRequest`: the batch's log records under the resource, grouped by
//! scope (a record's target, or its logger's name, with the logger's version).

use super::{nanos, EncodedResource, Writer};
use opentelemetry::logs::AnyValue;
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::logs::{LogBatch, SdkLogRecord};

/// The encoded request for `batch`.
pub(crate) fn request(resource: &EncodedResource, batch: &LogBatch<'_>) -> Vec<u8> {
    // Nearly always one scope (memotrace's logger); the list stays tiny.
    let mut scopes: Vec<(&str, &InstrumentationScope)> = Vec::new();
    let mut len = 0;
    for (record, scope) in batch.iter() {
        len += 1;
        let key = (scope_name(record, scope), scope);
        if !scopes.iter().any(|s| same_scope(*s, key)) {
            scopes.push(key);
        }
    }
    resource.request(256 * len + 256, |w| {
        for key in scopes {
            w.message(2, |w| {
                w.scope(1, key.0, key.1);
                for (record, scope) in batch.iter() {
                    if same_scope(key, (scope_name(record, scope), scope)) {
                        w.message(2, |w| write_record(w, record));
                    }
                }
                w.string(3, key.1.schema_url().unwrap_or_default());
            });
        }
    })
}

fn scope_name<'a>(record: &'a SdkLogRecord, scope: &'a InstrumentationScope) -> &'a str {
    record.target().map_or(scope.name(), |t| t)
}

/// Records of loggers that differ only in name share a scope when their targets are the
/// same. Compared as the scope written: a missing version or schema URL is the same as an
/// empty one, and attributes are a set (as `InstrumentationScope`'s own equality has it).
fn same_scope(a: (&str, &InstrumentationScope), b: (&str, &InstrumentationScope)) -> bool {
    a.0 == b.0
        && a.1.version().unwrap_or_default() == b.1.version().unwrap_or_default()
        && a.1.schema_url().unwrap_or_default() == b.1.schema_url().unwrap_or_default()
        && same_attributes(a.1, b.1)
}

/// The same attributes, in any order; sorted only when the orders differ.
fn same_attributes(a: &InstrumentationScope, b: &InstrumentationScope) -> bool {
    if a.attributes().eq(b.attributes()) {
        return true;
    }
    sorted_attributes(a) == sorted_attributes(b)
}

fn sorted_attributes(scope: &InstrumentationScope) -> Vec<&KeyValue> {
    let mut attributes: Vec<&KeyValue> = scope.attributes().collect();
    attributes.sort_unstable_by(|x, y| x.key.cmp(&y.key));
    attributes
}

fn write_record(w: &mut Writer, record: &SdkLogRecord) {
    w.fixed64(1, record.timestamp().map_or(0, nanos));
    w.varint(2, record.severity_number().map_or(0, |s| s as u64));
    w.string(3, record.severity_text().unwrap_or_default());
    if let Some(body) = record.body() {
        w.message(5, |w| any_value(w, body));
    }
    for (key, value) in record.attributes_iter() {
        w.message(6, |w| {
            w.string(1, key.as_str());
            w.message(2, |w| any_value(w, value));
        });
    }
    if let Some(context) = record.trace_context() {
        w.fixed32(8, context.trace_flags.map_or(0, |f| u32::from(f.to_u8())));
        w.bytes(9, &context.trace_id.to_bytes());
        w.bytes(10, &context.span_id.to_bytes());
    }
    w.fixed64(11, record.observed_timestamp().map_or(0, nanos));
    w.string(12, record.event_name().unwrap_or_default());
}

/// The fields of an `AnyValue` holding a log record's value.
fn any_value(w: &mut Writer, value: &AnyValue) {
    match value {
        AnyValue::String(v) => w.string_member(v.as_str()),
        AnyValue::Boolean(v) => w.bool_member(*v),
        AnyValue::Int(v) => w.int_member(*v),
        AnyValue::Double(v) => w.double_member(*v),
        AnyValue::ListAny(items) => w.message(5, |w| {
            for item in items.iter() {
                w.message(1, |w| any_value(w, item));
            }
        }),
        AnyValue::Map(map) => w.message(6, |w| {
            for (key, item) in map.iter() {
                w.message(1, |w| {
                    w.string(1, key.as_str());
                    w.message(2, |w| any_value(w, item));
                });
            }
        }),
        AnyValue::Bytes(v) => w.bytes_member(v),
        // A kind of value added to the API later: an empty value.
        _ => {}
    }
}
