//! sqlx adapter (feature `sqlx`): an [`Executor`] wrapper that logs every statement run
//! through it, with the same events and `db.query` span as `#[instrument_db]`, and a
//! [`Transaction`] that invalidates cache entries when it commits.
//!
//! # Logging statements
//!
//! Why a wrapper and not sqlx's own logging: sqlx 0.9 logs a statement (target
//! `sqlx::query`, `log_statements`/`log_slow_statements` on the connect options) only once
//! it has finished, with the raw SQL and no start or failure event; it has no hook to run
//! code around a statement. Its [`Executor`] trait is the one seam every query goes
//! through (`query(..).fetch_one(&mut conn)`, pools, transactions, `query_as`,
//! `query_scalar`), so [`Logged`] implements it around any executor: a pool, a connection
//! or a transaction.
//!
//! Per statement: `sql_query_started` when the driver takes the SQL, then
//! `sql_query_completed` / `slow_sql_query` when the result stream ends (or is dropped), or
//! `sql_query_failed` when it yields an error (`error_type` = `sqlx_core::error::Error`,
//! `error` = its Display). Parameters are not logged: sqlx binds them by position, without
//! names. With no db level enabled the wrapper adds one check and delegates.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use memotrace::db::sqlx::logged;
//! use sqlx::Connection as _;
//!
//! let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:").await?;
//! sqlx::query("CREATE TABLE t (x INTEGER)").execute(logged(&mut conn)).await?;
//! let x: i64 = sqlx::query_scalar("SELECT 41 + 1").fetch_one(logged(&mut conn)).await?;
//! assert_eq!(x, 42);
//! # Ok::<(), sqlx::Error>(()) }).unwrap();
//! ```
//!
//! # Invalidating when a transaction commits
//!
//! A writer that invalidates a cached row before its transaction commits leaves a window
//! in which a reader still reads the old row and caches it again. [`begin`] starts a
//! [`Transaction`] (sqlx's, wrapped) on which invalidations wait for the commit:
//! `#[memotrace::invalidates(.., transaction = tx)]` queues the writer's targets on it,
//! [`Transaction::after_commit`] queues any invalidation by hand. `commit()` commits, then
//! runs them; a rollback or a drop runs none. `double_delete = "500ms"` (or
//! [`Transaction::with_double_delete`]) runs them a second time after the delay, in the
//! background, for read replicas that serve the old row a little longer.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use memotrace::db::sqlx::{begin, Transaction};
//! use sqlx::Sqlite;
//!
//! #[memotrace::cached(key = "user:{id}")]
//! async fn user_name(pool: &sqlx::SqlitePool, id: i64) -> Result<String, String> {
//!     sqlx::query_scalar("SELECT name FROM users WHERE id = ?")
//!         .bind(id)
//!         .fetch_one(pool)
//!         .await
//!         .map_err(|e| e.to_string())
//! }
//!
//! #[memotrace::invalidates(user_name(pool, id), transaction = tx)]
//! async fn rename(tx: &mut Transaction<'_, Sqlite>, pool: &sqlx::SqlitePool, id: i64, name: &str) -> sqlx::Result<()> {
//!     sqlx::query("UPDATE users SET name = ? WHERE id = ?").bind(name).bind(id).execute(&mut **tx).await?;
//!     Ok(())
//! }
//!
//! // One connection: each connection to `sqlite::memory:` is a database of its own.
//! let pool = sqlx::sqlite::SqlitePoolOptions::new()
//!     .max_connections(1)
//!     .connect("sqlite::memory:")
//!     .await?;
//! sqlx::raw_sql("CREATE TABLE users (id INTEGER, name TEXT); INSERT INTO users VALUES (7, 'Ann')")
//!     .execute(&pool)
//!     .await?;
//! assert_eq!(user_name(&pool, 7).await.unwrap(), "Ann");
//! let mut tx = begin(&pool).await?;
//! rename(&mut tx, &pool, 7, "Bea").await?;
//! assert_eq!(tx.pending(), 1);
//! tx.commit().await?;
//! assert_eq!(user_name(&pool, 7).await.unwrap(), "Bea");
//! # Ok::<(), sqlx::Error>(()) }).unwrap();
//! ```

mod transaction;

pub use transaction::{begin, Transaction};

use crate::db::{self, Failure, Run};
use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, Stream};
use futures_util::FutureExt as _;
use sqlx::error::BoxDynError;
use sqlx::{Database, Describe, Either, Error, Execute, Executor, SqlStr};
use std::borrow::Cow;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

/// An executor that logs each statement run through it; see the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct Logged<E> {
    inner: E,
}

/// Wraps `executor` (`&pool`, `&mut conn`, `&mut *tx`) so its statements are logged.
///
/// ```no_run
/// # async fn f(pool: sqlx::SqlitePool) -> sqlx::Result<()> {
/// let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
///     .fetch_one(memotrace::db::sqlx::logged(&pool))
///     .await?;
/// # Ok(()) }
/// ```
pub const fn logged<E>(executor: E) -> Logged<E> {
    Logged { inner: executor }
}

impl<E> Logged<E> {
    /// The wrapped executor.
    pub fn into_inner(self) -> E {
        self.inner
    }
}

