//! Writes one event as a line: JSON (flattened), ECS JSON, or the
//! pretty coloured console format. Redaction and "innermost wins" happen here, once, for
//! every format; a [`Tap`] receives each field with the value the line shows (the OTLP
//! log record is built from it).

use super::ecs::{self, EcsName};
use super::{Format, Redactor, Value, REDACTED};
use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::time::SystemTime;

/// Receives what a line shows, field by field, as it is written: the time, the message
/// (masked), the logger, and each field of the event, its spans and the bound context,
/// with the value the line shows (redacted, masked). The line's own fields (service,
/// version, environment, thread, trace ids) are not handed over. Its methods do nothing
/// by default: [`NoTap`] costs nothing.
pub(crate) trait Tap {
    /// The line's time.
    fn time(&mut self, _now: SystemTime) {}
    /// The message, masked.
    fn body(&mut self, _message: &str) {}
    /// The name of the next field handed over is this `'static` one (it needs no copy).
    fn static_name(&mut self, _key: &'static str) {}
    /// One field, as the line shows it.
    fn field(&mut self, _key: &str, _value: Tapped<'_>) {}
}

/// Lines that go nowhere else.
pub(crate) struct NoTap;

impl Tap for NoTap {}

/// A field's value as a line shows it: redacted, masked, nested JSON redacted inside.
/// Without the `otel` feature no tap reads the borrowed payloads (the line renders from
/// the field itself), hence the allowance.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "otel"), allow(dead_code))]
pub(crate) enum Tapped<'v> {
    Str(&'v str),
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(f64),
    Bool(bool),
    /// The masked texts of an error's sources.
    List(&'v [Cow<'v, str>]),
    Json(&'v serde_json::Value),
}

/// Static fields added to every line.
#[derive(Clone, Debug, Default)]
pub(crate) struct Statics {
    pub service: Option<String>,
    pub version: Option<String>,
    pub environment: Option<String>,
    pub thread: bool,
    pub process: bool,
}

/// A borrowed field value on its way out.
pub(crate) enum FieldRef<'v> {
    Str(&'v str),
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(f64),
    Bool(bool),
    Debug(&'v dyn fmt::Debug),
    Error(&'v (dyn std::error::Error + 'static)),
    Owned(&'v Value),
}

impl FieldRef<'_> {
    /// Whether the value is an integer (an ECS `long` accepts it).
    fn is_integer(&self) -> bool {
        match self {
            Self::I64(_) | Self::U64(_) | Self::I128(_) | Self::U128(_) => true,
            Self::Owned(v) => matches!(v, Value::I64(_) | Value::U64(_)),
            _ => false,
        }
    }

    /// The value as a number, when it is one.
    #[allow(clippy::cast_precision_loss)]
    fn as_f64(&self) -> Option<f64> {
        match self {
            Self::F64(v) | Self::Owned(Value::F64(v)) => Some(*v),
            Self::I64(v) | Self::Owned(Value::I64(v)) => Some(*v as f64),
            Self::U64(v) | Self::Owned(Value::U64(v)) => Some(*v as f64),
            _ => None,
        }
    }
}

/// The ECS version the ECS format declares.
pub const ECS_VERSION: &str = "8.11.0";

/// One line being written; `tap` receives its fields too.
pub(crate) struct Line<'a, 'k, T: Tap> {
    pub out: &'a mut String,
    pub format: Format,
    pub ansi: bool,
    pub redactor: &'a Redactor,
    tap: &'a mut T,
    written: KeySet<'k>,
    /// ECS: the `labels.*` keys written so far.
    labels: Vec<String>,
    scratch: String,
}

/// The keys written so far; the first 24 without allocating.
struct KeySet<'k> {
    inline: [&'k str; 24],
    len: usize,
    spill: Vec<&'k str>,
}

impl<'k> KeySet<'k> {
    const fn new() -> Self {
        Self {
            inline: [""; 24],
            len: 0,
            spill: Vec::new(),
        }
    }

    #[inline]
    fn contains(&self, key: &str) -> bool {
        self.inline[..self.len].contains(&key) || self.spill.contains(&key)
    }

    #[inline]
    fn push(&mut self, key: &'k str) {
        if self.len < self.inline.len() {
            self.inline[self.len] = key;
            self.len += 1;
        } else {
            self.spill.push(key);
        }
    }
}

/// How a key is checked for redaction.
#[derive(Clone, Copy)]
pub(crate) enum Check {
    /// A `'static` name: the check is cached per thread.
    Static(&'static str),
    /// Any other name: checked each time.
    Dynamic,
    /// Our own static fields: never redacted.
    Never,
}

const RESET: &str = "\x1b[0m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const CYAN: &str = "\x1b[36m";
const MAGENTA: &str = "\x1b[35m";

impl<'a, 'k, T: Tap> Line<'a, 'k, T> {
    pub(super) fn new(
        out: &'a mut String,
        format: Format,
        ansi: bool,
        redactor: &'a Redactor,
        tap: &'a mut T,
    ) -> Self {
        Self {
            out,
            format,
            ansi: ansi && format == Format::Pretty,
            redactor,
            tap,
            written: KeySet::new(),
            labels: Vec::new(),
            scratch: String::new(),
        }
    }

    /// Timestamp, level and (JSON) logger; then the caller writes the message, then
    /// [`logger`](Line::logger), then the fields.
    pub(super) fn begin(&mut self, level: tracing::Level, target: &str) {
        let now = SystemTime::now();
        self.tap.time(now);
        match self.format {
            Format::Json | Format::Ecs => {
                let ecs = self.format == Format::Ecs;
                self.out.push_str(if ecs {
                    "{\"@timestamp\":\""
                } else {
                    "{\"timestamp\":\""
                });
                super::timestamp::write_rfc3339(self.out, now);
                self.out.push_str(if ecs {
                    "\",\"log.level\":\""
                } else {
                    "\",\"level\":\""
                });
                self.out.push_str(level_name(level));
                self.out.push('"');
                if !ecs {
                    self.out.push_str(",\"logger\":");
                    json_str(self.out, target);
                    const LOGGER: &str = "logger";
                    self.tap.static_name(LOGGER);
                    self.tap.field(LOGGER, Tapped::Str(target));
                }
            }
            Format::Pretty => {
                if self.ansi {
                    self.out.push_str(DIM);
                }
                super::timestamp::write_rfc3339(self.out, now);
                if self.ansi {
                    self.out.push_str(RESET);
                }
                self.out.push_str(" [");
                if self.ansi {
                    self.out.push_str(level_colour(level));
                }
                let _ = write!(self.out, "{:<9}", level_name(level));
                if self.ansi {
                    self.out.push_str(RESET);
                }
                self.out.push_str("] ");
            }
        }
    }

    /// The event's message (`event` / `message`), masked like any text.
    pub(super) fn message(&mut self, message: &dyn fmt::Display) {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let _ = write!(scratch, "{message}");
        let masked = self.redactor.mask_text(&scratch);
        self.tap.body(&masked);
        match self.format {
            Format::Json | Format::Ecs => {
                self.out.push_str(if self.format == Format::Ecs {
                    ",\"message\":\""
                } else {
                    ",\"event\":\""
                });
                let _ = JsonEscape(self.out).write_str(&masked);
                self.out.push('"');
            }
            Format::Pretty => {
                if self.ansi {
                    self.out.push_str(BOLD);
                }
                self.out.push_str(&masked);
                let width = masked.chars().count();
                if self.ansi {
                    self.out.push_str(RESET);
                }
                for _ in width..30 {
                    self.out.push(' ');
                }
            }
        }
        drop(masked);
        self.scratch = scratch;
    }

    /// ECS: `log.logger`, after the message (the spec puts `@timestamp`, `log.level` and
    /// `message` first).
    pub(super) fn logger(&mut self, target: &str) {
        if self.format == Format::Ecs {
            self.out.push_str(",\"log.logger\":");
            json_str(self.out, target);
            self.written.push("log.logger");
        }
    }

    /// The OpenTelemetry ids of the event's span: `trace_id`, `span_id` in JSON;
    /// `trace.id`, `span.id`, `transaction.id` in ECS; nothing in pretty lines.
    #[cfg(feature = "otel")]
    pub(super) fn trace_ids(&mut self, ids: &crate::otel::ids::TraceIds) {
        match self.format {
            Format::Json => {
                self.own_text("trace_id", ids.trace_hex().as_str());
                self.own_text("span_id", ids.span_hex().as_str());
            }
            Format::Ecs => {
                self.own_text("trace.id", ids.trace_hex().as_str());
                self.own_text("span.id", ids.span_hex().as_str());
                self.own_text("transaction.id", ids.transaction_hex().as_str());
            }
            Format::Pretty => {}
        }
    }

    /// Writes the field of an event or a span (`'static` name).
    pub(super) fn field_static(&mut self, key: &'static str, value: &FieldRef<'_>) {
        self.field(key, Check::Static(key), value);
    }

    /// Writes `key = value` unless an inner scope already wrote `key`.
    pub(super) fn field(&mut self, key: &'k str, check: Check, value: &FieldRef<'_>) {
        let sensitive = match check {
            Check::Static(k) => self.redactor.is_sensitive_static(k),
            Check::Dynamic => self.redactor.is_sensitive(key),
            Check::Never => false,
        };
        if self.format == Format::Ecs && !matches!(check, Check::Never) {
            return self.ecs_field(key, value, sensitive);
        }
        if self.first(key) {
            if let Check::Static(name) = check {
                self.tap.static_name(name);
            }
            self.raw_field(key, value, sensitive, false);
        }
    }

    /// One of our own text fields (service, thread…): never redacted nor masked, and
    /// left out when a field of the event already took its name.
    fn own_text(&mut self, key: &'k str, value: &str) {
        if self.first(key) {
            self.key(key);
            self.text(value);
            self.end_value();
        }
    }

    /// Whether `key` is written for the first time (and records it).
    #[inline]
    fn first(&mut self, key: &'k str) -> bool {
        if self.written.contains(key) {
            return false;
        }
        self.written.push(key);
        true
    }

    /// An event, span or context field in an ECS line: renamed (`error` →
    /// `error.message`, `error_type` → `error.type`), then written with the type ECS
    /// gives its name, or moved under `labels` (see [`ecs::classify`]).
    fn ecs_field(&mut self, key: &'k str, value: &FieldRef<'_>, sensitive: bool) {
        let key = match key {
            "error" => "error.message",
            "error_type" => "error.type",
            other => other,
        };
        match ecs::classify(key) {
            EcsName::Reserved | EcsName::Object => self.label(key, value, sensitive),
            EcsName::Long if !value.is_integer() => self.label(key, value, sensitive),
            EcsName::Keyword => {
                if self.first(key) {
                    self.raw_field(key, value, sensitive, true);
                }
            }
            EcsName::Long | EcsName::Custom => {
                if self.first(key) {
                    self.raw_field(key, value, sensitive, false);
                }
            }
        }
        if key == "duration_ms" {
            if let Some(ms) = value.as_f64() {
                // ECS `event.duration` is in nanoseconds.
                #[allow(clippy::cast_possible_truncation)]
                let ns = (ms * 1_000_000.0).round() as i64;
                if self.first("event.duration") {
                    self.raw_field("event.duration", &FieldRef::I64(ns), false, false);
                }
            }
        }
    }

    /// ECS: `labels.<name>`, as a string (labels are keywords).
    fn label(&mut self, key: &str, value: &FieldRef<'_>, sensitive: bool) {
        let label = ecs::label_key(key);
        if self.labels.contains(&label) {
            return;
        }
        self.raw_field(&label, value, sensitive, true);
        self.labels.push(label);
    }

    fn key(&mut self, key: &str) {
        match self.format {
            Format::Json | Format::Ecs => {
                self.out.push(',');
                json_str(self.out, key);
                self.out.push(':');
            }
            Format::Pretty => {
                self.out.push(' ');
                if self.ansi {
                    self.out.push_str(CYAN);
                }
                self.out.push_str(key);
                if self.ansi {
                    self.out.push_str(RESET);
                }
                self.out.push('=');
                if self.ansi {
                    self.out.push_str(MAGENTA);
                }
            }
        }
    }

    fn end_value(&mut self) {
        if self.ansi {
            self.out.push_str(RESET);
        }
    }

    fn text(&mut self, s: &str) {
        if self.format == Format::Pretty {
            // Quote values that would not read as one `key=value` token.
            if s.is_empty() || s.contains(|c: char| c.is_whitespace() || c == '=' || c == '"') {
                let _ = write!(self.out, "{s:?}");
            } else {
                self.out.push_str(s);
            }
        } else {
            json_str(self.out, s);
        }
    }

    /// Free text, masked ([`Redactor::mask_text`]).
    fn masked_text(&mut self, key: &str, s: &str) {
        let masked = self.redactor.mask_text(s);
        self.text(&masked);
        self.tap.field(key, Tapped::Str(&masked));
    }

    /// A number or boolean: bare, or as a JSON string when `quoted`.
    fn scalar(&mut self, key: &str, value: Tapped<'_>, quoted: bool) {
        match value {
            Tapped::I64(v) => self.repr(itoa::Buffer::new().format(v), quoted),
            Tapped::U64(v) => self.repr(itoa::Buffer::new().format(v), quoted),
            Tapped::I128(v) => self.repr(itoa::Buffer::new().format(v), quoted),
            Tapped::U128(v) => self.repr(itoa::Buffer::new().format(v), quoted),
            Tapped::F64(v) => self.float(v, quoted),
            Tapped::Bool(v) => self.repr(if v { "true" } else { "false" }, quoted),
            Tapped::Str(_) | Tapped::List(_) | Tapped::Json(_) => return,
        }
        self.tap.field(key, value);
    }

    /// The text of a number or boolean: bare, or as a JSON string when `quoted`.
    fn repr(&mut self, repr: &str, quoted: bool) {
        if quoted && self.format != Format::Pretty {
            json_str(self.out, repr);
        } else {
            self.out.push_str(repr);
        }
    }

    /// The placeholder of a value that is never shown.
    fn redacted(&mut self, key: &str) {
        self.text(REDACTED);
        self.tap.field(key, Tapped::Str(REDACTED));
    }

    /// Writes `key` and the value; `as_string` writes any value as one string (ECS
    /// keywords and labels).
    fn raw_field(&mut self, key: &str, value: &FieldRef<'_>, sensitive: bool, as_string: bool) {
        self.key(key);
        if sensitive {
            self.redacted(key);
            return self.end_value();
        }
        match value {
            FieldRef::Str(s) => self.text_value(key, s, as_string),
            FieldRef::I64(v) => self.scalar(key, Tapped::I64(*v), as_string),
            FieldRef::U64(v) => self.scalar(key, Tapped::U64(*v), as_string),
            FieldRef::I128(v) => self.scalar(key, Tapped::I128(*v), as_string),
            FieldRef::U128(v) => self.scalar(key, Tapped::U128(*v), as_string),
            FieldRef::F64(v) => self.scalar(key, Tapped::F64(*v), as_string),
            FieldRef::Bool(v) => self.scalar(key, Tapped::Bool(*v), as_string),
            FieldRef::Debug(d) => {
                let mut scratch = std::mem::take(&mut self.scratch);
                scratch.clear();
                let _ = write!(scratch, "{d:?}");
                self.text_value(key, &scratch, as_string);
                self.scratch = scratch;
            }
            FieldRef::Error(e) => {
                let mut scratch = std::mem::take(&mut self.scratch);
                scratch.clear();
                let _ = write!(scratch, "{e}");
                self.masked_text(key, &scratch);
                self.scratch = scratch;
                self.end_value();
                let sources: Vec<String> = std::iter::successors(e.source(), |s| s.source())
                    .map(ToString::to_string)
                    .collect();
                if !sources.is_empty() {
                    self.sources(key, &sources);
                }
                return;
            }
            FieldRef::Owned(v) => return self.owned(key, v, as_string),
        }
        self.end_value();
    }

    fn owned(&mut self, key: &str, value: &Value, as_string: bool) {
        match value {
            Value::Str(s) => self.text_value(key, s, as_string),
            Value::I64(v) => self.scalar(key, Tapped::I64(*v), as_string),
            Value::U64(v) => self.scalar(key, Tapped::U64(*v), as_string),
            Value::F64(v) => self.scalar(key, Tapped::F64(*v), as_string),
            Value::Bool(v) => self.scalar(key, Tapped::Bool(*v), as_string),
            Value::Json(v) => {
                let mut v = v.clone();
                self.redactor.redact_json(&mut v);
                self.json(key, &v, as_string);
            }
            Value::Error { message, sources } => {
                self.masked_text(key, message);
                self.end_value();
                if !sources.is_empty() {
                    self.sources(key, sources);
                }
                return;
            }
            Value::Redacted => self.redacted(key),
        }
        self.end_value();
    }

    /// A redacted JSON value: nested, or its text as one string when `as_string`.
    fn json(&mut self, key: &str, v: &serde_json::Value, as_string: bool) {
        match v {
            serde_json::Value::String(s) if as_string => self.text(s),
            _ if as_string => self.text(&v.to_string()),
            _ => self.out.push_str(&v.to_string()),
        }
        self.tap.field(key, Tapped::Json(v));
    }

    fn sources(&mut self, key: &str, sources: &[String]) {
        let name = if self.format == Format::Ecs && key == "error.message" {
            "error.sources".to_owned()
        } else {
            format!("{key}_sources")
        };
        self.key(&name);
        let sources: Vec<Cow<'_, str>> =
            sources.iter().map(|s| self.redactor.mask_text(s)).collect();
        if self.format == Format::Pretty {
            self.out.push_str(&sources.join(": "));
        } else {
            self.out.push('[');
            for (i, s) in sources.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                json_str(self.out, s);
            }
            self.out.push(']');
        }
        self.end_value();
        self.tap.field(&name, Tapped::List(&sources));
    }

    fn float(&mut self, v: f64, quoted: bool) {
        if v.is_finite() && self.format != Format::Pretty {
            self.repr(ryu::Buffer::new().format_finite(v), quoted);
        } else if self.format == Format::Pretty {
            let _ = write!(self.out, "{v}");
        } else {
            self.out.push_str("null");
        }
    }

    /// A text value: JSON text (an object or array, leading blanks allowed) is written
    /// as nested JSON, redacted inside (or as its redacted text when `as_string`); other
    /// text is masked.
    fn text_value(&mut self, key: &str, s: &str, as_string: bool) {
        let trimmed = s.trim_ascii_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(trimmed) {
                self.redactor.redact_json(&mut v);
                return self.json(key, &v, as_string);
            }
        }
        self.masked_text(key, s);
    }

    /// Static fields and the closing of the line.
    pub(super) fn finish(&mut self, statics: &'k Statics) {
        if self.format == Format::Pretty {
            self.out.push('\n');
            return;
        }
        let ecs = self.format == Format::Ecs;
        let names: [&'static str; 3] = if ecs {
            ["service.name", "service.version", "service.environment"]
        } else {
            ["service", "version", "environment"]
        };
        for (name, value) in
            names
                .into_iter()
                .zip([&statics.service, &statics.version, &statics.environment])
        {
            if let Some(v) = value {
                self.own_text(name, v);
            }
        }
        if let (true, Some(service)) = (ecs, &statics.service) {
            if !self.written.contains("event.dataset") {
                self.key("event.dataset");
                self.out.push('"');
                let _ = JsonEscape(self.out).write_str(service);
                self.out.push_str(".log\"");
            }
        }
        if statics.thread || ecs {
            let thread = std::thread::current();
            let name = thread
                .name()
                .map_or_else(|| format!("{:?}", thread.id()), str::to_owned);
            self.own_text(if ecs { "process.thread.name" } else { "thread" }, &name);
        }
        if statics.process || ecs {
            self.field(
                if ecs { "process.pid" } else { "process" },
                Check::Never,
                &FieldRef::U64(u64::from(std::process::id())),
            );
        }
        match self.format {
            Format::Json => self.out.push_str("}\n"),
            Format::Ecs => {
                self.out.push_str(",\"ecs.version\":\"");
                self.out.push_str(ECS_VERSION);
                self.out.push_str("\"}\n");
            }
            Format::Pretty => self.out.push('\n'),
        }
    }

    /// The logger name, in pretty output after the fields.
    pub(super) fn pretty_logger(&mut self, target: &str) {
        if self.format == Format::Pretty {
            if self.ansi {
                self.out.push_str(DIM);
            }
            self.out.push_str(" [");
            self.out.push_str(target);
            self.out.push(']');
            if self.ansi {
                self.out.push_str(RESET);
            }
        }
    }
}

fn level_name(level: tracing::Level) -> &'static str {
    match level {
        tracing::Level::TRACE => "trace",
        tracing::Level::DEBUG => "debug",
        tracing::Level::INFO => "info",
        tracing::Level::WARN => "warning",
        tracing::Level::ERROR => "error",
    }
}

fn level_colour(level: tracing::Level) -> &'static str {
    match level {
        tracing::Level::TRACE => "\x1b[35m",
        tracing::Level::DEBUG => "\x1b[34m",
        tracing::Level::INFO => "\x1b[32m",
        tracing::Level::WARN => "\x1b[33m",
        tracing::Level::ERROR => "\x1b[31;1m",
    }
}

