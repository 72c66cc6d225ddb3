//! OTLP export requests in protobuf, written straight from the SDK's span and log
//! record data into one buffer.
//!
//! Written here instead of using `opentelemetry-otlp`'s HTTP exporter: that one first
//! converts every span and record into `opentelemetry-proto`'s message structs (each key
//! and string copied into an owned `String`, spans grouped through a `HashMap` per batch)
//! and then encodes those with prost. Measured under callgrind on the export threads,
//! that conversion and encoding cost about 10,400 instructions per span and 13,000 per
//! log record, more than the span itself costs the calling thread; writing the bytes
//! directly from the borrowed data costs a fraction of it (figures in the README,
//! `otel_instructions`). The varint and key encodings are prost's; the tests decode every
//! request with `opentelemetry-proto`'s types and compare it with that crate's own
//! conversion of the same data.

pub(crate) mod records;
pub(crate) mod spans;

use opentelemetry::{Array, InstrumentationScope, KeyValue, Value};
use prost::encoding::{encode_key, encode_varint, encoded_len_varint, WireType};
use std::time::{SystemTime, UNIX_EPOCH};

/// A protobuf message being written. Scalar fields at their default value are left out,
/// as proto3 encoders do; `oneof` members are always written (their presence is the
/// value).
pub(crate) struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
        }
    }

    /// The encoded bytes.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Bytes that are already an encoded field (or fields) of the current message.
    pub(crate) fn raw(&mut self, encoded: &[u8]) {
        self.buf.extend_from_slice(encoded);
    }

    /// A `bytes` or `string` field, left out when empty.
    pub(crate) fn bytes(&mut self, field: u32, value: &[u8]) {
        if !value.is_empty() {
            self.bytes_always(field, value);
        }
    }

    pub(crate) fn string(&mut self, field: u32, value: &str) {
        self.bytes(field, value.as_bytes());
    }

    fn bytes_always(&mut self, field: u32, value: &[u8]) {
        encode_key(field, WireType::LengthDelimited, &mut self.buf);
        encode_varint(value.len() as u64, &mut self.buf);
        self.buf.extend_from_slice(value);
    }

    /// A `uint32`, `uint64`, enum or `int64` (two's complement) field, left out when zero.
    pub(crate) fn varint(&mut self, field: u32, value: u64) {
        if value != 0 {
            self.varint_always(field, value);
        }
    }

    fn varint_always(&mut self, field: u32, value: u64) {
        encode_key(field, WireType::Varint, &mut self.buf);
        encode_varint(value, &mut self.buf);
    }

    /// A `fixed64` field (or a `double`'s bits), left out when zero.
    pub(crate) fn fixed64(&mut self, field: u32, value: u64) {
        if value != 0 {
            self.fixed64_always(field, value);
        }
    }

    fn fixed64_always(&mut self, field: u32, value: u64) {
        encode_key(field, WireType::SixtyFourBit, &mut self.buf);
        self.buf.extend_from_slice(&value.to_le_bytes());
    }

    /// A `fixed32` field, left out when zero.
    pub(crate) fn fixed32(&mut self, field: u32, value: u32) {
        if value != 0 {
            encode_key(field, WireType::ThirtyTwoBit, &mut self.buf);
            self.buf.extend_from_slice(&value.to_le_bytes());
        }
    }

    /// A message field written by `body`. Its length is known only afterwards: one byte
    /// is reserved for it, and the body is moved right in the rare case (a message of 128
    /// bytes or more) where the length needs more.
    pub(crate) fn message(&mut self, field: u32, body: impl FnOnce(&mut Self)) {
        encode_key(field, WireType::LengthDelimited, &mut self.buf);
        let at = self.buf.len();
        self.buf.push(0);
        body(self);
        let len = (self.buf.len() - at - 1) as u64;
        let width = encoded_len_varint(len);
        if width > 1 {
            self.buf
                .splice(at + 1..at + 1, std::iter::repeat_n(0, width - 1));
        }
        encode_varint(len, &mut &mut self.buf[at..at + width]);
    }

    /// A `KeyValue` message: `key` and an `AnyValue` holding `value`.
    pub(crate) fn key_value(&mut self, field: u32, key: &str, value: &Value) {
        self.message(field, |w| {
            w.string(1, key);
            w.message(2, |w| w.value(value));
        });
    }

    /// `KeyValue` messages for `attributes`.
    pub(crate) fn attributes<'a>(
        &mut self,
        field: u32,
        attributes: impl IntoIterator<Item = &'a KeyValue>,
    ) {
        for kv in attributes {
            self.key_value(field, kv.key.as_str(), &kv.value);
        }
    }

    /// The fields of an `AnyValue` holding an attribute value.
    fn value(&mut self, value: &Value) {
        match value {
            Value::Bool(v) => self.bool_member(*v),
            Value::I64(v) => self.int_member(*v),
            Value::F64(v) => self.double_member(*v),
            Value::String(v) => self.string_member(v.as_str()),
            Value::Array(array) => self.message(5, |w| match array {
                Array::Bool(items) => w.array(items, |w, v| w.bool_member(*v)),
                Array::I64(items) => w.array(items, |w, v| w.int_member(*v)),
                Array::F64(items) => w.array(items, |w, v| w.double_member(*v)),
                Array::String(items) => w.array(items, |w, v| w.string_member(v.as_str())),
                // A kind of array added to the API later: an empty list.
                _ => {}
            }),
            // A kind of value added to the API later: an empty value.
            _ => {}
        }
    }

    // The scalar members of an `AnyValue`'s `oneof`, written even at their default.

    pub(crate) fn string_member(&mut self, value: &str) {
        self.bytes_always(1, value.as_bytes());
    }

    pub(crate) fn bool_member(&mut self, value: bool) {
        self.varint_always(2, u64::from(value));
    }

    /// `int64`: a negative value takes ten bytes.
    #[allow(clippy::cast_sign_loss)]
    pub(crate) fn int_member(&mut self, value: i64) {
        self.varint_always(3, value as u64);
    }

    pub(crate) fn double_member(&mut self, value: f64) {
        self.fixed64_always(4, value.to_bits());
    }

    pub(crate) fn bytes_member(&mut self, value: &[u8]) {
        self.bytes_always(7, value);
    }

    /// The `values` of an `ArrayValue`, one `AnyValue` per item.
    fn array<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T)) {
        for v in items {
            self.message(1, |w| item(w, v));
        }
    }

    /// An `InstrumentationScope` message: `name` (the scope's, or a log record's
    /// target), the scope's version and attributes.
    pub(crate) fn scope(&mut self, field: u32, name: &str, scope: &InstrumentationScope) {
        self.message(field, |w| {
            w.string(1, name);
            w.string(2, scope.version().unwrap_or_default());
            w.attributes(3, scope.attributes());
        });
    }
}