/// OpenTelemetry's `db.system.name` for a sqlx database; it also picks the dialect the
/// statement is masked in (the MySQL driver serves MariaDB too: same dialect).
fn system<DB: Database>() -> &'static str {
    match DB::NAME {
        "SQLite" => "sqlite",
        "PostgreSQL" => "postgresql",
        "MySQL" => "mysql",
        "MSSQL" => "microsoft.sql_server",
        _ => "other_sql",
    }
}

/// Shared by the query (which sees the SQL) and the result stream (which sees the end).
#[derive(Clone)]
struct Probe {
    system: &'static str,
    run: Arc<Mutex<Option<Run>>>,
}

impl Probe {
    fn new(system: &'static str) -> Self {
        Self {
            system,
            run: Arc::new(Mutex::new(None)),
        }
    }

    fn begin(&self, sql: &str) {
        let d = db::describe(sql, db::Dialect::from_system(self.system));
        let run = Run::begin(
            self.system,
            Cow::Owned(d.text),
            d.operation.map(Cow::Owned),
            d.table.map(Cow::Owned),
            None,
            db::slow_threshold(),
        );
        *self.run.lock().unwrap_or_else(PoisonError::into_inner) = Some(run);
    }

    fn span(&self) -> Option<tracing::Span> {
        self.run
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|r| r.span.clone())
    }

    fn end(&self, error: Option<&Error>) {
        let run = self
            .run
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(run) = run {
            match error {
                Some(e) => run.end(Some(&Failure {
                    error_type: std::any::type_name::<Error>(),
                    error: e,
                })),
                None => run.end(None),
            }
        }
    }
}

/// The query, seen by the driver: reports the SQL when the driver takes it.
struct Tracked<Q> {
    inner: Q,
    probe: Probe,
}

impl<'q, DB: Database, Q: Execute<'q, DB>> Execute<'q, DB> for Tracked<Q> {
    fn sql(self) -> SqlStr {
        let sql = self.inner.sql();
        self.probe.begin(sql.as_str());
        sql
    }

    fn statement(&self) -> Option<&DB::Statement> {
        self.inner.statement()
    }

    fn take_arguments(&mut self) -> Result<Option<DB::Arguments>, BoxDynError> {
        self.inner.take_arguments()
    }

    fn persistent(&self) -> bool {
        self.inner.persistent()
    }
}

/// The result stream: ends the run on its end, its first error, or when dropped.
struct LoggedStream<'e, T> {
    inner: BoxStream<'e, Result<T, Error>>,
    probe: Probe,
    span: Option<tracing::Span>,
}

impl<T> Stream for LoggedStream<'_, T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let poll = match &this.span {
            Some(span) => span.in_scope(|| this.inner.as_mut().poll_next(cx)),
            None => this.inner.as_mut().poll_next(cx),
        };
        if this.span.is_none() {
            this.span = this.probe.span();
        }
        match &poll {
            Poll::Ready(None) => this.probe.end(None),
            Poll::Ready(Some(Err(e))) => this.probe.end(Some(e)),
            _ => {}
        }
        poll
    }
}

impl<T> Drop for LoggedStream<'_, T> {
    fn drop(&mut self) {
        self.probe.end(None);
    }
}

impl<'c, E> Executor<'c> for Logged<E>
where
    E: Executor<'c>,
{
    type Database = E::Database;

    fn fetch_many<'e, 'q: 'e, Q>(
        self,
        query: Q,
    ) -> BoxStream<
        'e,
        Result<
            Either<<Self::Database as Database>::QueryResult, <Self::Database as Database>::Row>,
            Error,
        >,
    >
    where
        'c: 'e,
        Q: 'q + Execute<'q, Self::Database>,
    {
        if !db::any_enabled() {
            return self.inner.fetch_many(query);
        }
        let probe = Probe::new(system::<Self::Database>());
        let inner = self.inner.fetch_many(Tracked {
            inner: query,
            probe: probe.clone(),
        });
        let span = probe.span();
        Box::pin(LoggedStream { inner, probe, span })
    }

    fn fetch_optional<'e, 'q: 'e, Q>(
        self,
        query: Q,
    ) -> BoxFuture<'e, Result<Option<<Self::Database as Database>::Row>, Error>>
    where
        'c: 'e,
        Q: 'q + Execute<'q, Self::Database>,
    {
        if !db::any_enabled() {
            return self.inner.fetch_optional(query);
        }
        let probe = Probe::new(system::<Self::Database>());
        let inner = self.inner.fetch_optional(Tracked {
            inner: query,
            probe: probe.clone(),
        });
        async move {
            let span = probe.span().unwrap_or_else(tracing::Span::none);
            let result = tracing::Instrument::instrument(inner, span).await;
            probe.end(result.as_ref().err());
            result
        }
        .boxed()
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [<Self::Database as Database>::TypeInfo],
    ) -> BoxFuture<'e, Result<<Self::Database as Database>::Statement, Error>>
    where
        'c: 'e,
    {
        self.inner.prepare_with(sql, parameters)
    }

    // Required because the workspace's sqlx has `macros` on (sqlx-core's `offline`).
    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<Describe<Self::Database>, Error>>
    where
        'c: 'e,
    {
        self.inner.describe(sql)
    }
}
