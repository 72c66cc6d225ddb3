//! Instructions per call of the `log_performance` bench cases, for machines too noisy for
//! wall-clock numbers: run one case N times under callgrind, twice, and divide the
//! difference.
//!
//! ```text
//! cargo build --release -p memotrace-benches --example log_instructions
//! for n in 1000 11000; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/log_instructions perf $n; done   # (b - a) / 10000
//! ```
//! Cases: bare, disabled, metrics, perf; disabled_spans, metrics_spans, perf_spans (the
//! same with `perf::set_spans(true)`, as when OTLP export is on); hand, ts_hand,
//! ts_instrument, bound, plain, ts_plain; and the redaction cases clean, sensitive,
//! free_text, debug_struct.

use memotrace::log::Logger;
use memotrace_benches::log_cases::{
    bare, clean_event, debug_struct_event, free_text_event, hand_written, instrumented,
    memotrace_json, sensitive_field_event, timed_debug, timed_info, tracing_json,
};
use std::hint::black_box;

fn main() {
    let which = std::env::args().nth(1).unwrap();
    let n: u64 = std::env::args().nth(2).unwrap().parse().unwrap();
    let d = if which.starts_with("ts_") {
        tracing_json()
    } else {
        memotrace_json("info")
    };
    tracing::dispatcher::set_global_default(d).unwrap();
    if which == "metrics" || which == "metrics_spans" {
        memotrace::perf::set_enabled(true);
    }
    if which.ends_with("_spans") {
        // As when OTLP export is on: every timed call opens its span.
        memotrace::perf::set_spans(true);
    }
    let log = Logger::new()
        .bind("request_id", "req-789")
        .bind("user_id", 123)
        .bind("session_id", "abc-def");
    let _scope = (which == "bound").then(|| log.enter());
    for i in 0..n {
        match which.as_str() {
            "bare" => {
                black_box(bare(i));
            }
            "disabled" | "metrics" | "disabled_spans" | "metrics_spans" => {
                black_box(timed_debug(i));
            }
            "perf" | "perf_spans" => {
                black_box(timed_info(i));
            }
            "hand" | "ts_hand" => {
                black_box(hand_written(i));
            }
            "ts_instrument" => {
                black_box(instrumented(i));
            }
            "bound" => tracing::info!(password = "hunter2", page = "/home", "page_view"),
            "plain" | "ts_plain" => tracing::info!(page = "/home", "page_view"),
            "clean" => clean_event(),
            "sensitive" => sensitive_field_event(),
            "free_text" => free_text_event(),
            "debug_struct" => debug_struct_event(),
            _ => unreachable!(),
        }
    }
}
