//! Captures what memotrace's JSON layer writes, for assertions on parsed lines.

use memotrace::log::{Builder, Format, LogGuard};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use tracing::Dispatch;

/// A subscriber (memotrace's layer at `trace`, writing in the caller's thread) whose
/// output is kept in memory.
pub struct Capture {
    buf: Arc<Mutex<Vec<u8>>>,
    dispatch: Dispatch,
    log_guard: LogGuard,
}

impl Capture {
    /// JSON lines at `trace`.
    pub fn json() -> Self {
        Self::with(|b| b.format(Format::Json))
    }

    /// Lines as configured by `configure` (format, filter, redaction…); the writer, the
    /// blocking mode and `ignore_env` are set here.
    pub fn with(configure: impl FnOnce(Builder) -> Builder) -> Self {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let builder = configure(
            Builder::new()
                .ignore_env()
                .filter("trace")
                .service("svc")
                .version("1.2.3"),
        );
        let sink = Arc::clone(&buf);
        let (subscriber, guard) = builder
            .writer(move || SharedBuf(Arc::clone(&sink)))
            .blocking()
            .build();
        Self {
            buf,
            dispatch: Dispatch::new(subscriber),
            log_guard: guard,
        }
    }

    /// One capture per format, configured alike by `configure`: pretty (no colours),
    /// JSON and ECS.
    pub fn every_format(configure: impl Fn(Builder) -> Builder) -> [(Format, Self); 3] {
        [Format::Pretty, Format::Json, Format::Ecs]
            .map(|f| (f, Self::with(|b| configure(b.format(f).ansi(false)))))
    }

    /// The guard of the configured logging (flush, OTLP export counters).
    pub fn guard(&self) -> &LogGuard {
        &self.log_guard
    }

    /// Makes this subscriber the global default (once per test binary), so that threads
    /// the test does not start (export workers) log here too.
    pub fn set_global(&self) {
        tracing::dispatcher::set_global_default(self.dispatch.clone())
            .expect("the first global subscriber of this test binary");
    }

    /// Runs `f` with this subscriber as the thread's default.
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        tracing::dispatcher::with_default(&self.dispatch, f)
    }

    /// A multi-thread tokio runtime (2 workers) whose threads all log here.
    pub fn runtime(&self) -> tokio::runtime::Runtime {
        let dispatch = self.dispatch.clone();
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .on_thread_start(move || {
                let guard = tracing::dispatcher::set_default(&dispatch);
                std::mem::forget(guard);
            })
            .build()
            .expect("runtime")
    }

    /// `rt.block_on(future)` with this subscriber on the calling thread too.
    pub fn block_on<F: std::future::Future>(
        &self,
        rt: &tokio::runtime::Runtime,
        future: F,
    ) -> F::Output {
        self.run(|| rt.block_on(future))
    }

    /// The raw output.
    pub fn text(&self) -> String {
        String::from_utf8(self.buf.lock().unwrap().clone()).expect("utf-8 output")
    }

    /// Every line, parsed as JSON (panics on a line that is not).
    pub fn lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// The lines whose `event` (or ECS `message`) is `event`.
    pub fn events(&self, event: &str) -> Vec<Value> {
        self.lines()
            .into_iter()
            .filter(|l| {
                l.get("event")
                    .or_else(|| l.get("message"))
                    .and_then(Value::as_str)
                    == Some(event)
            })
            .collect()
    }

    /// The only line whose event is `event`.
    pub fn one(&self, event: &str) -> Value {
        let mut found = self.events(event);
        assert_eq!(
            found.len(),
            1,
            "expected one {event:?} line in:\n{}",
            self.text()
        );
        found.remove(0)
    }
}

struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuf {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
