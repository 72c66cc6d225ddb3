//! Shared pieces of the benchmarks: the `log_performance` cases, used by the criterion
//! bench and by the callgrind instruction counter (`examples/log_instructions.rs`).

pub mod log_cases {
    //! The functions timed by the logging benches, and the subscribers they log to.

    use memotrace::log::{Builder, Format};
    use std::hint::black_box;
    use std::time::Instant;
    use tracing::Dispatch;
    use tracing_subscriber::fmt::format::FmtSpan;
    use tracing_subscriber::layer::SubscriberExt as _;

    #[inline(never)]
    pub fn bare(x: u64) -> u64 {
        black_box(x)
    }

    #[memotrace::log_performance(name = "bench_debug")]
    #[inline(never)]
    pub fn timed_debug(x: u64) -> u64 {
        black_box(x)
    }

    #[memotrace::log_performance(name = "bench_info", level = "info")]
    #[inline(never)]
    pub fn timed_info(x: u64) -> u64 {
        black_box(x)
    }

    #[inline(never)]
    pub fn hand_written(x: u64) -> u64 {
        let start = Instant::now();
        let out = black_box(x);
        tracing::info!(
            operation = "bench_hand",
            duration_ms = start.elapsed().as_secs_f64() * 1000.0,
            success = true,
            "operation_completed"
        );
        out
    }

    #[tracing::instrument(level = "info")]
    #[inline(never)]
    pub fn instrumented(x: u64) -> u64 {
        black_box(x)
    }

    /// memotrace's layer writing to `io::sink()` in the caller's thread.
    pub fn memotrace_json(filter: &str) -> Dispatch {
        let (subscriber, guard) = Builder::new()
            .ignore_env()
            .service("bench")
            .version("1.0.0")
            .format(Format::Json)
            .filter(filter)
            .writer(std::io::sink)
            .blocking()
            .build();
        std::mem::forget(guard);
        Dispatch::new(subscriber)
    }

    /// tracing-subscriber's own JSON layer to `io::sink()`, with span close events (the
    /// timing `#[instrument]` gives).
    pub fn tracing_json() -> Dispatch {
        let layer = tracing_subscriber::fmt::layer()
            .json()
            .with_span_events(FmtSpan::CLOSE)
            .with_writer(std::io::sink);
        Dispatch::new(
            tracing_subscriber::registry()
                .with(tracing_subscriber::filter::LevelFilter::INFO)
                .with(layer),
        )
    }
}
