//! OTLP export when the collector misbehaves: stalled (answers nothing), killed, back on
//! the same port, then answering with an error status. Calls never wait for export, the
//! queue bounds what is kept, every span and every log record (each call's completion
//! line) is either exported or counted as dropped, drops are warned once per interval,
//! and export resumes when the receiver returns.

use memotrace::log::Format;
use memotrace::log_performance;
use memotrace_tests::capture::Capture;
use memotrace_tests::otlp_receiver::OtlpReceiver;
use memotrace_tests::wait_until;
use std::time::{Duration, Instant};

const QUEUE: usize = 8;
const EXPORT_TIMEOUT: Duration = Duration::from_millis(1500);
/// Far above one span's cost, far below an export timeout.
const CALL_BUDGET: Duration = Duration::from_millis(100);

#[log_performance(level = "info")]
fn work(i: u64) -> u64 {
    i + 1
}

/// Runs `n` calls, each within the budget.
fn calls(n: u64) {
    for i in 0..n {
        let started = Instant::now();
        assert_eq!(work(i), i + 1);
        let took = started.elapsed();
        assert!(took < CALL_BUDGET, "call {i} waited {took:?} for export");
    }
}

#[test]
fn a_stalled_or_dead_collector_never_blocks_calls_drops_are_counted_and_export_resumes() {
    let started = Instant::now();
    let receiver = OtlpReceiver::start();
    let endpoint = receiver.endpoint();
    let cap = Capture::with(|b| {
        b.format(Format::Json)
            .filter("info")
            .otlp(endpoint)
            .otlp_limits(QUEUE, EXPORT_TIMEOUT)
    });
    cap.set_global();
    let guard = cap.guard();

    // Healthy: everything arrives.
    calls(5);
    guard.flush();
    assert_eq!(receiver.spans().len(), 5);
    assert_eq!((guard.exported_spans(), guard.dropped_spans()), (5, 0));
    assert_eq!(guard.dropped_records(), 0);
    assert!(
        guard.exported_records() >= 5,
        "a record per completion line"
    );
    assert_eq!(receiver.logs().len() as u64, guard.exported_records());

    // Stalled: one batch waits in the exporter and the queue fills; the rest is dropped
    // at once (memory bounded by the queue and one batch), and no call waits.
    receiver.stall(true);
    calls(200);
    let dropped = guard.dropped_spans();
    assert!(
        dropped >= 200 - 2 * QUEUE as u64,
        "at most {} spans kept while the collector stalls, {dropped} dropped",
        2 * QUEUE
    );
    let dropped_records = guard.dropped_records();
    assert!(
        dropped_records >= 200 - 2 * QUEUE as u64,
        "at most {} records kept while the collector stalls, {dropped_records} dropped",
        2 * QUEUE
    );
    receiver.stall(false);

    // Killed: exports fail fast, their spans are counted.
    let addr = receiver.stop();
    calls(20);
    guard.flush();
    assert_eq!(
        guard.exported_spans() + guard.dropped_spans(),
        5 + 200 + 20,
        "every span is exported or counted as dropped"
    );
    assert!(guard.dropped_spans() >= dropped + 20);
    assert!(guard.dropped_records() >= dropped_records + 20);

    // Back on the same port: export resumes.
    let receiver = OtlpReceiver::start_on(addr);
    let exported = guard.exported_spans();
    calls(3);
    guard.flush();
    assert_eq!(receiver.spans().len(), 3, "export resumed");
    assert_eq!(guard.exported_spans(), exported + 3);

    // Answering 503 (or any status but 2xx): the spans are counted as dropped, and export
    // resumes with the next good answer.
    let dropped = guard.dropped_spans();
    let dropped_records = guard.dropped_records();
    let exported_records = guard.exported_records();
    receiver.fail_with(Some(503));
    calls(4);
    guard.flush();
    assert!(
        guard.dropped_records() >= dropped_records + 4,
        "refused records are counted"
    );
    assert_eq!(guard.exported_records(), exported_records);
    assert_eq!(
        guard.dropped_spans(),
        dropped + 4,
        "refused spans are counted"
    );
    assert_eq!(guard.exported_spans(), exported + 3);
    receiver.fail_with(None);
    calls(2);
    guard.flush();
    assert_eq!(receiver.spans().len(), 5);
    assert_eq!(guard.exported_spans(), exported + 5);
    assert!(guard.exported_records() >= exported_records + 2);

    // Drops are reported by a warning, at most one per 10 s interval.
    wait_until(
        Duration::from_secs(10),
        "an otel_spans_dropped warning",
        || !cap.events("otel_spans_dropped").is_empty(),
    );
    let warnings = cap.events("otel_spans_dropped");
    let intervals = 1 + started.elapsed().as_secs() / 10;
    assert!(
        warnings.len() as u64 <= intervals,
        "{} warnings in {intervals} intervals",
        warnings.len()
    );
    assert!(warnings[0]["dropped_spans"].as_u64().unwrap() >= 200 - 2 * QUEUE as u64);
    wait_until(
        Duration::from_secs(10),
        "an otel_records_dropped warning",
        || !cap.events("otel_records_dropped").is_empty(),
    );
    let record_warnings = cap.events("otel_records_dropped");
    assert!(record_warnings.len() as u64 <= intervals);
    assert!(record_warnings[0]["dropped_records"].as_u64().unwrap() >= 200 - 2 * QUEUE as u64);
}

#[test]
fn export_started_and_shut_down_inside_a_tokio_runtime_never_panics() {
    let receiver = OtlpReceiver::start();
    let runtimes = [
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    ];
    for rt in runtimes {
        // As in `#[tokio::main]`: the guard is made and dropped by the async main.
        rt.unwrap().block_on(async {
            let (subscriber, guard) = memotrace::log::Builder::new()
                .format(Format::Json)
                .writer(std::io::sink)
                .blocking()
                .otlp(receiver.endpoint())
                .build();
            let _default = tracing::subscriber::set_default(subscriber);
            calls(1);
            guard.flush();
            // Left for the shutdown to send.
            calls(1);
            drop(guard);
        });
    }
    assert!(receiver.spans().len() >= 2, "{:?}", receiver.spans());
}
