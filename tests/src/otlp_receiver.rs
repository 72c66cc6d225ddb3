//! An OTLP receiver inside the test process, on 127.0.0.1, built on the protocol's own
//! types (`opentelemetry-proto`): over HTTP, a small axum server that decodes the
//! `/v1/traces`, `/v1/logs` and `/v1/metrics` protobuf bodies; over gRPC, the generated
//! tonic services. It keeps what it received and runs on a runtime of its own, so it can
//! be stopped (every connection closed) and started again on the same port, or stalled
//! (requests wait unanswered) to play a collector that is slow or gone.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::Metric;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tokio::sync::{oneshot, watch};

/// How a receiver is reached.
#[derive(Clone, Copy)]
enum Wire {
    /// OTLP/HTTP with protobuf bodies.
    Http,
    /// OTLP/gRPC.
    Grpc,
}

/// What arrived, and whether requests are held.
#[derive(Clone)]
struct Collector {
    received: Arc<Received>,
    stalled: watch::Receiver<bool>,
}

#[derive(Default)]
struct Received {
    spans: Mutex<Vec<Span>>,
    logs: Mutex<Vec<LogRecord>>,
    metrics: Mutex<Vec<Metric>>,
    /// The path and headers of every OTLP/HTTP request, as received.
    headers: Mutex<Vec<(&'static str, HeaderMap)>>,
    /// While set, OTLP/HTTP requests are answered with this status and not kept.
    failing: Mutex<Option<StatusCode>>,
}

impl Collector {
    /// Waits while the receiver is stalled.
    async fn unstalled(&self) {
        let _ = self.stalled.clone().wait_for(|on| !on).await;
    }

    fn traces(&self, request: ExportTraceServiceRequest) {
        let spans = request
            .resource_spans
            .into_iter()
            .flat_map(|r| r.scope_spans)
            .flat_map(|s| s.spans);
        self.received.spans.lock().unwrap().extend(spans);
    }

    fn logs(&self, request: ExportLogsServiceRequest) {
        let records = request
            .resource_logs
            .into_iter()
            .flat_map(|r| r.scope_logs)
            .flat_map(|s| s.log_records);
        self.received.logs.lock().unwrap().extend(records);
    }

