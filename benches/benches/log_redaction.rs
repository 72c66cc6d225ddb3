//! Per-event cost of redaction in memotrace's JSON layer: a clean event (nothing to
//! mask), an event with a sensitive field name, free text and a `Debug` struct carrying
//! secrets.
//!
//! cargo bench -p memotrace-benches --bench log_redaction -- --warm-up-time 1 --measurement-time 3

use criterion::{criterion_group, criterion_main, Criterion};
use memotrace_benches::log_cases::memotrace_json;

/// A configuration struct as services log it with `?config`.
#[derive(Debug)]
#[allow(dead_code)] // read through `Debug` only
struct DbConfig {
    host: &'static str,
    port: u16,
    user: &'static str,
    password: &'static str,
}

fn redaction(c: &mut Criterion) {
    let mut g = c.benchmark_group("redaction_per_event");
    let d = memotrace_json("info");
    let config = DbConfig {
        host: "db.internal",
        port: 5432,
        user: "app",
        password: "hunter2",
    };
    tracing::dispatcher::with_default(&d, || {
        g.bench_function("clean_3_fields", |b| {
            b.iter(|| tracing::info!(user_id = 123, page = "/home", status = "ok", "page_view"))
        });
        g.bench_function("sensitive_field", |b| {
            b.iter(|| {
                tracing::info!(
                    user_id = 123,
                    password = "hunter2",
                    page = "/home",
                    "user_login"
                )
            })
        });
        g.bench_function("free_text", |b| {
            b.iter(|| {
                tracing::info!(
                    user_id = 123,
                    error = "connect to db.internal failed: password=hunter2 rejected (Authorization: Bearer abc.def.ghi)",
                    page = "/home",
                    "login_failed"
                )
            })
        });
        g.bench_function("debug_struct", |b| {
            b.iter(|| tracing::info!(user_id = 123, config = ?config, page = "/home", "connecting"))
        });
    });
    g.finish();
}

criterion_group!(benches, redaction);
criterion_main!(benches);
