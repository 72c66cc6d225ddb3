//! An OTLP/HTTP receiver inside the test process: a small axum server on 127.0.0.1 that
//! decodes `/v1/traces` and `/v1/logs` protobuf bodies with the protocol's own types
//! (`opentelemetry-proto`) and keeps what it received. It runs on a runtime of its own,
//! so it can be stopped (every connection closed) and started again on the same port, or
//! stalled (requests wait unanswered) to play a collector that is slow or gone.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tokio::sync::{oneshot, watch};

#[derive(Default)]
struct Received {
    spans: Mutex<Vec<Span>>,
    logs: Mutex<Vec<LogRecord>>,
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
    /// Starts on a free port.
    pub fn start() -> Self {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Starts on `addr` (a port a stopped receiver used, to play a collector coming back).
    pub fn start_on(addr: SocketAddr) -> Self {
        let received = Arc::new(Received::default());
        let (stall, stalled) = watch::channel(false);
        let (stop, stopped) = oneshot::channel::<()>();
        let (bound_tx, bound_rx) = std::sync::mpsc::channel();
        let state = (Arc::clone(&received), stalled);
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
                let app = Router::new()
                    .route("/v1/traces", post(traces))
                    .route("/v1/logs", post(logs))
                    .with_state(state);
                tokio::select! {
                    r = axum::serve(listener, app) => r.expect("receiver serve"),
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

type ReceiverState = (Arc<Received>, watch::Receiver<bool>);

/// Waits while the receiver is stalled.
async fn unstalled(stalled: &mut watch::Receiver<bool>) {
    let _ = stalled.wait_for(|on| !on).await;
}

async fn traces(State((received, mut stalled)): State<ReceiverState>, body: Bytes) -> StatusCode {
    unstalled(&mut stalled).await;
    let Ok(request) = ExportTraceServiceRequest::decode(body) else {
        return StatusCode::BAD_REQUEST;
    };
    let spans = request
        .resource_spans
        .into_iter()
        .flat_map(|r| r.scope_spans)
        .flat_map(|s| s.spans);
    received.spans.lock().unwrap().extend(spans);
    StatusCode::OK
}

async fn logs(State((received, mut stalled)): State<ReceiverState>, body: Bytes) -> StatusCode {
    unstalled(&mut stalled).await;
    let Ok(request) = ExportLogsServiceRequest::decode(body) else {
        return StatusCode::BAD_REQUEST;
    };
    let records = request
        .resource_logs
        .into_iter()
        .flat_map(|r| r.scope_logs)
        .flat_map(|s| s.log_records);
    received.logs.lock().unwrap().extend(records);
    StatusCode::OK
}
