//! One timed call in progress: the clock, the metrics record and the report handed to the
//! expansion's event closure when the call ends, returns an error, panics or is cancelled.

use super::describe::{short_type_name, DescribeError, ErrProbe};
use super::site::PerfSite;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

/// Whether a `#[cached]` call was answered from its cache: set by the cached fn's body
/// when `#[log_performance]` is written above `#[cached]`, read for the `cache_hit` field.
#[derive(Default)]
pub struct CacheHit(AtomicBool);

impl CacheHit {
    /// Not a hit until [`CacheHit::mark`].
    #[inline]
    #[must_use]
    pub const fn new() -> Self {
        Self(AtomicBool::new(false))
    }

    /// The call was a hit.
    #[inline]
    pub fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether the call was a hit.
    #[inline]
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// How a timed call ended, handed to the expansion's event closure.
#[derive(Clone, Copy)]
pub enum PerfReport<'a> {
    /// Returned normally (`Ok`, or a value that is not a `Result`).
    Completed {
        /// Milliseconds, when the clock was read.
        duration_ms: Option<f64>,
        /// Longer than the `slow` threshold.
        slow: bool,
    },
    /// Returned `Err`.
    Failed {
        /// Milliseconds, when the clock was read.
        duration_ms: Option<f64>,
        /// The error's type name without its module path.
        error_type: &'a str,
        /// The error's `Display` text, else its `Debug` text.
        error: &'a str,
    },
    /// Panicked.
    Panicked {
        /// Milliseconds, when the clock was read.
        duration_ms: Option<f64>,
        /// The panic message, when the panic hook caught it.
        error: Option<&'a str>,
    },
    /// Dropped before it finished (a cancelled future).
    Cancelled {
        /// Milliseconds, when the clock was read.
        duration_ms: Option<f64>,
    },
}

impl<'a> PerfReport<'a> {
    /// An `Err` or a panic as the fields of one `operation_failed` event: the duration,
    /// the error's type (`panic` for a panic) and its text, when there is one.
    pub(crate) fn failure(self) -> (Option<f64>, &'a str, Option<&'a str>) {
        match self {
            Self::Failed {
                duration_ms,
                error_type,
                error,
            } => (duration_ms, error_type, Some(error)),
            Self::Panicked { duration_ms, error } => (duration_ms, "panic", error),
            Self::Completed { duration_ms, .. } | Self::Cancelled { duration_ms } => {
                (duration_ms, "", None)
            }
        }
    }

    /// A slow completion or a cancellation as the fields of one warning: the duration,
    /// `success`, `slow` (present for a slow completion) and the event's name.
    pub(crate) fn warning(self) -> (Option<f64>, bool, Option<bool>, &'static str) {
        match self {
            Self::Completed { duration_ms, .. } => {
                (duration_ms, true, Some(true), "operation_completed")
            }
            Self::Cancelled { duration_ms } => (duration_ms, false, None, "operation_cancelled"),
            Self::Failed { duration_ms, .. } | Self::Panicked { duration_ms, .. } => {
                (duration_ms, false, None, "operation_failed")
            }
        }
    }
}

/// One call in progress. Dropped without `ok`/`err`: a panic when unwinding, else a
/// cancellation (the future was dropped).
pub struct PerfRun<E: FnOnce(PerfReport<'_>)> {
    site: &'static PerfSite,
    start: Option<Instant>,
    metrics: bool,
    slow_ns: u64,
    emit: Option<E>,
}

