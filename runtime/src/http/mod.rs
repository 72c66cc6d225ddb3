//! The request-context tower layer (feature `http`): binds `request_id` (from
//! `x-request-id`, or a new UUID; echoed in the response), `method`, `path` and
//! `client_ip` on every event logged while the request is handled, and logs
//! `request_started`, `request_completed` (`status_code`, `duration_ms`) or
//! `request_failed`, for axum and any tower stack.
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

use crate::log::{Logger, WithContext};
use http::{HeaderName, HeaderValue, Request, Response};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
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
    /// A layer taking `client_ip` from the connection (axum's `ConnectInfo`).
    pub const fn new() -> Self {
        Self {
            trust_forwarded: false,
        }
    }

    /// Takes `client_ip` from `x-forwarded-for` / `x-real-ip` first (behind a proxy you
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
        let mut logger = Logger::current()
            .bind("request_id", request_id.clone())
            .bind("method", req.method().as_str().to_owned())
            .bind("path", req.uri().path().to_owned());
        if let Some(ip) = client_ip(&req, self.trust_forwarded) {
            logger = logger.bind("client_ip", ip.to_string());
        }
        req.extensions_mut().insert(RequestId(request_id.clone()));
        logger.in_scope(|| tracing::info!(target: "memotrace::http", "request_started"));
        let future = logger.in_scope(|| self.inner.call(req));
        ResponseFuture {
            inner: logger.scope(future),
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
        logger: Logger,
        start: Instant,
        request_id: Option<HeaderValue>,
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: std::fmt::Display,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = match this.inner.poll(cx) {
            Poll::Ready(r) => r,
            Poll::Pending => return Poll::Pending,
        };
        #[allow(clippy::cast_precision_loss)]
        let duration_ms = this.start.elapsed().as_nanos() as f64 / 1e6;
        let _scope = this.logger.enter();
        match result {
            Ok(mut response) => {
                if let Some(id) = this.request_id.take() {
                    response.headers_mut().insert(REQUEST_ID_HEADER.clone(), id);
                }
                let status_code = response.status().as_u16();
                if response.status().is_server_error() {
                    tracing::error!(target: "memotrace::http", status_code, duration_ms, "request_completed");
                } else {
                    tracing::info!(target: "memotrace::http", status_code, duration_ms, "request_completed");
                }
                Poll::Ready(Ok(response))
            }
            Err(e) => {
                tracing::error!(target: "memotrace::http", error = %e, duration_ms, "request_failed");
                Poll::Ready(Err(e))
            }
        }
    }
}