/// Nanoseconds since the Unix epoch (zero for an earlier time).
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The `resource` field of a `Resource{Spans,Logs}` message, encoded once per exporter,
/// and the resource's schema URL.
#[derive(Debug, Default)]
pub(crate) struct EncodedResource {
    field: Vec<u8>,
    schema_url: String,
}

impl EncodedResource {
    pub(crate) fn new(resource: &opentelemetry_sdk::Resource) -> Self {
        let mut w = Writer::with_capacity(256);
        w.message(1, |w| {
            for (key, value) in resource.iter() {
                w.key_value(1, key.as_str(), value);
            }
        });
        Self {
            field: w.into_bytes(),
            schema_url: resource.schema_url().unwrap_or_default().to_owned(),
        }
    }

    /// Writes one `Resource{Spans,Logs}` message (field 1 of the request) around the
    /// scope messages `scopes` writes (field 2 of it).
    pub(crate) fn request(&self, capacity: usize, scopes: impl FnOnce(&mut Writer)) -> Vec<u8> {
        let mut w = Writer::with_capacity(capacity);
        w.message(1, |w| {
            w.raw(&self.field);
            scopes(w);
            w.string(3, &self.schema_url);
        });
        w.into_bytes()
    }
}

#[cfg(test)]
mod tests;
