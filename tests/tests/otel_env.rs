//! The standard OpenTelemetry environment variables memotrace's exporter reads:
//! `OTEL_EXPORTER_OTLP_HEADERS` is sent with every export request, percent-decoded
//! (`OTEL_EXPORTER_OTLP_{TRACES,LOGS}_HEADERS` in its place for one signal), and
//! `OTEL_{LOGS,METRICS}_EXPORTER=none` leave those signals out (`OTLP` or a list with
//! `otlp` keeps one). One test in its own binary: it sets the process's environment,
//! which no other test may read meanwhile.

use memotrace::log_performance;
use memotrace_tests::otlp_receiver::OtlpReceiver;

#[log_performance(level = "info")]
fn traced(n: u64) -> u64 {
    n + 1
}

/// One traced call under a subscriber exporting to `receiver`, flushed; the
/// configuration's warnings.
fn traced_call_exported_to(receiver: &OtlpReceiver) -> Vec<String> {
    let (subscriber, guard) = memotrace::log::Builder::new()
        .format(memotrace::log::Format::Json)
        .writer(std::io::sink)
        .blocking()
        .otlp(receiver.endpoint())
        .build();
    tracing::subscriber::with_default(subscriber, || traced(1));
    guard.flush();
    guard.warnings().to_vec()
}

#[test]
fn the_environment_s_headers_and_signal_choices_are_followed() {
    std::env::set_var(
        "OTEL_EXPORTER_OTLP_HEADERS",
        "x-api-key=s3cr%3Dt,x-tenant=blue,authorization: Bearer tok3n",
    );
    let receiver = OtlpReceiver::start();
    let warnings = traced_call_exported_to(&receiver);
    // The entry that is not `name=value` is named by its place, not by its text (it may
    // hold a credential).
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("OTEL_EXPORTER_OTLP_HEADERS"),
        "{warnings:?}"
    );
    assert!(warnings[0].contains("entry 3"), "{warnings:?}");
    assert!(!warnings[0].contains("tok3n"), "{warnings:?}");
    let seen = (
        receiver.spans().len(),
        receiver.logs().len(),
        receiver.metrics().len(),
    );
    assert!(seen.0 > 0 && seen.1 > 0 && seen.2 > 0, "{seen:?}");
    let requests = receiver.request_headers();
    assert!(requests.len() >= 3, "{} requests", requests.len());
    for headers in &requests {
        assert_eq!(headers["x-api-key"], "s3cr=t");
        assert_eq!(headers["x-tenant"], "blue");
        assert_eq!(headers["content-type"], "application/x-protobuf");
    }

    std::env::set_var(
        "OTEL_EXPORTER_OTLP_HEADERS",
        "x-api-key=s3cr%3Dt,x-tenant=blue",
    );

    // One signal's own headers take the place of the common ones for that signal.
    std::env::set_var(
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        "x-api-key=for%20traces",
    );
    std::env::set_var("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "x-api-key=for-logs");
    let receiver = OtlpReceiver::start();
    traced_call_exported_to(&receiver);
    for (path, key) in [("/v1/traces", "for traces"), ("/v1/logs", "for-logs")] {
        let requests = receiver.request_headers_to(path);
        assert!(!requests.is_empty(), "no request to {path}");
        for headers in &requests {
            assert_eq!(headers["x-api-key"], key, "{path}");
            assert!(headers.get("x-tenant").is_none(), "{path}");
        }
    }
    std::env::remove_var("OTEL_EXPORTER_OTLP_TRACES_HEADERS");
    std::env::remove_var("OTEL_EXPORTER_OTLP_LOGS_HEADERS");

    // Exporter names are case-insensitive and may be a list: OTLP is kept, what memotrace
    // does not export to is named in a warning.
    std::env::set_var("OTEL_TRACES_EXPORTER", "OTLP");
    std::env::set_var("OTEL_LOGS_EXPORTER", "otlp, console");
    let receiver = OtlpReceiver::start();
    let warnings = traced_call_exported_to(&receiver);
    assert_eq!(receiver.spans().len(), 1);
    assert!(!receiver.logs().is_empty());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("OTEL_LOGS_EXPORTER"),
        "{warnings:?}"
    );
    assert!(warnings[0].contains("\"console\""), "{warnings:?}");
    std::env::remove_var("OTEL_TRACES_EXPORTER");

    std::env::set_var("OTEL_LOGS_EXPORTER", "none");
    std::env::set_var("OTEL_METRICS_EXPORTER", " NONE ");
    let receiver = OtlpReceiver::start();
    traced_call_exported_to(&receiver);
    assert_eq!(receiver.spans().len(), 1);
    assert!(receiver.logs().is_empty(), "{:?}", receiver.logs());
    assert!(receiver.metrics().is_empty(), "{:?}", receiver.metrics());
}
