//! The warning that reports dropped spans says why the last export failed (a collector
//! refusing the credentials, one that cannot be reached), so that a wrong endpoint or API
//! key is found in the application's own log. One test in its own binary: the export
//! thread logs through the global subscriber.

use memotrace::log::Format;
use memotrace::log_performance;
use memotrace_tests::capture::Capture;
use memotrace_tests::otlp_receiver::OtlpReceiver;
use memotrace_tests::wait_until;
use std::time::Duration;

#[log_performance(level = "info")]
fn work(i: u64) -> u64 {
    i + 1
}

#[test]
fn the_drop_warning_gives_the_last_export_error() {
    let receiver = OtlpReceiver::start();
    receiver.fail_with(Some(401));
    let endpoint = receiver.endpoint();
    let cap = Capture::with(|b| b.format(Format::Json).filter("info").otlp(endpoint));
    cap.set_global();
    assert_eq!(work(1), 2);
    cap.guard().flush();
    assert_eq!(cap.guard().dropped_spans(), 1);
    wait_until(
        Duration::from_secs(5),
        "an otel_spans_dropped warning",
        || !cap.events("otel_spans_dropped").is_empty(),
    );
    let warning = &cap.events("otel_spans_dropped")[0];
    let error = warning["error"].as_str().unwrap_or_default();
    assert!(error.contains("HTTP status 401 Unauthorized"), "{warning}");
    assert!(error.contains(&receiver.endpoint()), "{warning}");
}
