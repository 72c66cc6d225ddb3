//! Per-call cost of `#[log_performance]` and of memotrace's JSON layer, against the
//! hand-written equivalent and `#[tracing::instrument]` + tracing-subscriber's JSON layer.
//!
//! cargo bench -p memotrace-benches --bench log_performance -- --warm-up-time 1 --measurement-time 3

use criterion::{criterion_group, criterion_main, Criterion};
use memotrace::log::Logger;
use memotrace_benches::log_cases::{
    bare, hand_written, instrumented, memotrace_json, timed_debug, timed_info, tracing_json,
};
use std::hint::black_box;

fn disabled(c: &mut Criterion) {
    let d = memotrace_json("info");
    memotrace::perf::set_enabled(false);
    tracing::dispatcher::with_default(&d, || {
        let mut g = c.benchmark_group("level_disabled");
        g.bench_function("bare_fn", |b| b.iter(|| bare(black_box(1))));
        g.bench_function("log_performance_debug_at_info", |b| {
            b.iter(|| timed_debug(black_box(1)))
        });
        memotrace::perf::set_enabled(true);
        g.bench_function("log_performance_metrics_on", |b| {
            b.iter(|| timed_debug(black_box(1)))
        });
        memotrace::perf::set_enabled(false);
        g.finish();
    });
}

fn enabled(c: &mut Criterion) {
    let mut g = c.benchmark_group("enabled_json_to_sink");
    let d = memotrace_json("info");
    tracing::dispatcher::with_default(&d, || {
        g.bench_function("hand_written_instant_info", |b| {
            b.iter(|| hand_written(black_box(1)))
        });
        g.bench_function("log_performance", |b| b.iter(|| timed_info(black_box(1))));
    });
    let t = tracing_json();
    tracing::dispatcher::with_default(&t, || {
        g.bench_function("tracing_instrument_fmt_json", |b| {
            b.iter(|| instrumented(black_box(1)))
        });
        g.bench_function("hand_written_fmt_json", |b| {
            b.iter(|| hand_written(black_box(1)))
        });
    });
    g.finish();
}

fn one_event(c: &mut Criterion) {
    let mut g = c.benchmark_group("one_json_event");
    let d = memotrace_json("info");
    tracing::dispatcher::with_default(&d, || {
        let log = Logger::new()
            .bind("request_id", "req-789")
            .bind("user_id", 123)
            .bind("session_id", "abc-def");
        let _scope = log.enter();
        g.bench_function("memotrace_3_bound_fields_redaction", |b| {
            b.iter(|| tracing::info!(password = "hunter2", page = "/home", "page_view"));
        });
    });
    tracing::dispatcher::with_default(&d, || {
        g.bench_function("memotrace_plain", |b| {
            b.iter(|| tracing::info!(page = "/home", "page_view"))
        });
    });
    let t = tracing_json();
    tracing::dispatcher::with_default(&t, || {
        g.bench_function("tracing_subscriber_json_plain", |b| {
            b.iter(|| tracing::info!(page = "/home", "page_view"))
        });
    });
    g.finish();
}

criterion_group!(benches, disabled, enabled, one_event);
criterion_main!(benches);
