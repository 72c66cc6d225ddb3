//! Cost per traced call with OTLP export on: `#[log_performance]` under memotrace's
//! own export against `#[tracing::instrument]` + tracing-opentelemetry (the SDK's batch
//! span processor and `opentelemetry-otlp`'s OTLP/HTTP exporter) on the same fn. Every span is encoded and sent
//! (queues large enough that none is dropped, a flush at the end) to a receiver in a child
//! process that answers 200 without decoding, so only the traced process is measured.
//!
//! Instructions (stable on a noisy machine): run one case N times under callgrind, twice,
//! and divide the difference. Export threads are counted: encoding and sending are part
//! of a span's cost.
//!
//! ```text
//! cargo build --release -p memotrace-benches --bin otel_instructions
//! for c in memotrace ts_full mt_export_json mt_export_span mt_span mt_span_json ts_otel \
//!     ts_otel_json ts_otel_lean ts_otel_json_lean; do for n in 1000 11000; do
//!     valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!         target/release/otel_instructions $c $n; done; done   # (b - a) / 10000
//! ```
//!
//! Wall-clock (noisy): `target/release/otel_instructions memotrace 200000` prints the mean
//! ns per call of the loop (export threads run beside it) on stderr.
//!
//! Cases:
//! - `memotrace`: `#[log_performance(level = "info")]` with `Builder::otlp`: a span, the
//!   completion line (JSON, to `io::sink`), the same event as an OTLP log record, and the
//!   operation's metrics.
//! - `ts_full`: its peer: `#[tracing::instrument(level = "info", ret)]` with
//!   tracing-opentelemetry (its defaults), tracing-subscriber's JSON line for the return
//!   event, and the same event as an OTLP log record (`opentelemetry-appender-tracing`,
//!   the SDK's batch log processor and `opentelemetry-otlp`'s exporter); no metrics.
//! - `mt_export_json`: `Builder::otlp` with `OTEL_LOGS_EXPORTER=none` and
//!   `OTEL_METRICS_EXPORTER=none`: the span and the JSON line, through memotrace's
//!   exporter (compare with `ts_otel_json`).
//! - `mt_export_span`: `Builder::otlp`'s layer behind a per-layer filter that keeps
//!   events out: the span alone, through memotrace's exporter (compare with `ts_otel`).
//! - `mt_span`: the same fn's span alone (`perf::set_spans(true)`, no line, no record, no
//!   metrics) through the peers' pipeline below, with the tracing-opentelemetry options
//!   `Builder::otlp` sets (no code location, thread or busy/idle attributes; events not
//!   turned into span events).
//! - `mt_span_json`: the same plus memotrace's JSON layer (`Builder::layer`): span and
//!   completion line.
//! - `ts_otel`: `#[tracing::instrument(level = "info")]` + tracing-opentelemetry (its
//!   default options): a span.
//! - `ts_otel_json`: the same plus tracing-subscriber's JSON layer with a line at span
//!   close (the timing line `#[log_performance]` writes).
//! - `ts_otel_lean`, `ts_otel_json_lean`: the same two with the options of `mt_span`.
//!
//! `mt_span`, `mt_span_json` and the `ts_*` cases share one pipeline: the SDK's batch
//! span processor and `opentelemetry-otlp`'s OTLP/HTTP exporter; `memotrace` and
//! `mt_export_json` use memotrace's (its own span processor and protobuf encoder).

use memotrace_benches::log_cases::{instrumented, instrumented_ret, timed_info};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::logs::{BatchLogProcessor, SdkLoggerProvider};
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider};
use std::hint::black_box;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::Layer as _;

/// Spans that may wait for export: far more than a run makes, so none is dropped.
const QUEUE: usize = 1 << 20;

