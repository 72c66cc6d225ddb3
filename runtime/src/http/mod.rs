//! The request-context tower layer (feature `http`): binds `request_id` (from
//! `x-request-id`, or a new UUID; echoed in the response), `trace_id` (continued from a
//! valid W3C `traceparent`, else new; see [`TraceContext`]) and the OpenTelemetry HTTP
//! semantic-convention fields `http.request.method`, `url.path`, `http.route` (axum's
//! `MatchedPath`: the route template, present when the layer is added with
//! `Router::layer`), `client.address` and `user_agent.original` on every event logged
//! while the request is handled, and logs `request_started`, `request_completed`
//! (`http.response.status_code`, `duration_ms`) or `request_failed`, for axum and any
//! tower stack. A panic while the handler runs becomes a 500 response and one
//! `request_failed` event (`error` = the panic message) instead of a dropped connection.
//! With the `otel` feature the request runs in an OpenTelemetry SERVER span named
//! `{method} {route}`, continuing the caller's trace.
//!
//! ```
//! use axum::{routing::get, Router};
//! use memotrace::http::RequestContextLayer;
//!
//! let app: Router = Router::new()
//!     .route("/users/{id}", get(|| async { tracing::info!("fetching_user"); "ok" }))
//!     .layer(RequestContextLayer::new());
//! // axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
//! ```

#[cfg(feature = "otel")]
mod server_span;
mod trace_context;

pub use trace_context::TraceContext;

use crate::log::{Logger, WithContext};
use http::{HeaderName, HeaderValue, Request, Response};
use std::any::Any;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// The request id header read and echoed.
pub static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, also put in the request extensions for handlers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

/// The layer. See the [module docs](self).
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestContextLayer {
    trust_forwarded: bool,
}

impl RequestContextLayer {
    /// A layer taking `client.address` from the connection (axum's `ConnectInfo`).
    pub const fn new() -> Self {
        Self {
            trust_forwarded: false,
        }
    }

    /// Takes `client.address` from `x-forwarded-for` / `x-real-ip` first (behind a proxy you
    /// trust).
    #[must_use]
    pub const fn trust_forwarded_headers(mut self, on: bool) -> Self {
        self.trust_forwarded = on;
        self
    }
}

impl<S> tower_layer::Layer<S> for RequestContextLayer {
    type Service = RequestContext<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestContext {
            inner,
            trust_forwarded: self.trust_forwarded,
        }
    }
}

/// The service the layer wraps around yours.
#[derive(Clone, Debug)]
pub struct RequestContext<S> {
    inner: S,
    trust_forwarded: bool,
}

fn client_ip<B>(req: &Request<B>, trust_forwarded: bool) -> Option<IpAddr> {
    if trust_forwarded {
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .or_else(|| req.headers().get("x-real-ip").and_then(|v| v.to_str().ok()))
            .and_then(|v| v.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    req.extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .or_else(|| req.extensions().get::<SocketAddr>().map(SocketAddr::ip))
}

impl<S, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for RequestContext<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: std::fmt::Display,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let start = Instant::now();
        let request_id = req
            .headers()
            .get(&REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 200)
            .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        let trace = TraceContext::from_headers(req.headers());
        #[cfg(feature = "otel")]
        let span = server_span::open(
            req.method().as_str(),
            req.extensions()
                .get::<axum::extract::MatchedPath>()
                .map(axum::extract::MatchedPath::as_str),
            req.uri().path(),
            &trace,
        );
        #[cfg(not(feature = "otel"))]
        let span = tracing::Span::none();
        let mut logger = Logger::current()
            .bind("request_id", request_id.clone())
            .bind("trace_id", trace.trace_id.clone())
            .bind("http.request.method", req.method().as_str().to_owned())
            .bind("url.path", req.uri().path().to_owned());
        if let Some(route) = req.extensions().get::<axum::extract::MatchedPath>() {
            logger = logger.bind("http.route", route.as_str().to_owned());
        }
        if let Some(ip) = client_ip(&req, self.trust_forwarded) {
            logger = logger.bind("client.address", ip.to_string());
        }
        if let Some(agent) = req
            .headers()
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
        {
            logger = logger.bind("user_agent.original", agent.to_owned());
        }
        req.extensions_mut().insert(trace);
        req.extensions_mut().insert(RequestId(request_id.clone()));
        let _entered = span.enter();
        logger.in_scope(|| tracing::info!(target: "memotrace::http", "request_started"));
        let future = logger.in_scope(|| self.inner.call(req));
        drop(_entered);
        ResponseFuture {
            inner: logger.scope(future),
            span,
            logger,
            start,
            request_id: HeaderValue::from_str(&request_id).ok(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`RequestContext`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: WithContext<F>,
        // The request's SERVER span (feature `otel`; else disabled).
        span: tracing::Span,
        logger: Logger,
        start: Instant,
        request_id: Option<HeaderValue>,
    }
}

/// The text of a panic payload (`panic!` with a message or a format string).
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic")
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: std::fmt::Display,
    B: Default,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let inner = this.inner;
        let result = match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(r)) => Ok(r),
            Ok(Poll::Pending) => return Poll::Pending,
            Err(payload) => Err(payload),
        };
        #[allow(clippy::cast_precision_loss)]
        let duration_ms = this.start.elapsed().as_nanos() as f64 / 1e6;
        let _scope = this.logger.enter();
        let mut response = match result {
            Ok(Ok(response)) => {
                let status = response.status();
                let status_code = status.as_u16();
                #[cfg(feature = "otel")]
                server_span::close(this.span, status_code);
                if status.is_server_error() {
                    tracing::error!(target: "memotrace::http", duration_ms, http.response.status_code = status_code, "request_completed");
                } else {
                    tracing::info!(target: "memotrace::http", duration_ms, http.response.status_code = status_code, "request_completed");
                }
                response
            }
            Ok(Err(e)) => {
                this.span.record("otel.status_code", "ERROR");
                tracing::error!(target: "memotrace::http", error = %e, duration_ms, "request_failed");
                return Poll::Ready(Err(e));
            }
            Err(payload) => {
                let status_code = http::StatusCode::INTERNAL_SERVER_ERROR.as_u16();
                #[cfg(feature = "otel")]
                server_span::close(this.span, status_code);
                tracing::error!(
                    target: "memotrace::http",
                    error = panic_message(&*payload),
                    error_type = "panic",
                    "http.response.status_code" = status_code,
                    duration_ms,
                    "request_failed"
                );
                let mut response = Response::new(B::default());
                *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
                response
            }
        };
        if let Some(id) = this.request_id.take() {
            response.headers_mut().insert(REQUEST_ID_HEADER.clone(), id);
        }
        Poll::Ready(Ok(response))
    }
}
