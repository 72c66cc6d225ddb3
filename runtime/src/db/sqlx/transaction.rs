//! A sqlx transaction that holds cache invalidations until it commits.
//!
//! sqlx's [`sqlx::Transaction`] has no commit hook, so [`Transaction`] owns one: it is used
//! exactly like it (`&mut *tx` is the connection to run statements on), and its
//! [`commit`](Transaction::commit) commits, then runs the invalidations queued on it.
//! [`rollback`](Transaction::rollback), or dropping it, runs none.

use crate::db::deferred::{invalidation, Defer, Invalidation};
use sqlx::{Acquire, Database, Error};
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// A sqlx transaction whose cache invalidations run when it commits; see the
/// [module docs](super#invalidating-when-a-transaction-commits).
///
/// Invalidating before the commit would let a reader re-cache the row it still reads as
/// it was (the write is not visible yet) and serve it until the entry expires; invalidating
/// at commit time drops what readers cached during the transaction, and a transaction
/// rolled back (or dropped) invalidates nothing.
pub struct Transaction<'c, DB: Database> {
    inner: sqlx::Transaction<'c, DB>,
    /// Behind a mutex so the transaction stays `Sync` like sqlx's; only `&mut self`
    /// methods touch it, through `get_mut`.
    pending: Mutex<Vec<(Invalidation, Option<Duration>)>>,
    double_delete: Option<Duration>,
}

/// Begins a transaction on a pool, a connection or another transaction (a savepoint),
/// as `sqlx::Acquire::begin` does.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let pool = sqlx::SqlitePool::connect("sqlite::memory:").await?;
/// let mut tx = memotrace::db::sqlx::begin(&pool).await?;
/// sqlx::query("CREATE TABLE users (id INTEGER, name TEXT)").execute(&mut *tx).await?;
/// tx.after_commit_tag("user:7");
/// tx.commit().await?; // commits, then drops every entry tagged `user:7`
/// # Ok::<(), sqlx::Error>(()) }).unwrap();
/// ```
///
/// # Errors
///
/// What sqlx's `begin` returns: the connection could not be acquired or `BEGIN` failed.
pub async fn begin<'a, A: Acquire<'a>>(conn: A) -> Result<Transaction<'a, A::Database>, Error> {
    Ok(Transaction::from(conn.begin().await?))
}

impl<'c, DB: Database> From<sqlx::Transaction<'c, DB>> for Transaction<'c, DB> {
    fn from(inner: sqlx::Transaction<'c, DB>) -> Self {
        Self {
            inner,
            pending: Mutex::new(Vec::new()),
            double_delete: None,
        }
    }
}

impl<'c, DB: Database> Transaction<'c, DB> {
    /// Runs every invalidation of this transaction a second time, `delay` after the first
    /// (in the background), unless it has its own `double_delete`: for read replicas that
    /// may still serve the old row when the first one runs.
    #[must_use]
    pub fn with_double_delete(mut self, delay: Duration) -> Self {
        self.double_delete = Some(delay);
        self
    }

    /// Queues an invalidation to run when the transaction commits: `invalidate` is called
    /// then (and again for a double delete), and the future it returns awaited by
    /// [`commit`](Self::commit).
    ///
    /// ```no_run
    /// # async fn f(pool: sqlx::SqlitePool) -> sqlx::Result<()> {
    /// #[memotrace::cached]
    /// fn get_user(id: i64) -> String { format!("user {id}") }
    ///
    /// let id = 7;
    /// let mut tx = memotrace::db::sqlx::begin(&pool).await?;
    /// sqlx::query("UPDATE users SET name = 'Ann' WHERE id = ?").bind(id).execute(&mut *tx).await?;
    /// tx.after_commit(move || async move { get_user_invalidate(id) });
    /// tx.commit().await?;
    /// # Ok(()) }
    /// ```
    pub fn after_commit<F, Fut>(&mut self, invalidate: F) -> &mut Self
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
    {
        self.defer(invalidation(invalidate), None);
        self
    }

    /// Queues [`invalidate_tag(tag)`](crate::cache::invalidate_tag) to run when the
    /// transaction commits.
    pub fn after_commit_tag(&mut self, tag: impl Into<String>) -> &mut Self {
        let tag: String = tag.into();
        self.after_commit(move || {
            let tag = tag.clone();
            async move { crate::cache::invalidate_tag(&tag).await }
        })
    }

    /// How many invalidations wait for the commit.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Commits, then runs the queued invalidations in the order they were queued, awaiting
    /// each (and schedules their second runs, with a double delete). When it returns, no
    /// call that starts afterwards answers a value cached before.
    ///
    /// They also run when `COMMIT` fails: the client cannot always tell whether it took
    /// effect (the connection may drop after sending it), and an invalidation too many
    /// only costs a reload.
    ///
    /// # Errors
    ///
    /// What sqlx's `commit` returns.
    pub async fn commit(self) -> Result<(), Error> {
        let Self {
            inner,
            pending,
            double_delete,
        } = self;
        let committed = inner.commit().await;
        let pending = pending.into_inner().unwrap_or_else(PoisonError::into_inner);
        for (mut invalidation, own) in pending {
            invalidation.run().await;
            if let Some(delay) = own.or(double_delete) {
                invalidation.again_after(delay);
            }
        }
        committed
    }

    /// Rolls back; the queued invalidations are dropped without running.
    ///
    /// # Errors
    ///
    /// What sqlx's `rollback` returns.
    pub async fn rollback(self) -> Result<(), Error> {
        self.inner.rollback().await
    }

    /// The sqlx transaction, e.g. for an API that takes `&mut sqlx::Transaction`.
    /// Invalidations queued on a savepoint begun from it belong to this transaction.
    pub fn as_sqlx(&mut self) -> &mut sqlx::Transaction<'c, DB> {
        &mut self.inner
    }
}

impl<DB: Database> Defer for Transaction<'_, DB> {
    fn defer(&mut self, invalidation: Invalidation, double_delete: Option<Duration>) {
        self.pending
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .push((invalidation, double_delete));
    }
}

impl<DB: Database> Deref for Transaction<'_, DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &DB::Connection {
        &self.inner
    }
}

impl<DB: Database> DerefMut for Transaction<'_, DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.inner
    }
}

impl<DB: Database> AsMut<DB::Connection> for Transaction<'_, DB> {
    fn as_mut(&mut self) -> &mut DB::Connection {
        &mut self.inner
    }
}

impl<DB: Database> std::fmt::Debug for Transaction<'_, DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("database", &DB::NAME)
            .field("pending", &self.pending())
            .field("double_delete", &self.double_delete)
            .finish_non_exhaustive()
    }
}
