//! OpenTelemetry export (feature `otel`): spans through tracing-opentelemetry, and log
//! records filled by the line renderer (the fields and redacted values of each line),
//! each signal through its own bounded batch processor; and the cache
//! and operation metrics read at collection time, all sent over OTLP (HTTP/protobuf, or
//! gRPC with feature `otel-grpc`) to a collector. Turned on by
//! [`Builder::otlp`](crate::log::Builder::otlp) or `OTEL_EXPORTER_OTLP_ENDPOINT`.

mod env;
mod export;
mod http;
pub(crate) mod ids;
pub(crate) mod logs;
mod metrics;
mod transport;
mod wire;

use export::{Bounded, ExportStats, Records, Spans};
use opentelemetry::logs::LoggerProvider as _;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_sdk::logs::{LogExporter, SdkLogger, SdkLoggerProvider};
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider, SpanExporter};
use opentelemetry_sdk::Resource;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use transport::{Exporters, Transport};

/// How spans, log records and metrics travel to the collector
/// ([`Builder::otlp_protocol`](crate::log::Builder::otlp_protocol), or
/// `OTEL_EXPORTER_OTLP_PROTOCOL`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum OtlpProtocol {
    /// Protobuf over HTTP (`http/protobuf`, a collector's port 4318): `/v1/traces`,
    /// `/v1/logs` and `/v1/metrics` are appended to the endpoint.
    #[default]
    HttpProtobuf,
    /// gRPC (`grpc`, a collector's port 4317); needs the `otel-grpc` feature, without it
    /// export stays off with a configuration warning.
    Grpc,
}

impl OtlpProtocol {
    /// Parses an `OTEL_EXPORTER_OTLP_PROTOCOL` value (`grpc`, `http/protobuf`).
    pub(crate) fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "grpc" => Some(Self::Grpc),
            "http/protobuf" => Some(Self::HttpProtobuf),
            _ => None,
        }
    }
}

/// Where and how to export, as given to the log `Builder`.
#[derive(Clone, Debug)]
pub(crate) struct OtlpConfig {
    /// The collector's base URL (`http://host:4318`, or `http://host:4317` for gRPC).
    pub endpoint: String,
    /// The wire protocol; `None` until the builder or the environment names one.
    pub protocol: Option<OtlpProtocol>,
    /// Spans (and log records) that may wait for export before new ones are dropped.
    pub queue: usize,
    /// How long one export request may take.
    pub timeout: Duration,
    /// Headers sent with the span and log record export requests.
    pub headers: Headers,
    /// Where a signal goes instead of under `endpoint`.
    pub urls: SignalUrls,
    /// The signals exported (each one can be turned off in the environment).
    pub signals: Signals,
}

/// Which signals are exported: `OTEL_TRACES_EXPORTER`, `OTEL_LOGS_EXPORTER` and
/// `OTEL_METRICS_EXPORTER` set to `none` turn one off, as in every OpenTelemetry SDK.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Signals {
    pub traces: bool,
    pub logs: bool,
    pub metrics: bool,
}

impl Default for Signals {
    fn default() -> Self {
        Self {
            traces: true,
            logs: true,
            metrics: true,
        }
    }
}

/// Export request headers: `OTEL_EXPORTER_OTLP_HEADERS`, and in their place for spans or
/// log records `OTEL_EXPORTER_OTLP_TRACES_HEADERS` or `…_LOGS_HEADERS` when set (as the
/// metric exporter reads `…_METRICS_HEADERS`). Their values (often credentials) are not
/// shown by `Debug`.
#[derive(Clone, Default)]
pub(crate) struct Headers {
    pub general: Vec<(String, String)>,
    pub traces: Option<Vec<(String, String)>>,
    pub logs: Option<Vec<(String, String)>>,
}

/// A signal's own URL, used as it is (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
/// `…_LOGS_ENDPOINT`, `…_METRICS_ENDPOINT`); without one, the signal's path goes under
/// the endpoint (`/v1/traces`).
#[derive(Clone, Debug, Default)]
pub(crate) struct SignalUrls {
    pub traces: Option<String>,
    pub logs: Option<String>,
    pub metrics: Option<String>,
}

impl Headers {
    /// The headers of span export requests.
    pub(crate) fn of_traces(&self) -> &[(String, String)] {
        self.traces.as_deref().unwrap_or(&self.general)
    }

    /// The headers of log record export requests.
    pub(crate) fn of_logs(&self) -> &[(String, String)] {
        self.logs.as_deref().unwrap_or(&self.general)
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |headers: &[(String, String)]| -> Vec<String> {
            headers.iter().map(|(name, _)| name.clone()).collect()
        };
        f.debug_struct("Headers")
            .field("traces", &names(self.of_traces()))
            .field("logs", &names(self.of_logs()))
            .finish()
    }
}

impl Default for OtlpConfig {
    /// No endpoint (export off), 2048 queued spans, 5 s per export request.
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            protocol: None,
            queue: 2048,
            timeout: Duration::from_secs(5),
            headers: Headers::default(),
            urls: SignalUrls::default(),
            signals: Signals::default(),
        }
    }
}

/// What every line says about the service, exported once per request as resource
/// attributes (`service.name`, `service.version`, `deployment.environment.name`)
/// rather than on every log record.
pub(crate) struct ServiceFields<'a> {
    pub name: Option<&'a str>,
    pub version: Option<&'a str>,
    pub environment: &'static str,
}

