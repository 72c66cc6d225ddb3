//! OTLP export against a receiver in the test process that decodes the requests with the
//! protocol's own types: an HTTP request through a real axum server gives a SERVER span
//! (continuing the caller's `traceparent`) → the `#[log_performance]` span → the
//! `db.query` CLIENT span; errors set the span status; log records carry the same trace
//! id and no secrets; JSON lines carry `trace_id`/`span_id`.

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use memotrace::http::RequestContextLayer;
use memotrace::log::Format;
use memotrace::{cached, instrument_db, log_performance};
use memotrace_tests::capture::Capture;
use memotrace_tests::http_client;
use memotrace_tests::otlp_receiver::OtlpReceiver;
use memotrace_tests::TextError;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode as OtelStatus;
use opentelemetry_proto::tonic::trace::v1::Span;
use rusqlite::Connection;
use std::net::SocketAddr;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

#[instrument_db(system = "sqlite", statement = "SELECT name FROM users WHERE id = ?1")]
fn user_name(conn: &Connection, id: i64) -> rusqlite::Result<String> {
    conn.query_row("SELECT name FROM users WHERE id = ?1", [id], |r| r.get(0))
}

#[log_performance(level = "info")]
fn load_user(id: i64) -> Result<String, TextError> {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users VALUES (7, 'ada');")
        .unwrap();
    tracing::info!(password = "hunter2", user = id, "user_loaded");
    user_name(&conn, id).map_err(|e| TextError(e.to_string()))
}

#[log_performance(level = "info")]
async fn load_user_async(id: i64) -> Result<String, TextError> {
    tokio::task::yield_now().await;
    let name = load_user(id)?;
    tokio::task::yield_now().await;
    if id == 7 {
        Ok(name)
    } else {
        Err(TextError("not seven".into()))
    }
}

#[log_performance(level = "info", span = false)]
fn untraced(n: u64) -> u64 {
    tracing::info!("inside_untraced");
    n + 1
}

#[log_performance(level = "info")]
#[cached]
fn square(n: u64) -> u64 {
    n * n
}

#[cached]
fn cube(n: u64) -> u64 {
    n * n * n
}

#[log_performance(level = "info")]
fn volume(n: u64) -> u64 {
    cube(n)
}

fn app() -> Router {
    Router::new()
        .route(
            "/cube/{n}",
            get(|axum::extract::Path(n): axum::extract::Path<u64>| async move { cube(n).to_string() }),
        )
        .route(
            "/users/{id}",
            get(
                |axum::extract::Path(id): axum::extract::Path<i64>| async move {
                    match load_user(id) {
                        Ok(name) => (StatusCode::OK, name),
                        Err(e) => (StatusCode::NOT_FOUND, e.0),
                    }
                },
            ),
        )
        .layer(RequestContextLayer::new())
}

/// `GET path` with `headers` against a fresh server of [`app`]: the status.
async fn get_with(path: &str, headers: &[(&str, &str)]) -> StatusCode {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app()).await });
    http_client::get_with(addr, path, headers).await.0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attr<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Any> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn named<'a>(spans: &'a [Span], name: &str) -> Vec<&'a Span> {
    spans.iter().filter(|s| s.name == name).collect()
}

fn exporting(receiver: &OtlpReceiver, format: Format) -> Capture {
    let endpoint = receiver.endpoint();
    Capture::with(|b| b.format(format).filter("info").otlp(endpoint))
}

