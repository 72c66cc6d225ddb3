//! How the exporters reach the collector: protobuf over HTTP (`/v1/traces`, `/v1/logs`,
//! `/v1/metrics` under the endpoint; spans and log records by memotrace's own encoder,
//! metrics by `opentelemetry-otlp`), or gRPC (feature `otel-grpc`, `opentelemetry-otlp`'s
//! exporters). The gRPC client (tonic) needs a tokio runtime for its connection: it gets
//! one of its own, one worker thread, so export works whether or not the application
//! runs tokio, and the export threads only wait on its answers.

use super::http::{shown, HttpExporter};
use super::{Headers, OtlpConfig, OtlpProtocol, SignalUrls};
#[cfg(feature = "otel-grpc")]
use opentelemetry_otlp::{LogExporter, SpanExporter};
use opentelemetry_otlp::{MetricExporter, Protocol, WithExportConfig as _};
use std::time::Duration;

/// The wire the exporters are built for.
enum Wire {
    Http,
    #[cfg(feature = "otel-grpc")]
    Grpc(tokio::runtime::Runtime),
}

/// Builds the exporters of one configuration.
pub(crate) struct Transport {
    base: String,
    urls: SignalUrls,
    timeout: Duration,
    headers: Headers,
    wire: Wire,
}

/// The span and log record exporters of a wire: memotrace's own over HTTP, the
/// `opentelemetry-otlp` ones over gRPC.
// Built once per configuration and taken apart at once: the size is of no consequence.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Exporters {
    Http {
        spans: HttpExporter,
        logs: HttpExporter,
    },
    #[cfg(feature = "otel-grpc")]
    Grpc {
        spans: SpanExporter,
        logs: LogExporter,
    },
}

/// One signal's exporter over the transport's wire, with its endpoint and timeout; the
/// protocol is set explicitly so `OTEL_EXPORTER_OTLP_PROTOCOL` cannot contradict the wire.
macro_rules! build_exporter {
    ($transport:expr, $exporter:ty, $own:expr, $path:literal) => {{
        let t: &Transport = $transport;
        let endpoint = t.endpoint($own, $path);
        let built = match &t.wire {
            Wire::Http => <$exporter>::builder()
                .with_http()
                .with_protocol(Protocol::HttpBinary)
                .with_endpoint(endpoint.clone())
                .with_timeout(t.timeout)
                .build(),
            #[cfg(feature = "otel-grpc")]
            Wire::Grpc(runtime) => {
                // The channel's connection task is spawned on this runtime.
                let _in = runtime.enter();
                <$exporter>::builder()
                    .with_tonic()
                    .with_protocol(Protocol::Grpc)
                    .with_endpoint(endpoint.clone())
                    .with_timeout(t.timeout)
                    .build()
            }
        };
        built.map_err(|e| format!("OTLP {} exporter for {:?}: {e}", $path, shown(&endpoint)))
    }};
}

impl Transport {
    /// The transport `config` asks for; gRPC without the `otel-grpc` feature is an error.
    pub(crate) fn new(config: &OtlpConfig) -> Result<Self, String> {
        let wire = match config.protocol.unwrap_or_default() {
            OtlpProtocol::HttpProtobuf => Wire::Http,
            #[cfg(feature = "otel-grpc")]
            OtlpProtocol::Grpc => Wire::Grpc(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name("memotrace-otlp-grpc")
                    .enable_all()
                    .build()
                    .map_err(|e| format!("OTLP gRPC runtime: {e}"))?,
            ),
            #[cfg(not(feature = "otel-grpc"))]
            OtlpProtocol::Grpc => {
                return Err("OTLP over gRPC needs memotrace's `otel-grpc` feature".into())
            }
        };
        Ok(Self {
            base: config.endpoint.trim_end_matches('/').to_owned(),
            urls: config.urls.clone(),
            timeout: config.timeout,
            headers: config.headers.clone(),
            wire,
        })
    }

    /// The span and log record exporters.
    pub(crate) fn exporters(&self) -> Result<Exporters, String> {
        match &self.wire {
            Wire::Http => Ok(Exporters::Http {
                spans: self.http(&self.urls.traces, "v1/traces", self.headers.of_traces())?,
                logs: self.http(&self.urls.logs, "v1/logs", self.headers.of_logs())?,
            }),
            #[cfg(feature = "otel-grpc")]
            Wire::Grpc(_) => Ok(Exporters::Grpc {
                spans: build_exporter!(self, SpanExporter, &self.urls.traces, "v1/traces")?,
                logs: build_exporter!(self, LogExporter, &self.urls.logs, "v1/logs")?,
            }),
        }
    }

    /// Where a signal is sent: its own URL, as it is, or else over HTTP its path under
    /// the endpoint and over gRPC the endpoint itself.
    fn endpoint(&self, own: &Option<String>, path: &str) -> String {
        match (own, &self.wire) {
            (Some(own), _) => own.clone(),
            (None, Wire::Http) => format!("{}/{path}", self.base),
            #[cfg(feature = "otel-grpc")]
            (None, Wire::Grpc(_)) => self.base.clone(),
        }
    }

    fn http(
        &self,
        own: &Option<String>,
        path: &str,
        headers: &[(String, String)],
    ) -> Result<HttpExporter, String> {
        HttpExporter::new(self.endpoint(own, path), headers, self.timeout)
    }

    /// The metric exporter.
    pub(crate) fn metrics(&self) -> Result<MetricExporter, String> {
        build_exporter!(self, MetricExporter, &self.urls.metrics, "v1/metrics")
    }
}

#[cfg(feature = "otel-grpc")]
impl Drop for Transport {
    fn drop(&mut self) {
        // Without waiting for its tasks, and allowed inside an async context (a guard
        // dropped at the end of `#[tokio::main]`).
        if let Wire::Grpc(runtime) = std::mem::replace(&mut self.wire, Wire::Http) {
            runtime.shutdown_background();
        }
    }
}
