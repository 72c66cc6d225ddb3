//! Instructions per call of the `log_performance` bench cases, for machines too noisy for
//! wall-clock numbers: run one case N times under callgrind, twice, and divide the
//! difference.
//!
//! ```text
//! cargo build --release -p memotrace-benches --example log_instructions
//! for n in 1000 11000; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/log_instructions perf $n; done   # (b - a) / 10000
//! ```
//! Cases: bare, disabled, metrics, perf, hand, ts_hand, ts_instrument, bound, plain, ts_plain.

use memotrace::log::{Builder, Format, Logger};
use std::hint::black_box;
use std::time::Instant;
use tracing::Dispatch;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt as _;

#[inline(never)]
fn bare(x: u64) -> u64 {
    black_box(x)
}
#[memotrace::log_performance(name = "d")]
#[inline(never)]
fn timed_debug(x: u64) -> u64 {
    black_box(x)
}
#[memotrace::log_performance(name = "i", level = "info")]
#[inline(never)]
fn timed_info(x: u64) -> u64 {
    black_box(x)
}
#[inline(never)]
fn hand_written(x: u64) -> u64 {
    let start = Instant::now();
    let out = black_box(x);
    tracing::info!(
        operation = "h",
        duration_ms = start.elapsed().as_secs_f64() * 1000.0,
        success = true,
        "operation_completed"
    );
    out
}
#[tracing::instrument(level = "info")]
#[inline(never)]
fn instrumented(x: u64) -> u64 {
    black_box(x)
}

fn main() {
    let which = std::env::args().nth(1).unwrap();
    let n: u64 = std::env::args().nth(2).unwrap().parse().unwrap();
    let (mt, _g) = Builder::new()
        .ignore_env()
        .service("bench")
        .version("1.0.0")
        .format(Format::Json)
        .filter("info")
        .writer(std::io::sink)
        .blocking()
        .build();
    let ts = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::INFO)
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_span_events(FmtSpan::CLOSE)
                .with_writer(std::io::sink),
        );
    let d = if which.starts_with("ts_") {
        Dispatch::new(ts)
    } else {
        Dispatch::new(mt)
    };
    tracing::dispatcher::set_global_default(d).unwrap();
    if which == "metrics" {
        memotrace::perf::set_enabled(true);
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
            "disabled" | "metrics" => {
                black_box(timed_debug(i));
            }
            "perf" => {
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
            _ => unreachable!(),
        }
    }
}