#[test]
fn a_request_exports_server_then_operation_then_client_spans_with_logs_in_the_same_trace() {
    let receiver = OtlpReceiver::start();
    let cap = exporting(&receiver, Format::Json);
    let rt = cap.runtime();
    let status = cap.block_on(&rt, get_with("/users/7", &[("traceparent", TRACEPARENT)]));
    assert_eq!(status, StatusCode::OK);
    cap.guard().flush();

    let spans = receiver.spans();
    let server = named(&spans, "GET /users/{id}");
    assert_eq!(server.len(), 1, "{spans:#?}");
    let server = server[0];
    assert_eq!(server.kind, SpanKind::Server as i32);
    assert_eq!(
        hex(&server.trace_id),
        TRACE_ID,
        "the caller's trace continues"
    );
    assert_eq!(hex(&server.parent_span_id), PARENT_SPAN_ID);
    assert_eq!(
        attr(&server.attributes, "http.response.status_code"),
        Some(&Any::IntValue(200))
    );

    let op = named(&spans, "load_user");
    assert_eq!(op.len(), 1, "{spans:#?}");
    let op = op[0];
    assert_eq!(
        op.parent_span_id, server.span_id,
        "operation inside the request"
    );
    assert_eq!(op.trace_id, server.trace_id);
    assert_eq!(attr(&op.attributes, "success"), Some(&Any::BoolValue(true)));
    assert!(
        matches!(attr(&op.attributes, "duration_ms"), Some(Any::DoubleValue(ms)) if *ms >= 0.0)
    );
    assert_ne!(
        op.status.as_ref().map(|s| s.code),
        Some(OtelStatus::Error as i32)
    );

    let db = named(&spans, "SELECT users");
    assert_eq!(db.len(), 1, "{spans:#?}");
    assert_eq!(db[0].kind, SpanKind::Client as i32);
    assert_eq!(
        db[0].parent_span_id, op.span_id,
        "query inside the operation"
    );
    assert_eq!(
        attr(&db[0].attributes, "db.system.name"),
        Some(&Any::StringValue("sqlite".into()))
    );

    // Log records: the same trace, redaction applied.
    let logs = receiver.logs();
    let loaded = logs
        .iter()
        .find(|r| {
            r.body.as_ref().and_then(|b| b.value.as_ref())
                == Some(&Any::StringValue("user_loaded".into()))
        })
        .unwrap_or_else(|| panic!("no user_loaded record in {logs:#?}"));
    assert_eq!(hex(&loaded.trace_id), TRACE_ID);
    assert_eq!(loaded.span_id, op.span_id, "logged inside the operation");
    assert_eq!(attr(&loaded.attributes, "user"), Some(&Any::IntValue(7)));
    let all = format!("{logs:?}");
    assert!(
        !all.contains("hunter2"),
        "a secret reached the collector: {all}"
    );
    assert!(
        attr(&loaded.attributes, "password").is_some(),
        "the field is kept, redacted"
    );

    // The JSON line of the same event links to the trace.
    let line = cap.one("user_loaded");
    assert_eq!(line["trace_id"], TRACE_ID, "{line}");
    assert_eq!(line["span_id"], hex(&op.span_id), "{line}");
}

#[test]
fn an_err_sets_the_operation_span_status_to_error() {
    let receiver = OtlpReceiver::start();
    let cap = exporting(&receiver, Format::Json);
    let rt = cap.runtime();
    let status = cap.block_on(&rt, get_with("/users/8", &[]));
    assert_eq!(status, StatusCode::NOT_FOUND);
    cap.guard().flush();

    let spans = receiver.spans();
    let op = named(&spans, "load_user");
    assert_eq!(op.len(), 1, "{spans:#?}");
    let op = op[0];
    assert_eq!(
        op.status.as_ref().map(|s| s.code),
        Some(OtelStatus::Error as i32)
    );
    assert_eq!(
        attr(&op.attributes, "success"),
        Some(&Any::BoolValue(false))
    );
    assert_eq!(
        attr(&op.attributes, "error_type"),
        Some(&Any::StringValue("TextError".into()))
    );
    let server = named(&spans, "GET /users/{id}");
    assert_eq!(server.len(), 1);
    assert!(
        server[0].parent_span_id.is_empty(),
        "no traceparent: a new trace"
    );
    assert_eq!(op.trace_id, server[0].trace_id);
}

#[test]
fn ecs_lines_carry_trace_span_and_transaction_ids() {
    let receiver = OtlpReceiver::start();
    let cap = exporting(&receiver, Format::Ecs);
    let rt = cap.runtime();
    cap.block_on(&rt, get_with("/users/7", &[("traceparent", TRACEPARENT)]));
    cap.guard().flush();
    let spans = receiver.spans();
    let server = named(&spans, "GET /users/{id}")[0];
    let op = named(&spans, "load_user")[0];
    let line = cap.one("user_loaded");
    assert_eq!(line["trace.id"], TRACE_ID, "{line}");
    assert_eq!(line["span.id"], hex(&op.span_id), "{line}");
    assert_eq!(line["transaction.id"], hex(&server.span_id), "{line}");
}

#[test]
fn without_export_lines_carry_no_trace_ids() {
    let cap = Capture::with(|b| b.format(Format::Json).filter("info"));
    let rt = cap.runtime();
    cap.block_on(&rt, get_with("/users/7", &[("traceparent", TRACEPARENT)]));
    let line = cap.one("user_loaded");
    assert!(line.get("span_id").is_none(), "{line}");
    assert_eq!(cap.guard().exported_spans(), 0);
}

