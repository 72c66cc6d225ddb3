//! OTLP over gRPC against a receiver in the test process built on the protocol's
//! generated tonic services: spans and log records arrive with the same trace ids as
//! over HTTP, a killed receiver never blocks a call (its spans are counted as dropped),
//! and `OTEL_EXPORTER_OTLP_PROTOCOL` selects the wire.

use memotrace::log::{Builder, Format, OtlpProtocol};
use memotrace::log_performance;
use memotrace_tests::capture::Capture;
use memotrace_tests::otlp_receiver::OtlpReceiver;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use std::time::{Duration, Instant};

/// Far above one span's cost, far below an export timeout.
const CALL_BUDGET: Duration = Duration::from_millis(100);

#[log_performance(level = "info")]
fn checkout(order: u64) -> u64 {
    tracing::info!(order, "order_checked_out");
    order * 2
}

fn over_grpc(receiver: &OtlpReceiver) -> Capture {
    let endpoint = receiver.endpoint();
    Capture::with(|b| {
        b.format(Format::Json)
            .filter("info")
            .otlp(endpoint)
            .otlp_protocol(OtlpProtocol::Grpc)
            .otlp_limits(64, Duration::from_secs(2))
    })
}

#[test]
fn spans_and_log_records_arrive_over_grpc_in_the_same_trace() {
    let receiver = OtlpReceiver::start_grpc();
    let cap = over_grpc(&receiver);
    assert_eq!(cap.run(|| checkout(21)), 42);
    cap.guard().flush();

    let spans = receiver.spans();
    assert_eq!(spans.len(), 1, "{spans:#?}");
    let span = &spans[0];
    assert_eq!(span.name, "checkout");
    assert_eq!(span.trace_id.len(), 16);
    assert_eq!(cap.guard().exported_spans(), 1);

    let logs = receiver.logs();
    let record = logs
        .iter()
        .find(|r| {
            r.body.as_ref().and_then(|b| b.value.as_ref())
                == Some(&Any::StringValue("order_checked_out".into()))
        })
        .unwrap_or_else(|| panic!("no order_checked_out record in {logs:#?}"));
    assert_eq!(
        record.trace_id, span.trace_id,
        "the record is in the span's trace"
    );
    assert_eq!(record.span_id, span.span_id, "logged inside the span");
    let line = cap.one("order_checked_out");
    let hex: String = span.trace_id.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(line["trace_id"], hex, "{line}");
}

#[test]
fn a_killed_grpc_receiver_never_blocks_calls_and_its_spans_are_counted() {
    let receiver = OtlpReceiver::start_grpc();
    let cap = over_grpc(&receiver);
    cap.run(|| checkout(1));
    cap.guard().flush();
    assert_eq!(receiver.spans().len(), 1);

    receiver.stop();
    cap.run(|| {
        for i in 0..50 {
            let started = Instant::now();
            assert_eq!(checkout(i), i * 2);
            let took = started.elapsed();
            assert!(took < CALL_BUDGET, "call {i} waited {took:?} for export");
        }
    });
    cap.guard().flush();
    let guard = cap.guard();
    assert_eq!(guard.exported_spans(), 1);
    assert_eq!(
        guard.dropped_spans(),
        50,
        "every span sent to the dead receiver is counted as dropped"
    );
}

/// Builds logging from the environment (as `init` does) into a capture-free sink.
fn from_env() -> (impl tracing::Subscriber, memotrace::log::LogGuard) {
    Builder::new()
        .format(Format::Json)
        .filter("info")
        .writer(std::io::sink)
        .blocking()
        .build()
}

#[test]
fn otel_exporter_otlp_protocol_selects_grpc_and_a_bad_value_is_a_warning() {
    let receiver = OtlpReceiver::start_grpc();
    // This binary's other tests ignore the environment.
    std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint());
    std::env::set_var("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
    let (subscriber, guard) = from_env();
    tracing::subscriber::with_default(subscriber, || checkout(3));
    guard.flush();
    assert_eq!(receiver.spans().len(), 1, "exported over gRPC");
    assert!(guard.warnings().is_empty(), "{:?}", guard.warnings());
    drop(guard);

    std::env::set_var("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json");
    let (_subscriber, guard) = from_env();
    std::env::remove_var("OTEL_EXPORTER_OTLP_PROTOCOL");
    std::env::remove_var("OTEL_EXPORTER_OTLP_ENDPOINT");
    assert!(
        guard
            .warnings()
            .iter()
            .any(|w| w.contains("OTEL_EXPORTER_OTLP_PROTOCOL=\"http/json\"")),
        "{:?}",
        guard.warnings()
    );
}
