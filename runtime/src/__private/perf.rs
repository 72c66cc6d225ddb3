//! Items the expansions reach for the perf side (`#[log_performance]`).

use crate::perf::Operation;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Instant;
use tracing::callsite::{Callsite, Identifier};
use tracing::field::FieldSet;
use tracing::level_filters::LevelFilter;
use tracing::metadata::Kind;
use tracing::subscriber::Interest;
use tracing::{Level, Metadata};

pub use tracing;

/// Whether operation metrics are on.
#[inline]
pub fn perf_metrics_on() -> bool {
    crate::perf::enabled()
}

/// One annotated function: its operation name, (lazily) its metrics, and a `tracing`
/// callsite of its own, so "is this operation's level on?" is answered from the cached
/// interest (as `event!` does) instead of asking the subscriber on every call.
pub struct PerfSite {
    name: &'static str,
    op: OnceLock<Arc<Operation>>,
    meta: Metadata<'static>,
    interest: AtomicU8,
    registration: AtomicU8,
}

const NEVER: u8 = 0;
const SOMETIMES: u8 = 1;
const ALWAYS: u8 = 2;
const UNKNOWN: u8 = 3;

impl PerfSite {
    /// `level` is the least verbose level an event of the call may have (warn when a
    /// `slow` threshold could raise it); `me` is the static being initialised.
    pub const fn new(
        name: &'static str,
        level: Level,
        target: &'static str,
        file: &'static str,
        line: u32,
        me: &'static PerfSite,
    ) -> Self {
        Self {
            name,
            op: OnceLock::new(),
            meta: Metadata::new(
                "log_performance",
                target,
                level,
                Some(file),
                Some(line),
                Some(target),
                FieldSet::new(&[], Identifier(me)),
                Kind::HINT,
            ),
            interest: AtomicU8::new(UNKNOWN),
            registration: AtomicU8::new(0),
        }
    }

    fn op(&self) -> &Operation {
        self.op.get_or_init(|| crate::perf::operation(self.name))
    }

    /// Whether an event of this site's level would be recorded by the current subscriber.
    #[inline]
    pub fn enabled(&'static self) -> bool {
        let level = *self.meta.level();
        if level > tracing::level_filters::STATIC_MAX_LEVEL || level > LevelFilter::current() {
            return false;
        }
        match self.interest() {
            NEVER => false,
            ALWAYS => true,
            _ => tracing::dispatcher::get_default(|d| d.enabled(&self.meta)),
        }
    }

    #[inline]
    fn interest(&'static self) -> u8 {
        match self.interest.load(Ordering::Relaxed) {
            UNKNOWN => self.register(),
            known => known,
        }
    }

    #[cold]
    fn register(&'static self) -> u8 {
        if self
            .registration
            .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            // Calls `set_interest` now and whenever the subscribers change.
            tracing::callsite::register(self);
            self.registration.store(2, Ordering::Release);
        }
        match self.interest.load(Ordering::Relaxed) {
            UNKNOWN => SOMETIMES,
            known => known,
        }
    }
}

impl Callsite for PerfSite {
    fn set_interest(&self, interest: Interest) {
        let v = if interest.is_never() {
            NEVER
        } else if interest.is_always() {
            ALWAYS
        } else {
            SOMETIMES
        };
        self.interest.store(v, Ordering::SeqCst);
    }

    fn metadata(&self) -> &Metadata<'_> {
        &self.meta
    }
}

/// Whether error events are on at all (cheap, level only): decides whether `fields(..)`
/// are captured for a failure event when the operation's own level is off.
#[inline]
pub fn perf_errors_on() -> bool {
    Level::ERROR <= tracing::level_filters::STATIC_MAX_LEVEL
        && Level::ERROR <= LevelFilter::current()
}

/// Whether a `#[cached]` call was answered from its cache: set by the cached fn's body
/// when `#[log_performance]` is written above `#[cached]`, read for the `cache_hit` field.
#[derive(Default)]
pub struct CacheHit(AtomicBool);

impl CacheHit {
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