#[test]
fn span_false_times_the_call_without_a_span() {
    let receiver = OtlpReceiver::start();
    let cap = exporting(&receiver, Format::Json);
    assert_eq!(cap.run(|| untraced(1)), 2);
    cap.guard().flush();
    assert!(receiver.spans().is_empty(), "{:#?}", receiver.spans());
    assert_eq!(cap.one("operation_completed")["operation"], "untraced");
    assert!(cap.one("inside_untraced").get("span_id").is_none());
}

#[test]
fn above_cached_the_span_records_whether_the_call_was_a_hit() {
    let receiver = OtlpReceiver::start();
    let cap = exporting(&receiver, Format::Json);
    cap.run(|| {
        assert_eq!(square(3), 9);
        assert_eq!(square(3), 9);
    });
    cap.guard().flush();
    let spans = receiver.spans();
    let calls = named(&spans, "square");
    let hits: Vec<_> = calls
        .iter()
        .map(|s| attr(&s.attributes, "cache.hit").cloned())
        .collect();
    assert_eq!(
        hits,
        [Some(Any::BoolValue(false)), Some(Any::BoolValue(true))],
        "one span per call, no span of its own for the lookup"
    );
    for span in calls {
        assert_eq!(
            attr(&span.attributes, "cache.name"),
            Some(&Any::StringValue("otel_export::square".into()))
        );
        assert_eq!(count(&span.attributes, "cache.hit"), 1, "{span:#?}");
    }
}

fn count(attributes: &[KeyValue], key: &str) -> usize {
    attributes.iter().filter(|kv| kv.key == key).count()
}

#[test]
fn a_lookup_inside_a_traced_call_records_hit_and_cache_name_on_the_callers_span() {
    let receiver = OtlpReceiver::start();
    let cap = exporting(&receiver, Format::Json);
    cap.run(|| {
        assert_eq!(volume(2), 8);
        assert_eq!(volume(2), 8);
    });
    let rt = cap.runtime();
    assert_eq!(cap.block_on(&rt, get_with("/cube/3", &[])), StatusCode::OK);
    cap.guard().flush();

    let spans = receiver.spans();
    assert!(named(&spans, "cube").is_empty(), "no span per lookup");
    let calls = named(&spans, "volume");
    let seen: Vec<_> = calls
        .iter()
        .map(|s| {
            (
                attr(&s.attributes, "cache.hit").cloned(),
                attr(&s.attributes, "cache.name").cloned(),
                count(&s.attributes, "cache.hit"),
            )
        })
        .collect();
    let cube = Some(Any::StringValue("otel_export::cube".into()));
    assert_eq!(
        seen,
        [
            (Some(Any::BoolValue(false)), cube.clone(), 1),
            (Some(Any::BoolValue(true)), cube.clone(), 1)
        ]
    );
    // A span memotrace did not open (the request's SERVER span) gets them as attributes.
    let server = named(&spans, "GET /cube/{n}");
    assert_eq!(server.len(), 1, "{spans:#?}");
    assert_eq!(
        attr(&server[0].attributes, "cache.hit"),
        Some(&Any::BoolValue(false))
    );
    assert_eq!(attr(&server[0].attributes, "cache.name"), cube.as_ref());
}

#[test]
fn an_async_operation_span_covers_every_poll_and_parents_what_it_calls() {
    let receiver = OtlpReceiver::start();
    let cap = exporting(&receiver, Format::Json);
    let rt = cap.runtime();
    assert_eq!(cap.block_on(&rt, load_user_async(7)).unwrap(), "ada");
    cap.guard().flush();
    let spans = receiver.spans();
    let outer = named(&spans, "load_user_async");
    let inner = named(&spans, "load_user");
    assert_eq!((outer.len(), inner.len()), (1, 1), "{spans:#?}");
    assert_eq!(inner[0].parent_span_id, outer[0].span_id);
    assert_eq!(
        attr(&outer[0].attributes, "success"),
        Some(&Any::BoolValue(true))
    );
    let done = cap
        .events("operation_completed")
        .into_iter()
        .find(|l| l["operation"] == "load_user_async")
        .unwrap();
    assert_eq!(
        done["span_id"],
        hex(&outer[0].span_id),
        "the end event is inside the span: {done}"
    );
}
