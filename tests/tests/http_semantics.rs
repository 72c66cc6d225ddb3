//! `RequestContextLayer` through a real axum server and a hyper client on 127.0.0.1:
//! OpenTelemetry HTTP semantic-convention fields, the route template, W3C trace context
//! continued (or a new trace for a bad header), and a handler panic answered with a 500.

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use memotrace::http::{RequestContextLayer, TraceContext};
use memotrace_tests::capture::Capture;
use memotrace_tests::http_client::get_with;
use std::net::SocketAddr;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn app() -> Router {
    Router::new()
        .route(
            "/users/{id}",
            get(
                |axum::Extension(trace): axum::Extension<TraceContext>| async move {
                    tracing::info!("fetching_user");
                    trace.parent_span_id.unwrap_or_default()
                },
            ),
        )
        .route(
            "/boom",
            get(|| async {
                if std::hint::black_box(true) {
                    panic!("handler exploded");
                }
                "unreachable"
            }),
        )
        .layer(RequestContextLayer::new())
}

async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app().into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    addr
}

#[test]
fn events_carry_semantic_convention_fields_and_the_route_template() {
    let cap = Capture::json();
    let rt = cap.runtime();
    let (status, _) = cap.block_on(&rt, async {
        let addr = serve().await;
        get_with(addr, "/users/7", &[("user-agent", "memotrace-test/1.0")]).await
    });
    assert_eq!(status, StatusCode::OK);
    let handler = cap.one("fetching_user");
    assert_eq!(handler["http.route"], "/users/{id}", "{handler}");
    assert_eq!(handler["url.path"], "/users/7");
    assert_eq!(handler["http.request.method"], "GET");
    assert_eq!(handler["client.address"], "127.0.0.1");
    assert_eq!(handler["user_agent.original"], "memotrace-test/1.0");
    assert_eq!(handler["request_id"].as_str().unwrap().len(), 36);
    let done = cap.one("request_completed");
    assert_eq!(done["http.response.status_code"], 200);
    assert_eq!(done["http.route"], "/users/{id}");
}

#[test]
fn an_incoming_traceparent_is_continued() {
    let cap = Capture::json();
    let rt = cap.runtime();
    let (status, parent) = cap.block_on(&rt, async {
        let addr = serve().await;
        get_with(
            addr,
            "/users/7",
            &[("traceparent", TRACEPARENT), ("tracestate", "vendor=abc")],
        )
        .await
    });
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        parent, "00f067aa0ba902b7",
        "the handler sees the caller's span id"
    );
    for event in ["request_started", "fetching_user", "request_completed"] {
        assert_eq!(cap.one(event)["trace_id"], TRACE_ID, "{event}");
    }
}

#[test]
fn a_malformed_or_oversized_traceparent_starts_a_new_trace() {
    let cap = Capture::json();
    let rt = cap.runtime();
    let oversized = format!("{TRACEPARENT}-{}", "a".repeat(8_000));
    let bad = [
        "garbage",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        oversized.as_str(),
    ];
    let statuses = cap.block_on(&rt, async {
        let addr = serve().await;
        let mut statuses = Vec::new();
        for value in bad {
            statuses.push(
                get_with(addr, "/users/7", &[("traceparent", value)])
                    .await
                    .0,
            );
        }
        statuses
    });
    assert_eq!(statuses, vec![StatusCode::OK; bad.len()]);
    let ids: Vec<String> = cap
        .events("fetching_user")
        .iter()
        .map(|e| e["trace_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), bad.len());
    for id in &ids {
        assert_eq!(id.len(), 32, "{id}");
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(id, TRACE_ID);
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        ids.len(),
        "each request gets its own trace: {ids:?}"
    );
}

#[test]
fn a_handler_panic_is_a_500_and_one_error_event() {
    let cap = Capture::json();
    let rt = cap.runtime();
    let (boom, after) = cap.block_on(&rt, async {
        let addr = serve().await;
        let boom = get_with(addr, "/boom", &[("x-request-id", "req-panic")]).await;
        let after = get_with(addr, "/users/7", &[]).await;
        (boom, after)
    });
    assert_eq!(boom.0, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(after.0, StatusCode::OK, "the server keeps serving");
    let failed = cap.events("request_failed");
    assert_eq!(failed.len(), 1, "{}", cap.text());
    let failed = &failed[0];
    assert_eq!(failed["level"], "error");
    assert_eq!(failed["error"], "handler exploded");
    assert_eq!(failed["request_id"], "req-panic");
    assert_eq!(failed["http.route"], "/boom");
    assert_eq!(failed["url.path"], "/boom");
    assert_eq!(failed["http.response.status_code"], 500);
    assert!(
        cap.events("request_completed")
            .iter()
            .all(|e| e["url.path"] != "/boom"),
        "the panicked request is logged once, as request_failed"
    );
}
