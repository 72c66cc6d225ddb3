//! Per-event cost of redaction in memotrace's JSON layer: a clean event (nothing to
//! mask), an event with a sensitive field name, free text and a `Debug` struct carrying
//! secrets.
//!
//! cargo bench -p memotrace-benches --bench log_redaction -- --warm-up-time 1 --measurement-time 3

use criterion::{criterion_group, criterion_main, Criterion};
use memotrace_benches::log_cases::{
    clean_event, debug_struct_event, free_text_event, memotrace_json, sensitive_field_event,
};

fn redaction(c: &mut Criterion) {
    let mut g = c.benchmark_group("redaction_per_event");
    let d = memotrace_json("info");
    tracing::dispatcher::with_default(&d, || {
        g.bench_function("clean_3_fields", |b| b.iter(clean_event));
        g.bench_function("sensitive_field", |b| b.iter(sensitive_field_event));
        g.bench_function("free_text", |b| b.iter(free_text_event));
        g.bench_function("debug_struct", |b| b.iter(debug_struct_event));
    });
    g.finish();
}

criterion_group!(benches, redaction);
criterion_main!(benches);
