//! Invalidations that run later: held by a transaction until it commits, and run a second
//! time after a delay (`double_delete`) so that a value a lagging read replica let a
//! reader re-cache between the write and the replica catching up is dropped too.
//!
//! An [`Invalidation`] can run any number of times: it owns the arguments of the entries
//! it drops. Second runs go to a runtime of their own (one thread, started at the first
//! double delete), so the writer never waits for them, inside a tokio runtime or not.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::runtime::Runtime;

type Run = Box<dyn FnMut() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// A re-runnable invalidation: each run drops the same entries and tags.
pub struct Invalidation {
    run: Run,
}

impl std::fmt::Debug for Invalidation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Invalidation")
    }
}

/// An invalidation whose runs are the futures `run` returns (their output is ignored).
pub fn invalidation<F, Fut>(mut run: F) -> Invalidation
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
{
    Invalidation {
        run: Box::new(move || {
            let runs = run();
            Box::pin(async move {
                runs.await;
            })
        }),
    }
}

impl Invalidation {
    /// Runs it once, now.
    pub(crate) async fn run(&mut self) {
        (self.run)().await;
    }

    /// Runs it again after `delay`, in the background; never blocks the caller.
    pub(crate) fn again_after(mut self, delay: Duration) {
        let Some(runtime) = scheduler() else {
            failed(&"the double-delete runtime could not start", delay);
            return;
        };
        let handle = runtime.handle().clone();
        drop(runtime.spawn(async move {
            tokio::time::sleep(delay).await;
            // A task of its own: a panic in the run is caught there and reported here.
            match handle.spawn(async move { self.run().await }).await {
                Ok(()) => tracing::debug!(
                    target: crate::db::TARGET,
                    delay_ms = millis(delay),
                    "double_delete_completed"
                ),
                Err(error) => failed(&error, delay),
            }
        }));
    }
}

/// Double delete on a writer without a transaction: the first invalidation has run;
/// this schedules the second.
pub fn delete_again(invalidation: Invalidation, delay_ms: u64) {
    invalidation.again_after(Duration::from_millis(delay_ms));
}

/// Something that holds invalidations until its transaction commits: the
/// `transaction = ..` argument of `#[invalidates]` names one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold invalidations until it commits",
    label = "`transaction = ..` names this",
    note = "begin the transaction with `memotrace::db::sqlx::begin(&pool)` and take it as `&mut memotrace::db::sqlx::Transaction<'_, DB>`"
)]
pub trait Defer {
    /// Queues `invalidation`, to run when the transaction commits and, with
    /// `double_delete`, once more that long after.
    fn defer(&mut self, invalidation: Invalidation, double_delete: Option<Duration>);
}

/// What `#[invalidates(transaction = tx)]` calls after the writer succeeds.
pub fn defer<T: Defer + ?Sized>(
    transaction: &mut T,
    invalidation: Invalidation,
    double_delete_ms: Option<u64>,
) {
    transaction.defer(invalidation, double_delete_ms.map(Duration::from_millis));
}

static FAILURES: AtomicU64 = AtomicU64::new(0);

/// How many second invalidations (`double_delete`) did not run: the invalidation panicked
/// or the runtime that runs them could not start. Each is also logged
/// (`double_delete_failed`, error level). A store that fails during one counts the error
/// in its own statistics (`store_errors`), as for any invalidation.
///
/// ```
/// assert_eq!(memotrace::db::double_delete_failures(), 0);
/// ```
#[must_use]
pub fn double_delete_failures() -> u64 {
    FAILURES.load(Ordering::Relaxed)
}

fn failed(error: &dyn std::fmt::Display, delay: Duration) {
    FAILURES.fetch_add(1, Ordering::Relaxed);
    tracing::error!(
        target: crate::db::TARGET,
        delay_ms = millis(delay),
        %error,
        "double_delete_failed"
    );
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The runtime second invalidations wait and run on; `None` when it cannot start.
fn scheduler() -> Option<&'static Runtime> {
    static RUNTIME: OnceLock<Option<Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("memotrace-double-delete")
                .enable_all()
                .build()
                .ok()
        })
        .as_ref()
}

/// A writer's argument as a deferred invalidation keeps it: owned, cloned for each run.
/// `Keep(&arg).keep()` picks [`KeepBorrowed`] for a reference (`&str` becomes a `String`
/// passed back as `&str`) and [`KeepOwned`] for a value (cloned).
pub struct Keep<'a, T: ?Sized>(pub &'a T);

/// A borrowed argument, kept as its owned form.
pub struct Borrowed<T: ?Sized + ToOwned>(T::Owned);

/// An owned argument, kept as a clone.
#[derive(Clone)]
pub struct Cloned<T>(T);

/// Keeps a reference argument as its owned form.
pub trait KeepBorrowed<T: ?Sized + ToOwned> {
    /// The owned form.
    fn keep(self) -> Borrowed<T>;
}

impl<T: ?Sized + ToOwned> KeepBorrowed<T> for Keep<'_, &T> {
    fn keep(self) -> Borrowed<T> {
        Borrowed(<T as ToOwned>::to_owned(self.0))
    }
}

/// Keeps a value argument as a clone.
pub trait KeepOwned<T> {
    /// The clone.
    fn keep(self) -> Cloned<T>;
}

impl<T: Clone> KeepOwned<T> for &Keep<'_, T> {
    fn keep(self) -> Cloned<T> {
        Cloned(self.0.clone())
    }
}

impl<T: ?Sized + ToOwned> Clone for Borrowed<T>
where
    T::Owned: Clone,
{
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: ?Sized + ToOwned> Borrowed<T> {
    /// The argument, borrowed again.
    pub fn arg(&self) -> &T {
        std::borrow::Borrow::borrow(&self.0)
    }
}

impl<T: Clone> Cloned<T> {
    /// The argument, cloned.
    pub fn arg(&self) -> T {
        self.0.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[test]
    fn keeps_references_owned_and_values_cloned() {
        let name: &str = "ann";
        let kept: Borrowed<str> = Keep(&name).keep();
        assert_eq!(kept.clone().arg(), "ann");
        let id = 7_u64;
        let kept: Cloned<u64> = Keep(&id).keep();
        assert_eq!(kept.arg(), 7);
    }

    #[tokio::test]
    async fn an_invalidation_runs_each_time_it_is_asked() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let mut inv = invalidation(move || {
            let counted = Arc::clone(&counted);
            async move { counted.fetch_add(1, Ordering::SeqCst) }
        });
        inv.run().await;
        inv.run().await;
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
