//! Drops are warned about while the service stays busy: with the collector refusing
//! every export and calls never pausing, full batches keep the export threads from
//! ever reaching their timer, and the warnings must come anyway, within an interval of
//! the first drop. One test in its own binary: the export threads log through the
//! global subscriber.

use memotrace::log::Format;
use memotrace::log_performance;
use memotrace_tests::capture::Capture;
use memotrace_tests::otlp_receiver::OtlpReceiver;
use std::time::{Duration, Instant};

#[log_performance(level = "info")]
fn work(i: u64) -> u64 {
    i + 1
}

#[test]
fn drops_are_warned_while_calls_never_pause() {
    let receiver = OtlpReceiver::start();
    receiver.fail_with(Some(503));
    let endpoint = receiver.endpoint();
    let cap = Capture::with(|b| {
        b.format(Format::Json)
            .filter("info")
            .otlp(endpoint)
            .otlp_limits(8, Duration::from_secs(2))
    });
    cap.set_global();
    let started = Instant::now();
    let warned = |event| !cap.events(event).is_empty();
    let mut calls = 0u64;
    // Calls without a pause until both warnings are in the log (bounded: 15 s, well
    // past the 10 s warning interval).
    while !(warned("otel_spans_dropped") && warned("otel_records_dropped")) {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no drop warning after {calls} calls in {:?} (spans dropped: {}, records dropped: {})",
            started.elapsed(),
            cap.guard().dropped_spans(),
            cap.guard().dropped_records()
        );
        for i in 0..100 {
            assert_eq!(work(i), i + 1);
        }
        calls += 100;
    }
    assert!(cap.guard().dropped_spans() > 0 && cap.guard().dropped_records() > 0);
}