/// Appends `s` as a quoted JSON string.
#[inline]
pub(crate) fn json_str(out: &mut String, s: &str) {
    out.push('"');
    let _ = JsonEscape(out).write_str(s);
    out.push('"');
}

/// A `fmt::Write` that escapes what it is given for the inside of a JSON string.
struct JsonEscape<'a>(&'a mut String);

impl fmt::Write for JsonEscape<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let bytes = s.as_bytes();
        // Fast path: find the first byte that needs escaping, 8 bytes at a time.
        let first = first_to_escape(bytes);
        if first == bytes.len() {
            self.0.push_str(s);
            return Ok(());
        }
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate().skip(first) {
            let esc: &str = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0..=0x1f => "",
                _ => continue,
            };
            self.0.push_str(&s[start..i]);
            if esc.is_empty() {
                let _ = write!(self.0, "\\u{b:04x}");
            } else {
                self.0.push_str(esc);
            }
            start = i + 1;
        }
        self.0.push_str(&s[start..]);
        Ok(())
    }
}

/// The index of the first byte that is a control character, `"` or `\`, or the length.
fn first_to_escape(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let mut chunk = [0u8; 8];
        chunk.copy_from_slice(&bytes[i..i + 8]);
        let w = u64::from_le_bytes(chunk);
        // Bytes below 0x20: (w - 0x20..) & !w & 0x80.. flags them (exact for ASCII and
        // conservative otherwise: a flagged chunk is rechecked byte by byte).
        let low = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
        let quote = has_zero(w ^ (ONES * u64::from(b'"')));
        let backslash = has_zero(w ^ (ONES * u64::from(b'\\')));
        if low | quote | backslash != 0 {
            break;
        }
        i += 8;
    }
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x20 || b == b'"' || b == b'\\' {
            return i;
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::{first_to_escape, json_str};

    #[test]
    fn escapes_like_serde_json() {
        for s in [
            "",
            "plain text that is long enough",
            "a\"b",
            "tab\there",
            "new\nline",
            "back\\slash",
            "\u{1}x",
            "ünïcödé €",
            "0123456789abcdef\"",
            "0123456789abcdef\u{1f}",
        ] {
            let mut out = String::new();
            json_str(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn finds_the_first_byte_to_escape() {
        assert_eq!(first_to_escape(b"abcdefghijklmnop"), 16);
        assert_eq!(first_to_escape(b"abcdefghij\"klmnop"), 10);
        assert_eq!(first_to_escape(b"abcdefgh\\"), 8);
        assert_eq!(first_to_escape(b"\n"), 0);
        assert_eq!(
            first_to_escape("\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}x\n".as_bytes()),
            11
        );
    }
}
