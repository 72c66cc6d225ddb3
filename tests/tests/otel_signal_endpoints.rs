//! `OTEL_EXPORTER_OTLP_{TRACES,LOGS,METRICS}_ENDPOINT` send one signal to its own URL,
//! used as it is (nothing appended), while the others go under the endpoint; set without
//! an endpoint they do not turn export on, and say so. One test in its own binary: it
//! sets the process's environment, which no other test may read meanwhile.

use memotrace::log_performance;
use memotrace_tests::otlp_receiver::OtlpReceiver;

#[log_performance(level = "info")]
fn traced(n: u64) -> u64 {
    n + 1
}

/// One traced call under a subscriber exporting to `endpoint` (none: export only if the
/// environment turns it on), flushed; the configuration's warnings.
fn traced_call(endpoint: Option<String>) -> Vec<String> {
    let mut builder = memotrace::log::Builder::new()
        .format(memotrace::log::Format::Json)
        .writer(std::io::sink)
        .blocking();
    if let Some(endpoint) = endpoint {
        builder = builder.otlp(endpoint);
    }
    let (subscriber, guard) = builder.build();
    tracing::subscriber::with_default(subscriber, || traced(1));
    guard.flush();
    guard.warnings().to_vec()
}

#[test]
fn a_signal_s_own_endpoint_takes_that_signal_and_only_that_one() {
    std::env::remove_var("OTEL_EXPORTER_OTLP_ENDPOINT");
    let general = OtlpReceiver::start();
    let elsewhere = OtlpReceiver::start();
    std::env::set_var(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        format!("{}/v1/traces", elsewhere.endpoint()),
    );
    std::env::set_var(
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
        format!("{}/v1/metrics", elsewhere.endpoint()),
    );

    // Without an endpoint: export stays off, with a warning naming the variables.
    let warnings = traced_call(None);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("_ENDPOINT set without OTEL_EXPORTER_OTLP_ENDPOINT"),
        "{warnings:?}"
    );
    assert!(elsewhere.spans().is_empty());

    // With one: spans and metrics go to their own URLs (a path appended to them would
    // miss the receiver's routes), log records under the endpoint.
    let warnings = traced_call(Some(general.endpoint()));
    assert!(warnings.is_empty(), "{warnings:?}");
    let counts = |r: &OtlpReceiver| (r.spans().len(), r.logs().len(), r.metrics().len());
    let (spans, logs, metrics) = counts(&elsewhere);
    assert!(spans > 0 && metrics > 0, "{:?}", counts(&elsewhere));
    assert_eq!(logs, 0);
    let (spans, logs, metrics) = counts(&general);
    assert_eq!((spans, metrics), (0, 0), "{:?}", counts(&general));
    assert!(logs > 0);
}