    #[inline]
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// How a timed call ended, handed to the expansion's event closure.
pub enum PerfReport<'a> {
    Completed {
        duration_ms: Option<f64>,
        slow: bool,
    },
    Failed {
        duration_ms: Option<f64>,
        error_type: &'a str,
        error: &'a str,
    },
    Panicked {
        duration_ms: Option<f64>,
        error: Option<&'a str>,
    },
    Cancelled {
        duration_ms: Option<f64>,
    },
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

/// Wraps the body's future: a panic inside a poll is reported as a panic (not as a
/// cancellation when the task drops the future later), and the output comes back with
/// the still-running [`PerfRun`].
pub struct PerfFuture<R, F> {
    run: Option<R>,
    future: F,
}

impl<R, F: Future> PerfFuture<R, F> {
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
        // SAFETY: `future` is structurally pinned (never moved out, no `Drop` on
        // `PerfFuture` that moves it); `run` is not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let guard = OnUnwind(&mut this.run);
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        let poll = future.poll(cx);
        match poll {
            Poll::Ready(out) => match guard.0.take() {
                Some(run) => Poll::Ready((out, run)),
                None => panic!("PerfFuture polled after completion"),
            },
            Poll::Pending => Poll::Pending,
        }
    }
}

/// `error`'s text: `Display` when it has one, else `Debug`.
pub struct ErrProbe<'a, T: ?Sized>(pub &'a T);

pub trait DescribeError {
    fn __memotrace_describe(&self) -> String;
}

impl<T: std::fmt::Display + ?Sized> DescribeError for &&ErrProbe<'_, T> {
    fn __memotrace_describe(&self) -> String {
        self.0.to_string()
    }
}

impl<T: std::fmt::Debug + ?Sized> DescribeError for &ErrProbe<'_, T> {
    fn __memotrace_describe(&self) -> String {
        format!("{:?}", self.0)
    }
}

/// A field value captured at the start of the call: kept as is when it is a `Copy`
/// tracing value, cloned when it is a `Clone` one, else its `Debug` text.
pub struct Capture<'a, T: ?Sized>(pub &'a T);

pub trait CaptureCopy<T> {
    fn __memotrace_capture(&self) -> T;
}
impl<T: Copy + tracing::Value> CaptureCopy<T> for &&Capture<'_, T> {
    #[inline]
    fn __memotrace_capture(&self) -> T {
        *self.0
    }
}

pub trait CaptureClone<T> {
    fn __memotrace_capture(&self) -> T;
}
impl<T: Clone + tracing::Value> CaptureClone<T> for &Capture<'_, T> {
    #[inline]
    fn __memotrace_capture(&self) -> T {
        self.0.clone()
    }
}

pub trait CaptureDebug {
    fn __memotrace_capture(&self) -> tracing::field::DisplayValue<String>;
}
impl<T: std::fmt::Debug + ?Sized> CaptureDebug for Capture<'_, T> {
    fn __memotrace_capture(&self) -> tracing::field::DisplayValue<String> {
        tracing::field::display(format!("{:?}", self.0))
    }
}

/// `my_crate::errors::Error<std::io::Error>` → `Error<Error>`: the type's name without
/// module paths.
pub fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut segment_start = 0;
    let bytes = full.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b':' && bytes.get(i + 1) == Some(&b':') {
            out.truncate(segment_start);
            i += 2;
            continue;
        }
        out.push(c as char);
        if matches!(
            c,
            b'<' | b'>' | b',' | b' ' | b'(' | b')' | b'[' | b']' | b';' | b'&' | b'*'
        ) {
            segment_start = out.len();
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::short_type_name;

    #[test]
    fn short_names() {
        assert_eq!(short_type_name("std::io::error::Error"), "Error");
        assert_eq!(
            short_type_name("my::Wrap<std::io::Error, alloc::string::String>"),
            "Wrap<Error, String>"
        );
        assert_eq!(
            short_type_name("alloc::boxed::Box<dyn core::error::Error + Send>"),
            "Box<dyn Error + Send>"
        );
        assert_eq!(short_type_name("&str"), "&str");
    }
}
