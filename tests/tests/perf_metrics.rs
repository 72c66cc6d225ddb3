//! `memotrace::perf`: per-operation count, errors and percentiles; the on/off switch; no
//! clock read (no duration) when the level is off and metrics are off; concurrency.

#![deny(warnings, clippy::all, clippy::pedantic)]

use memotrace::log_performance;
use memotrace_tests::capture::Capture;
use std::sync::Mutex;

/// Tests here flip the global metrics switch: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

#[log_performance(name = "perf.add")]
fn add(a: u64, b: u64) -> u64 {
    a + b
}

#[log_performance(name = "perf.parse")]
fn parse(s: &str) -> Result<u64, std::num::ParseIntError> {
    s.parse()
}

#[log_performance(name = "perf.off")]
fn off(a: u64) -> u64 {
    a * 2
}

#[log_performance(name = "perf.concurrent")]
fn concurrent(i: u64) -> u64 {
    i.wrapping_mul(31)
}

#[test]
fn snapshot_counts_errors_and_percentiles() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    memotrace::perf::set_enabled(true);
    for i in 0..100 {
        assert_eq!(add(i, 1), i + 1);
    }
    for s in ["1", "x", "2", "y", "3"] {
        let _ = parse(s);
    }
    let snap = memotrace::perf::snapshot();
    memotrace::perf::set_enabled(false);
    let a = snap.get("perf.add").expect("perf.add recorded");
    assert_eq!(a.count, 100);
    assert_eq!(a.errors, 0);
    assert!(a.p50 <= a.p95 && a.p95 <= a.p99 && a.p99 <= a.max, "{a:?}");
    let p = snap.get("perf.parse").unwrap();
    assert_eq!(p.count, 5);
    assert_eq!(p.errors, 2);
    let table = snap.to_string();
    assert!(
        table.contains("perf.add") && table.contains("p99"),
        "{table}"
    );
}

#[test]
fn metrics_off_records_nothing_and_reads_no_clock() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    memotrace::perf::set_enabled(false);
    // Level debug is off at `info`: no event, no duration.
    let cap = Capture::with(|b| b.format(memotrace::log::Format::Json).filter("info"));
    for i in 0..10 {
        assert_eq!(cap.run(|| off(i)), i * 2);
    }
    assert!(memotrace::perf::snapshot().get("perf.off").is_none());
    assert!(cap.lines().is_empty());
    // With metrics on and the level still off, calls are timed and recorded, no event.
    memotrace::perf::set_enabled(true);
    cap.run(|| off(1));
    memotrace::perf::set_enabled(false);
    assert_eq!(
        memotrace::perf::snapshot().get("perf.off").unwrap().count,
        1
    );
    assert!(cap.lines().is_empty());
}

#[test]
fn concurrent_callers_all_counted() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    memotrace::perf::set_enabled(true);
    std::thread::scope(|s| {
        for t in 0..4 {
            s.spawn(move || {
                for i in 0..10_000 {
                    std::hint::black_box(concurrent(t * 10_000 + i));
                }
            });
        }
    });
    memotrace::perf::set_enabled(false);
    let c = memotrace::perf::snapshot();
    assert_eq!(c.get("perf.concurrent").unwrap().count, 40_000);
}
