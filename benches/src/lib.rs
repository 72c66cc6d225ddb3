//! Shared pieces of the benchmarks: the `log_performance` cases (used by the criterion
//! bench and by the callgrind instruction counter, `examples/log_instructions.rs`), and the
//! harnesses of the `src/bin` tools (hit ratio, memory per entry, contention).

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

    /// The same with an event at return (`ret`): the line a log layer writes and a log
    /// bridge exports.
    #[tracing::instrument(level = "info", ret)]
    #[inline(never)]
    pub fn instrumented_ret(x: u64) -> u64 {
        black_box(x)
    }

    /// A configuration struct as services log it with `?config`.
    #[derive(Debug)]
    #[allow(dead_code)] // read through `Debug` only
    pub struct DbConfig {
        host: &'static str,
        port: u16,
        user: &'static str,
        password: &'static str,
    }

    /// The configuration [`debug_struct_event`] logs.
    pub const DB_CONFIG: DbConfig = DbConfig {
        host: "db.internal",
        port: 5432,
        user: "app",
        password: "hunter2",
    };

    /// Redaction cases: a clean 3-field event (nothing to mask).
    #[inline(never)]
    pub fn clean_event() {
        tracing::info!(user_id = 123, page = "/home", status = "ok", "page_view");
    }

    /// Redaction cases: a field with a sensitive name.
    #[inline(never)]
    pub fn sensitive_field_event() {
        tracing::info!(
            user_id = 123,
            password = "hunter2",
            page = "/home",
            "user_login"
        );
    }

    /// Redaction cases: free text with a `name=value` pair and a bearer token.
    #[inline(never)]
    pub fn free_text_event() {
        tracing::info!(
            user_id = 123,
            error = "connect to db.internal failed: password=hunter2 rejected (Authorization: Bearer abc.def.ghi)",
            page = "/home",
            "login_failed"
        );
    }

    /// Redaction cases: a Debug-formatted struct holding a password.
    #[inline(never)]
    pub fn debug_struct_event() {
        tracing::info!(user_id = 123, config = ?DB_CONFIG, page = "/home", "connecting");
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

pub mod hit_ratio;
pub mod machine;
pub mod rounds;