    fn metrics(&self, request: ExportMetricsServiceRequest) {
        let metrics = request
            .resource_metrics
            .into_iter()
            .flat_map(|r| r.scope_metrics)
            .flat_map(|s| s.metrics);
        self.received.metrics.lock().unwrap().extend(metrics);
    }
}

/// A running receiver. Dropping it stops it.
pub struct OtlpReceiver {
    addr: SocketAddr,
    received: Arc<Received>,
    stall: watch::Sender<bool>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl OtlpReceiver {
    /// An OTLP/HTTP receiver on a free port.
    pub fn start() -> Self {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// An OTLP/gRPC receiver on a free port.
    pub fn start_grpc() -> Self {
        Self::serve(Wire::Grpc, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// An OTLP/HTTP receiver on `addr` (a port a stopped receiver used, to play a
    /// collector coming back).
    pub fn start_on(addr: SocketAddr) -> Self {
        Self::serve(Wire::Http, addr)
    }

    fn serve(wire: Wire, addr: SocketAddr) -> Self {
        let received = Arc::new(Received::default());
        let (stall, stalled) = watch::channel(false);
        let (stop, stopped) = oneshot::channel::<()>();
        let (bound_tx, bound_rx) = std::sync::mpsc::channel();
        let collector = Collector {
            received: Arc::clone(&received),
            stalled,
        };
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("receiver runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .expect("bind receiver");
                bound_tx.send(listener.local_addr().unwrap()).unwrap();
                tokio::select! {
                    () = serve(wire, listener, collector) => {}
                    _ = stopped => {}
                }
            });
            // Dropping the runtime cancels every connection task: the port is closed.
        });
        let addr = bound_rx.recv().expect("receiver bound");
        Self {
            addr,
            received,
            stall,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The base URL to give `Builder::otlp`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<Span> {
        self.received.spans.lock().unwrap().clone()
    }

    /// Every log record received so far.
    pub fn logs(&self) -> Vec<LogRecord> {
        self.received.logs.lock().unwrap().clone()
    }

    /// Every metric received so far, one entry per metric per export.
    pub fn metrics(&self) -> Vec<Metric> {
        self.received.metrics.lock().unwrap().clone()
    }

    /// The headers of every OTLP/HTTP request received so far.
    pub fn request_headers(&self) -> Vec<HeaderMap> {
        let received = self.received.headers.lock().unwrap();
        received.iter().map(|(_, h)| h.clone()).collect()
    }

    /// The headers of every OTLP/HTTP request to `path` (`/v1/traces`, …) so far.
    pub fn request_headers_to(&self, path: &str) -> Vec<HeaderMap> {
        let received = self.received.headers.lock().unwrap();
        let to_path = received.iter().filter(|(p, _)| *p == path);
        to_path.map(|(_, h)| h.clone()).collect()
    }

    /// While set, OTLP/HTTP requests are answered with this error status (a collector
    /// refusing or overloaded) and what they carry is not kept.
    pub fn fail_with(&self, status: Option<u16>) {
        *self.received.failing.lock().unwrap() =
            status.map(|s| StatusCode::from_u16(s).expect("an HTTP status"));
    }

    /// While on, requests are held unanswered (the exporter's timeout ends them).
    pub fn stall(&self, on: bool) {
        self.stall.send_replace(on);
    }

    /// Stops it: the listener and every connection are closed when this returns.
    pub fn stop(mut self) -> SocketAddr {
        self.shutdown();
        self.addr
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().expect("receiver thread");
        }
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Serves the receiver's protocol on `listener` until the runtime is dropped.
async fn serve(wire: Wire, listener: tokio::net::TcpListener, collector: Collector) {
    match wire {
        Wire::Http => {
            let app = Router::new()
                .route("/v1/traces", post(http_traces))
                .route("/v1/logs", post(http_logs))
                .route("/v1/metrics", post(http_metrics))
                .with_state(collector);
            axum::serve(listener, app).await.expect("receiver serve");
        }
        Wire::Grpc => {
            let incoming = futures_util::stream::unfold(listener, |listener| async move {
                let accepted = listener.accept().await.map(|(stream, _)| stream);
                Some((accepted, listener))
            });
            tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(collector.clone()))
                .add_service(LogsServiceServer::new(collector.clone()))
                .add_service(MetricsServiceServer::new(collector))
                .serve_with_incoming(incoming)
                .await
                .expect("receiver serve");
        }
    }
}

/// Decodes an OTLP/HTTP body to `path` into `T` and hands it to `keep`.
async fn http_export<T: Message + Default>(
    collector: &Collector,
    path: &'static str,
    headers: HeaderMap,
    body: Bytes,
    keep: fn(&Collector, T),
) -> StatusCode {
    collector.unstalled().await;
    collector
        .received
        .headers
        .lock()
        .unwrap()
        .push((path, headers));
    if let Some(status) = *collector.received.failing.lock().unwrap() {
        return status;
    }
    match T::decode(body) {
        Ok(request) => {
            keep(collector, request);
            StatusCode::OK
        }
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

async fn http_traces(State(c): State<Collector>, headers: HeaderMap, body: Bytes) -> StatusCode {
    http_export(&c, "/v1/traces", headers, body, Collector::traces).await
}

async fn http_logs(State(c): State<Collector>, headers: HeaderMap, body: Bytes) -> StatusCode {
    http_export(&c, "/v1/logs", headers, body, Collector::logs).await
}

async fn http_metrics(State(c): State<Collector>, headers: HeaderMap, body: Bytes) -> StatusCode {
    http_export(&c, "/v1/metrics", headers, body, Collector::metrics).await
}

type GrpcResult<T> = Result<tonic::Response<T>, tonic::Status>;

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> GrpcResult<ExportTraceServiceResponse> {
        self.unstalled().await;
        self.traces(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl LogsService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportLogsServiceRequest>,
    ) -> GrpcResult<ExportLogsServiceResponse> {
        self.unstalled().await;
        self.logs(request.into_inner());
        Ok(tonic::Response::new(ExportLogsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> GrpcResult<ExportMetricsServiceResponse> {
        self.unstalled().await;
        self.metrics(request.into_inner());
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}