impl<E: FnOnce(PerfReport<'_>)> PerfRun<E> {
    /// Starts timing when `active` (the event's level is on, or metrics are); otherwise
    /// no clock is read. `slow_ms == 0` means no slow threshold.
    #[inline]
    pub fn start(site: &'static PerfSite, active: bool, slow_ms: u64, emit: E) -> Self {
        Self {
            site,
            start: if active { Some(Instant::now()) } else { None },
            metrics: active && crate::perf::enabled(),
            slow_ns: slow_ms.saturating_mul(1_000_000),
            emit: Some(emit),
        }
    }

    fn elapsed(&self, error: bool) -> (Option<f64>, u64) {
        match self.start {
            None => (None, 0),
            Some(start) => {
                let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
                if self.metrics {
                    self.site.op().histogram.record(ns, error);
                }
                #[allow(clippy::cast_precision_loss)]
                let ms = ns as f64 / 1e6;
                (Some(ms), ns)
            }
        }
    }

    /// The call returned normally.
    #[inline]
    pub fn ok(mut self) {
        if self.start.is_none() {
            // Not timed: the completion event's level is off, and slow needs the clock.
            self.emit = None;
            return;
        }
        self.ok_timed();
    }

    #[inline(never)]
    fn ok_timed(&mut self) {
        let (duration_ms, ns) = self.elapsed(false);
        let slow = self.slow_ns > 0 && ns > self.slow_ns;
        if let Some(emit) = self.emit.take() {
            emit(PerfReport::Completed { duration_ms, slow });
        }
    }

    /// The call returned `Err(e)`.
    #[inline(never)]
    pub fn err<T: ?Sized>(mut self, error: &T)
    where
        for<'x> &'x &'x ErrProbe<'x, T>: DescribeError,
    {
        let (duration_ms, _) = self.elapsed(true);
        if let Some(emit) = self.emit.take() {
            let error_type = short_type_name(std::any::type_name::<T>());
            let text = (&&ErrProbe(error)).__memotrace_describe();
            emit(PerfReport::Failed {
                duration_ms,
                error_type: &error_type,
                error: &text,
            });
        }
    }
}

impl<E: FnOnce(PerfReport<'_>)> Drop for PerfRun<E> {
    #[inline]
    fn drop(&mut self) {
        if self.emit.is_some() {
            self.unfinished();
        }
    }
}

impl<E: FnOnce(PerfReport<'_>)> PerfRun<E> {
    /// Dropped before `ok`/`err`: panic or cancellation.
    #[cold]
    #[inline(never)]
    fn unfinished(&mut self) {
        if let Some(emit) = self.emit.take() {
            if std::thread::panicking() {
                let (duration_ms, _) = self.elapsed(true);
                let message = crate::log::take_last_panic();
                emit(PerfReport::Panicked {
                    duration_ms,
                    error: message.as_deref(),
                });
            } else {
                let (duration_ms, _) = self.elapsed(false);
                emit(PerfReport::Cancelled { duration_ms });
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// Wraps the body's future: a panic inside a poll is reported as a panic (not as a
    /// cancellation when the task drops the future later), and the output comes back with
    /// the still-running [`PerfRun`].
    pub struct PerfFuture<R, F> {
        run: Option<R>,
        #[pin]
        future: F,
    }
}

impl<R, F: Future> PerfFuture<R, F> {
    /// `future` reported through `run`.
    pub fn new(run: R, future: F) -> Self {
        Self {
            run: Some(run),
            future,
        }
    }
}

/// Gives `F` its output type, so `?` and `return` in the moved body infer as in the fn.
#[inline]
pub fn perf_typed<T, F: Future<Output = T>>(future: F) -> F {
    future
}

impl<R, F: Future> Future for PerfFuture<R, F> {
    type Output = (F::Output, R);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        struct OnUnwind<'a, R>(&'a mut Option<R>);
        impl<R> Drop for OnUnwind<'_, R> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    // Dropping the run while unwinding reports the panic.
                    drop(self.0.take());
                }
            }
        }
        let this = self.project();
        let guard = OnUnwind(this.run);
        let poll = this.future.poll(cx);
        match poll {
            Poll::Ready(out) => match guard.0.take() {
                Some(run) => Poll::Ready((out, run)),
                None => panic!("PerfFuture polled after completion"),
            },
            Poll::Pending => Poll::Pending,
        }
    }
}