fn main() {
    let which = std::env::args().nth(1).unwrap();
    if which == "receiver" {
        return receive();
    }
    let n: u64 = std::env::args().nth(2).unwrap().parse().unwrap();
    let (_receiver, endpoint) = start_receiver();
    let flush: Box<dyn Fn()> = match which.as_str() {
        "mt_export_span" => {
            // memotrace's whole pipeline with events kept away from it (a per-layer
            // filter over `Builder::layer`): the span alone, through memotrace's span
            // processor and encoder. Metrics off so that no timing is recorded.
            std::env::set_var("OTEL_METRICS_EXPORTER", "none");
            let (layer, guard) = json_lines(memotrace::log::Builder::new())
                .otlp(endpoint)
                .otlp_limits(QUEUE, Duration::from_secs(10))
                .layer();
            let spans_only = layer.with_filter(tracing_subscriber::filter::filter_fn(|meta| {
                !meta.is_event()
            }));
            tracing::subscriber::set_global_default(
                tracing_subscriber::registry().with(spans_only),
            )
            .unwrap();
            Box::new(move || {
                guard.flush();
                assert_eq!(guard.dropped_spans(), 0, "spans dropped");
                assert_eq!(guard.exported_spans(), n, "one span per call exported");
            })
        }
        "memotrace" | "mt_export_json" => {
            let builder = if which == "mt_export_json" {
                // Set before any other thread runs; read by `build` below, which reads
                // the environment (no `ignore_env`).
                std::env::set_var("OTEL_LOGS_EXPORTER", "none");
                std::env::set_var("OTEL_METRICS_EXPORTER", "none");
                json_lines(memotrace::log::Builder::new())
            } else {
                json_lines(memotrace::log::Builder::new().ignore_env())
            };
            let (subscriber, guard) = builder
                .otlp(endpoint)
                .otlp_limits(QUEUE, Duration::from_secs(10))
                .build();
            tracing::subscriber::set_global_default(subscriber).unwrap();
            Box::new(move || {
                guard.flush();
                assert_eq!(guard.dropped_spans(), 0, "spans dropped");
            })
        }
        "mt_span" | "mt_span_json" | "ts_otel" | "ts_otel_json" | "ts_otel_lean"
        | "ts_otel_json_lean" => {
            let provider = sdk_provider(&endpoint);
            let otel = tracing_opentelemetry::layer().with_tracer(provider.tracer("bench"));
            if which.starts_with("mt_") {
                memotrace::perf::set_spans(true);
            }
            if which.starts_with("mt_") || which.ends_with("_lean") {
                // What `Builder::otlp` configures.
                let otel = otel
                    .with_location(false)
                    .with_threads(false)
                    .with_tracked_inactivity(false)
                    .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
                        !meta.is_event()
                    }));
                install(otel, &which);
            } else {
                install(otel, &which);
            }
            Box::new(move || provider.force_flush().unwrap())
        }
        "ts_full" => {
            let tracer_provider = sdk_provider(&endpoint);
            let logger_provider = sdk_logger_provider(&endpoint);
            let subscriber = tracing_subscriber::registry()
                .with(tracing_subscriber::filter::LevelFilter::INFO)
                .with(tracing_opentelemetry::layer().with_tracer(tracer_provider.tracer("bench")))
                .with(
                    tracing_subscriber::fmt::layer()
                        .json()
                        .with_writer(std::io::sink),
                )
                .with(OpenTelemetryTracingBridge::new(&logger_provider));
            tracing::subscriber::set_global_default(subscriber).unwrap();
            Box::new(move || {
                tracer_provider.force_flush().unwrap();
                logger_provider.force_flush().unwrap();
            })
        }
        _ => unreachable!("cases: see the module's documentation"),
    };
    let started = Instant::now();
    for i in 0..n {
        if which == "memotrace" || which.starts_with("mt_") {
            black_box(timed_info(black_box(i)));
        } else if which == "ts_full" {
            black_box(instrumented_ret(black_box(i)));
        } else {
            black_box(instrumented(black_box(i)));
        }
    }
    let took = started.elapsed();
    flush();
    // Shut down (a last export) while the receiver still answers.
    drop(flush);
    #[allow(clippy::cast_precision_loss)]
    let per_call = took.as_nanos() as f64 / n as f64;
    eprintln!("{which}: {per_call:.0} ns per call (loop only, {n} calls)");
}

/// The receiver process, killed when dropped (also when the run panics, so that it
/// never outlives the run and holds its output open).
struct Receiver(Child);

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Installs `otel` over an INFO filter, with the JSON layer of the case, if any.
/// `builder` writing memotrace's JSON lines at `info`, synchronously to `io::sink`.
fn json_lines(builder: memotrace::log::Builder) -> memotrace::log::Builder {
    builder
        .service("bench")
        .format(memotrace::log::Format::Json)
        .filter("info")
        .writer(std::io::sink)
        .blocking()
}

fn install<L>(otel: L, which: &str)
where
    L: tracing_subscriber::Layer<Filtered> + Send + Sync + 'static,
{
    let registry = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::INFO)
        .with(otel);
    if which == "mt_span_json" {
        let (layer, guard) = json_lines(memotrace::log::Builder::new().ignore_env()).layer();
        std::mem::forget(guard);
        tracing::subscriber::set_global_default(registry.with(layer)).unwrap();
    } else if which.starts_with("ts_otel_json") {
        let json = tracing_subscriber::fmt::layer()
            .json()
            .with_span_events(FmtSpan::CLOSE)
            .with_writer(std::io::sink);
        tracing::subscriber::set_global_default(registry.with(json)).unwrap();
    } else {
        tracing::subscriber::set_global_default(registry).unwrap();
    }
}

/// The registry under the OpenTelemetry layer.
type Filtered = tracing_subscriber::layer::Layered<
    tracing_subscriber::filter::LevelFilter,
    tracing_subscriber::Registry,
>;

/// The SDK's own pipeline: batch span processor, OTLP/HTTP protobuf exporter.
fn sdk_provider(endpoint: &str) -> SdkTracerProvider {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{endpoint}/v1/traces"))
        .with_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let processor = BatchSpanProcessor::builder(exporter)
        .with_batch_config(
            BatchConfigBuilder::default()
                .with_max_queue_size(QUEUE)
                .build(),
        )
        .build();
    SdkTracerProvider::builder()
        .with_span_processor(processor)
        .build()
}

/// The SDK's log pipeline: batch log processor, OTLP/HTTP protobuf exporter.
fn sdk_logger_provider(endpoint: &str) -> SdkLoggerProvider {
    let exporter = opentelemetry_otlp::LogExporter::builder()
        .with_http()
        .with_endpoint(format!("{endpoint}/v1/logs"))
        .with_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let processor = BatchLogProcessor::builder(exporter)
        .with_batch_config(
            opentelemetry_sdk::logs::BatchConfigBuilder::default()
                .with_max_queue_size(QUEUE)
                .build(),
        )
        .build();
    SdkLoggerProvider::builder()
        .with_log_processor(processor)
        .build()
}

/// This binary again, as the receiver: its endpoint is the first line it prints.
fn start_receiver() -> (Receiver, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("receiver")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (Receiver(child), line.trim().to_owned())
}

/// Answers every HTTP/1.1 request with an empty 200, without decoding the body; runs
/// until killed.
fn receive() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    println!("http://{}", listener.local_addr().unwrap());
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || answer(stream));
    }
}

/// Serves one keep-alive connection until the client closes it.
fn answer(stream: TcpStream) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err()
            || writer
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                .is_err()
        {
            return;
        }
    }
}