/// The running export pipelines.
pub(crate) struct Otel {
    tracer_provider: SdkTracerProvider,
    logger_provider: SdkLoggerProvider,
    meter_provider: Option<SdkMeterProvider>,
    signals: Signals,
    stats: Stats,
    /// Dropped after the providers have shut down (field order).
    _transport: Transport,
}

impl fmt::Debug for Otel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Otel")
            .field("dropped_spans", &self.stats.spans.dropped())
            .field("dropped_records", &self.stats.records.dropped())
            .finish_non_exhaustive()
    }
}

impl Otel {
    /// Builds the exporters and starts their threads. Nothing is sent until spans end,
    /// records are emitted, or the metrics interval (`OTEL_METRIC_EXPORT_INTERVAL`,
    /// default 60 s) passes.
    pub(crate) fn start(config: &OtlpConfig, service: &ServiceFields<'_>) -> Result<Self, String> {
        let transport = Transport::new(config)?;
        let mut resource = Resource::builder();
        if let Some(name) = service.name {
            resource = resource.with_service_name(name.to_owned());
        }
        if let Some(version) = service.version {
            resource =
                resource.with_attribute(KeyValue::new("service.version", version.to_owned()));
        }
        resource = resource.with_attribute(KeyValue::new(
            "deployment.environment.name",
            service.environment,
        ));
        let resource = resource.build();

        let (tracer_provider, logger_provider, stats) = match transport.exporters()? {
            Exporters::Http { spans, logs } => traces_and_logs(spans, logs, config, &resource)?,
            #[cfg(feature = "otel-grpc")]
            Exporters::Grpc { spans, logs } => traces_and_logs(spans, logs, config, &resource)?,
        };

        let signals = config.signals;
        let meter_provider = if signals.metrics {
            let provider = SdkMeterProvider::builder()
                .with_reader(PeriodicReader::builder(transport.metrics()?).build())
                .with_resource(resource)
                .build();
            metrics::register(&provider.meter("memotrace"));
            Some(provider)
        } else {
            None
        };

        if signals.traces {
            // Exported spans are wanted now: `#[log_performance]` opens one per timed call.
            crate::perf::set_spans(true);
        }
        Ok(Self {
            tracer_provider,
            logger_provider,
            meter_provider,
            signals,
            stats,
            _transport: transport,
        })
    }

    /// The tracer the tracing-opentelemetry layer creates spans with, when spans are
    /// exported.
    pub(crate) fn tracer(&self) -> Option<SdkTracer> {
        self.signals
            .traces
            .then(|| self.tracer_provider.tracer("memotrace"))
    }

    /// The logger OTLP log records are emitted with, when they are exported.
    pub(crate) fn logger(&self) -> Option<SdkLogger> {
        self.signals
            .logs
            .then(|| self.logger_provider.logger("memotrace"))
    }

    /// Whether the operations' and caches' metrics are exported.
    pub(crate) fn exports_metrics(&self) -> bool {
        self.signals.metrics
    }

    /// Sends every ended span, emitted record and the current metrics now; waits for the
    /// answers.
    pub(crate) fn force_flush(&self) {
        let _ = self.tracer_provider.force_flush();
        let _ = self.logger_provider.force_flush();
        if let Some(meter_provider) = &self.meter_provider {
            let _ = meter_provider.force_flush();
        }
    }

    /// Spans lost because the queue was full or their export failed.
    pub(crate) fn dropped_spans(&self) -> u64 {
        self.stats.spans.dropped()
    }

    /// Spans the receiver accepted.
    pub(crate) fn exported_spans(&self) -> u64 {
        self.stats.spans.exported()
    }

    /// Log records lost because the queue was full or their export failed.
    pub(crate) fn dropped_records(&self) -> u64 {
        self.stats.records.dropped()
    }

    /// Log records the receiver accepted.
    pub(crate) fn exported_records(&self) -> u64 {
        self.stats.records.exported()
    }
}

/// What each pipeline's export thread has done.
struct Stats {
    spans: Arc<ExportStats>,
    records: Arc<ExportStats>,
}

/// The span pipeline and the log record pipeline (each a bounded processor with its
/// export thread) over one wire's exporters.
fn traces_and_logs<S, L>(
    mut spans: S,
    mut logs: L,
    config: &OtlpConfig,
    resource: &Resource,
) -> Result<(SdkTracerProvider, SdkLoggerProvider, Stats), String>
where
    S: SpanExporter + 'static,
    L: LogExporter + 'static,
{
    spans.set_resource(resource);
    logs.set_resource(resource);
    let stats = Stats {
        spans: Arc::new(ExportStats::default()),
        records: Arc::new(ExportStats::default()),
    };
    let span_processor = Bounded::start(Spans(spans), config.queue, Arc::clone(&stats.spans))
        .map_err(|e| format!("OTLP span export thread: {e}"))?;
    let tracer_provider = SdkTracerProvider::builder()
        .with_span_processor(span_processor)
        .with_resource(resource.clone())
        .build();
    let record_processor = Bounded::start(Records(logs), config.queue, Arc::clone(&stats.records))
        .map_err(|e| format!("OTLP log export thread: {e}"))?;
    let logger_provider = SdkLoggerProvider::builder()
        .with_log_processor(record_processor)
        .with_resource(resource.clone())
        .build();
    Ok((tracer_provider, logger_provider, stats))
}

impl Drop for Otel {
    fn drop(&mut self) {
        let _ = self.tracer_provider.shutdown();
        let _ = self.logger_provider.shutdown();
        if let Some(meter_provider) = &self.meter_provider {
            let _ = meter_provider.shutdown();
        }
    }
}
