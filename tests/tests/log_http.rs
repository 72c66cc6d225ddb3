//! The request-context layer through a real axum server and a client on 127.0.0.1.

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use memotrace::http::{RequestContextLayer, RequestId};
use memotrace_tests::capture::Capture;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn get_raw(addr: SocketAddr, path: &str, extra: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    response.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn binds_request_context_and_logs_start_and_completion() {
    let cap = Capture::json();
    let rt = cap.runtime();
    let (r1, r2) = cap.block_on(&rt, async {
        let app = Router::new()
            .route(
                "/users/{id}",
                get(
                    |axum::Extension(id): axum::Extension<RequestId>| async move {
                        tracing::info!(user_id = 7, "fetching_user");
                        id.0
                    },
                ),
            )
            .route(
                "/boom",
                get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "no") }),
            )
            .layer(RequestContextLayer::new());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        let r1 = get_raw(addr, "/users/7", "x-request-id: req-abc\r\n").await;
        let r2 = get_raw(addr, "/boom", "").await;
        server.abort();
        (r1, r2)
    });
    assert!(r1.starts_with("HTTP/1.1 200"), "{r1}");
    assert_eq!(header(&r1, "x-request-id"), Some("req-abc"));
    assert!(
        r1.ends_with("req-abc"),
        "the handler sees the RequestId extension: {r1}"
    );
    let generated = header(&r2, "x-request-id").expect("a generated id is echoed");
    assert_eq!(generated.len(), 36, "a UUID: {generated}");

    let started: Vec<_> = cap.events("request_started");
    assert_eq!(started.len(), 2, "{}", cap.text());
    let handler = cap.one("fetching_user");
    assert_eq!(handler["request_id"], "req-abc");
    assert_eq!(handler["http.request.method"], "GET");
    assert_eq!(handler["url.path"], "/users/7");
    assert_eq!(handler["client.address"], "127.0.0.1");
    assert_eq!(handler["user_id"], 7);
    let done = cap.events("request_completed");
    assert_eq!(done.len(), 2);
    let ok = done.iter().find(|l| l["url.path"] == "/users/7").unwrap();
    assert_eq!(ok["http.response.status_code"], 200);
    assert_eq!(ok["level"], "info");
    assert!(ok["duration_ms"].as_f64().unwrap() >= 0.0);
    let boom = done.iter().find(|l| l["url.path"] == "/boom").unwrap();
    assert_eq!(boom["http.response.status_code"], 500);
    assert_eq!(boom["level"], "error");
    assert_eq!(boom["request_id"], generated);
}

/// A service that fails, to see `request_failed`.
#[derive(Clone)]
struct Failing;

impl tower_service::Service<axum::http::Request<()>> for Failing {
    type Response = axum::http::Response<()>;
    type Error = String;
    type Future = std::future::Ready<Result<Self::Response, String>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), String>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: axum::http::Request<()>) -> Self::Future {
        std::future::ready(Err("backend unavailable".to_owned()))
    }
}

#[test]
fn service_errors_are_request_failed() {
    use tower_layer::Layer as _;
    use tower_service::Service as _;
    let cap = Capture::json();
    let rt = cap.runtime();
    let mut svc = RequestContextLayer::new().layer(Failing);
    let req = axum::http::Request::builder()
        .uri("/pay")
        .method("POST")
        .body(())
        .unwrap();
    let result = cap.block_on(&rt, svc.call(req));
    assert_eq!(result.unwrap_err(), "backend unavailable");
    let failed = cap.one("request_failed");
    assert_eq!(failed["error"], "backend unavailable");
    assert_eq!(failed["http.request.method"], "POST");
    assert_eq!(failed["url.path"], "/pay");
    assert_eq!(failed["level"], "error");
}

#[test]
fn forwarded_client_ip_only_when_trusted() {
    use tower_layer::Layer as _;
    use tower_service::Service as _;
    let cap = Capture::json();
    let rt = cap.runtime();
    for trust in [false, true] {
        let mut svc = RequestContextLayer::new()
            .trust_forwarded_headers(trust)
            .layer(Failing);
        let req = axum::http::Request::builder()
            .uri("/x")
            .header("x-forwarded-for", "203.0.113.7, 10.0.0.1")
            .body(())
            .unwrap();
        let _ = cap.block_on(&rt, svc.call(req));
    }
    let failed = cap.events("request_failed");
    assert_eq!(failed.len(), 2);
    assert!(
        failed[0].get("client.address").is_none(),
        "untrusted header ignored: {}",
        failed[0]
    );
    assert_eq!(failed[1]["client.address"], "203.0.113.7");
}
