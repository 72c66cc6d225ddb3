//! A small `tracing` layer recording db events and spans, for the `db_*` tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// One captured event.
#[derive(Clone, Debug)]
pub struct Captured {
    pub level: Level,
    pub target: String,
    pub message: String,
    pub fields: BTreeMap<String, String>,
    /// Names of the spans the event was inside, outermost first.
    pub spans: Vec<String>,
}

impl Captured {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
    #[track_caller]
    pub fn get(&self, name: &str) -> &str {
        self.field(name)
            .unwrap_or_else(|| panic!("field {name} missing from {self:?}"))
    }
    pub fn duration_ms(&self) -> f64 {
        self.get("duration_ms")
            .parse()
            .expect("duration_ms is a number")
    }
}

/// One captured span with its fields as last recorded.
#[derive(Clone, Debug, Default)]
pub struct CapturedSpan {
    pub name: String,
    pub fields: BTreeMap<String, String>,
}

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
}

/// A logged statement: (text, operation, collection).
pub type Logged = (String, String, Option<String>);

/// A statement to run and what must be logged for it: (statement, text, operation,
/// collection).
pub type Expected<'a> = (&'a str, &'a str, &'a str, Option<&'a str>);

/// What `statements` must log, in order.
pub fn logged(statements: &[Expected<'_>]) -> Vec<Logged> {
    statements
        .iter()
        .map(|(_, text, op, table)| {
            (
                (*text).to_owned(),
                (*op).to_owned(),
                table.map(str::to_owned),
            )
        })
        .collect()
}

/// Everything captured, shared with the layer.
#[derive(Clone, Default)]
pub struct Capture {
    events: Arc<Mutex<Vec<Captured>>>,
    spans: Arc<Mutex<Vec<CapturedSpan>>>,
}

struct SpanIndex(usize);

impl Capture {
    pub fn events(&self) -> Vec<Captured> {
        self.events.lock().unwrap().clone()
    }
    /// Events of the `memotrace::db` target.
    pub fn db_events(&self) -> Vec<Captured> {
        self.events()
            .into_iter()
            .filter(|e| e.target == "memotrace::db")
            .collect()
    }
    /// Each db event as (message, level, field names, statement text): what the macro and
    /// the adapters must agree on.
    pub fn shapes(&self) -> Vec<(String, Level, std::collections::BTreeSet<String>, String)> {
        self.db_events()
            .into_iter()
            .map(|e| {
                let text = e.get("db.query.text").to_owned();
                (e.message, e.level, e.fields.keys().cloned().collect(), text)
            })
            .collect()
    }
    pub fn messages(&self) -> Vec<String> {
        self.db_events().into_iter().map(|e| e.message).collect()
    }
    pub fn spans(&self) -> Vec<CapturedSpan> {
        self.spans.lock().unwrap().clone()
    }
    #[track_caller]
    pub fn one(&self, message: &str) -> Captured {
        let found: Vec<_> = self
            .db_events()
            .into_iter()
            .filter(|e| e.message == message)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "expected one `{message}` in {:#?}",
            self.db_events()
        );
        found.into_iter().next().unwrap()
    }
    /// Each `sql_query_completed` as (text, operation, collection), after checking that
    /// every db event names `system` and that no event or span field holds any of
    /// `literals`.
    #[track_caller]
    pub fn completed_statements(&self, system: &str, literals: &[&str]) -> Vec<Logged> {
        let everything = format!("{:?}{:?}", self.db_events(), self.spans());
        for literal in literals {
            assert!(
                !everything.contains(literal),
                "{literal} leaked: {everything}"
            );
        }
        self.db_events()
            .into_iter()
            .filter(|e| e.message == "sql_query_completed")
            .map(|e| {
                assert_eq!(e.get("db.system.name"), system);
                (
                    e.get("db.query.text").to_owned(),
                    e.get("db.operation.name").to_owned(),
                    e.field("db.collection.name").map(str::to_owned),
                )
            })
            .collect()
    }
    pub fn clear(&self) {
        self.events.lock().unwrap().clear();
        self.spans.lock().unwrap().clear();
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let mut spans = self.spans.lock().unwrap();
        spans.push(CapturedSpan {
            name: attrs.metadata().name().to_owned(),
            fields: fields.0,
        });
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanIndex(spans.len() - 1));
        }
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            if let Some(SpanIndex(i)) = span.extensions().get::<SpanIndex>() {
                self.spans.lock().unwrap()[*i].fields.extend(fields.0);
            }
        }
    }
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let message = fields.0.remove("message").unwrap_or_default();
        let spans = ctx
            .event_scope(event)
            .map(|scope| scope.from_root().map(|s| s.name().to_owned()).collect())
            .unwrap_or_default();
        self.events.lock().unwrap().push(Captured {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            message,
            fields: fields.0,
            spans,
        });
    }
}

/// Runs `f` with a capturing subscriber (everything up to `max_level`) as this thread's
/// default, returning what it captured.
pub fn capture<R>(max_level: Level, f: impl FnOnce() -> R) -> (Capture, R) {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone().with_filter(
        tracing_subscriber::filter::LevelFilter::from_level(max_level),
    ));
    let result = tracing::subscriber::with_default(subscriber, f);
    (capture, result)
}

/// A current-thread tokio runtime for the async tests.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// The example `users` table.
pub const SCHEMA: &str = "CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    hashed_password TEXT NOT NULL,
    name TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
)";

/// A statement that takes a while on purpose: a recursive CTE counting to `n`.
pub fn slow_statement(n: u64) -> String {
    format!("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) SELECT count(*) FROM c")
}
