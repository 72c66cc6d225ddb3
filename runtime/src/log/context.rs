//! Context binding: bound fields appear on every event of the
//! scope (across `.await` with [`Logger::scope`]), nested binds add and override, and
//! leaving the scope (normally or by unwinding) removes them.

use super::Value;
use std::borrow::Cow;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

/// The bound fields of one scope, outermost first, each name at most once.
pub(crate) type Frame = Arc<[(Cow<'static, str>, Value)]>;

thread_local! {
    static CURRENT: RefCell<Option<Frame>> = const { RefCell::new(None) };
}

fn swap_current(frame: Option<Frame>) -> Option<Frame> {
    CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), frame))
}

/// A set of bound fields: cheap to clone, and
/// [`bind`](Logger::bind) returns a new logger with one more field, leaving this one as
/// it was.
///
/// A logger's fields reach events when it is in scope: [`enter`](Logger::enter) for sync
/// code (a guard), [`scope`](Logger::scope) for a future (every poll, so across `.await`
/// on any thread), [`in_scope`](Logger::in_scope) for a closure. Inside a scope,
/// [`Logger::current`] starts from the fields in force, so nested binds add and override.
///
/// ```
/// use memotrace::log::Logger;
///
/// let log = Logger::new().bind("user_id", 123).bind("session_id", "abc-def");
/// let request_log = log.bind("request_id", "req-789");
/// assert_eq!(log.fields().len(), 2);
/// assert_eq!(request_log.fields().len(), 3);
///
/// let _scope = request_log.enter();
/// tracing::info!(page = "/home", "page_view"); // carries user_id, session_id, request_id
///
/// # async fn fetch() {}
/// # async fn handler() {
/// Logger::current().bind("job", "sync").scope(async {
///     fetch().await;
///     tracing::info!("job_done"); // carries job, even after moving threads
/// }).await;
/// # }
/// ```
#[derive(Clone, Default)]
pub struct Logger {
    frame: Option<Frame>,
}

impl std::fmt::Debug for Logger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for (k, v) in self.fields() {
            map.entry(k, v);
        }
        map.finish()
    }
}

impl Logger {
    /// A logger with no bound fields.
    pub const fn new() -> Self {
        Self { frame: None }
    }

    /// The fields bound in the current scope of this thread.
    pub fn current() -> Self {
        Self {
            frame: CURRENT.with(|c| c.borrow().clone()),
        }
    }

    /// A new logger with `key = value` added (replacing an existing `key`).
    #[must_use]
    pub fn bind(&self, key: impl Into<Cow<'static, str>>, value: impl Into<Value>) -> Self {
        let key = key.into();
        let value = value.into();
        let old = self.fields();
        let mut fields: Vec<(Cow<'static, str>, Value)> = Vec::with_capacity(old.len() + 1);
        let mut replaced = false;
        for (k, v) in old {
            if *k == key {
                fields.push((k.clone(), value.clone()));
                replaced = true;
            } else {
                fields.push((k.clone(), v.clone()));
            }
        }
        if !replaced {
            fields.push((key, value));
        }
        Self {
            frame: Some(fields.into()),
        }
    }

    /// A new logger with every pair of `fields` bound.
    ///
    /// ```
    /// use memotrace::log::{Logger, Value};
    /// let log = Logger::new().bind_all([("a", Value::from(1)), ("b", Value::from("x"))]);
    /// assert_eq!(log.fields().len(), 2);
    /// ```
    #[must_use]
    pub fn bind_all<K, V>(&self, fields: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<Cow<'static, str>>,
        V: Into<Value>,
    {
        fields
            .into_iter()
            .fold(self.clone(), |log, (k, v)| log.bind(k, v))
    }

    /// A new logger without `key`.
    #[must_use]
    pub fn unbind(&self, key: &str) -> Self {
        let fields: Vec<_> = self
            .fields()
            .iter()
            .filter(|(k, _)| k != key)
            .cloned()
            .collect();
        Self {
            frame: (!fields.is_empty()).then(|| fields.into()),
        }
    }

    /// The bound fields, in the order they were first bound.
    pub fn fields(&self) -> &[(Cow<'static, str>, Value)] {
        self.frame.as_deref().unwrap_or(&[])
    }

    /// Makes these fields the bound context of this thread until the guard drops (also
    /// when unwinding). Do not hold the guard across an `.await`: use
    /// [`scope`](Logger::scope) there.
    pub fn enter(&self) -> ContextGuard {
        ContextGuard {
            previous: swap_current(self.frame.clone()),
            _not_send: std::marker::PhantomData,
        }
    }

    /// Runs `f` with these fields bound.
    pub fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.enter();
        f()
    }

    /// Wraps a future so these fields are bound during each of its polls, whichever
    /// thread polls it.
    pub fn scope<F: Future>(&self, future: F) -> WithContext<F> {
        WithContext {
            logger: self.clone(),
            future,
        }
    }

    /// Emits an `info` event with this logger's fields bound and `event` as its message.
    ///
    /// ```
    /// memotrace::log::Logger::new().bind("user_id", 7).info("user_login");
    /// ```
    pub fn info(&self, event: &str) {
        self.in_scope(|| tracing::info!("{event}"));
    }

    /// Emits a `debug` event, see [`info`](Logger::info).
    pub fn debug(&self, event: &str) {
        self.in_scope(|| tracing::debug!("{event}"));
    }

    /// Emits a `warn` event, see [`info`](Logger::info).
    pub fn warn(&self, event: &str) {
        self.in_scope(|| tracing::warn!("{event}"));
    }

    /// Emits an `error` event, see [`info`](Logger::info).
    pub fn error(&self, event: &str) {
        self.in_scope(|| tracing::error!("{event}"));
    }
}

/// Binds `key = value` on top of the current context until the guard drops.
///
/// ```
/// let _g = memotrace::log::bind("user_id", 42);
/// tracing::info!("user_login"); // carries user_id = 42
/// ```
pub fn bind(key: impl Into<Cow<'static, str>>, value: impl Into<Value>) -> ContextGuard {
    Logger::current().bind(key, value).enter()
}

/// Restores the previous bound context when dropped. Not `Send`: it belongs to the
/// thread that created it.
#[must_use = "the fields are unbound as soon as the guard is dropped"]
pub struct ContextGuard {
    previous: Option<Frame>,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // Ignore a destroyed thread-local (thread exiting).
        let _ = CURRENT.try_with(|c| {
            if let Ok(mut c) = c.try_borrow_mut() {
                *c = previous;
            }
        });
    }
}

pin_project_lite::pin_project! {
    /// A future with a [`Logger`]'s fields bound while it is polled. See [`Logger::scope`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct WithContext<F> {
        logger: Logger,
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for WithContext<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _guard = this.logger.enter();
        this.future.poll(cx)
    }
}

/// Extension for futures: `fut.with_current_context()` carries the caller's bound
/// context into a spawned task.
///
/// ```
/// use memotrace::log::FutureExt as _;
/// # async fn f() {
/// let _g = memotrace::log::bind("request_id", "r-1");
/// let task = async { tracing::info!("in_task") }.with_current_context();
/// # task.await;
/// # }
/// ```
pub trait FutureExt: Future + Sized {
    /// Binds the current thread's context to this future.
    fn with_current_context(self) -> WithContext<Self> {
        Logger::current().scope(self)
    }

    /// Binds `logger`'s fields to this future.
    fn with_logger(self, logger: &Logger) -> WithContext<Self> {
        logger.scope(self)
    }
}

impl<F: Future> FutureExt for F {}
