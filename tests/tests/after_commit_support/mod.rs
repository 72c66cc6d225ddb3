//! Scenarios shared by the tests of invalidations that wait for a sqlx transaction's
//! commit, run against each database and store: a [`Backend`] is one database with a
//! `#[cached]` reader of `users.name` and an `#[invalidates(.., transaction = tx)]` writer
//! of it; a [`Replicated`] one also has a reader of a lagging replica and a writer with
//! `double_delete`.
#![allow(dead_code)]

pub mod sqlite;

use memotrace::db::sqlx::Transaction;
use std::collections::BTreeMap;
use std::sync::{mpsc, Mutex, OnceLock, PoisonError};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::Layer;

/// The name every row starts with: `name {id}`.
pub fn original(id: i64) -> String {
    format!("name {id}")
}

/// How many times a reader loaded each id (tests of one binary run in parallel on
/// different ids).
pub struct Loads(Mutex<BTreeMap<i64, usize>>);

impl Loads {
    pub const fn new() -> Self {
        Self(Mutex::new(BTreeMap::new()))
    }

    pub fn count(&self, id: i64) {
        *self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(id)
            .or_default() += 1;
    }

    pub fn of(&self, id: i64) -> usize {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .copied()
            .unwrap_or_default()
    }
}

/// One database, its cached reader and its transactional writer.
pub trait Backend {
    type Db: sqlx::Database;
    /// The `#[cached]` reader's answer for `id` (from committed rows).
    fn cached_name(&self, id: i64) -> impl std::future::Future<Output = String>;
    /// How many times the reader loaded `id`.
    fn loads(&self, id: i64) -> usize;
    fn begin(&self) -> impl std::future::Future<Output = Transaction<'static, Self::Db>>;
    /// The writer: `UPDATE users SET name = ..` in `tx`, invalidating the reader's entry
    /// for `id` when `tx` commits.
    fn rename(
        &self,
        tx: &mut Transaction<'static, Self::Db>,
        id: i64,
        name: &str,
    ) -> impl std::future::Future<Output = ()>;
}

/// Commit: a reader during the transaction still reads and caches the old row (nothing
/// was invalidated yet); after `commit()` returns, the reader answers the new one.
pub async fn commit_invalidates_after_the_commit<B: Backend>(b: &B, id: i64) {
    assert_eq!(b.cached_name(id).await, original(id));
    let mut tx = b.begin().await;
    b.rename(&mut tx, id, "renamed").await;
    assert_eq!(tx.pending(), 1, "the writer queued its invalidation");
    assert_eq!(
        b.cached_name(id).await,
        original(id),
        "the entry is still cached while the transaction is open"
    );
    assert_eq!(b.loads(id), 1, "nothing was invalidated before the commit");
    tx.commit().await.unwrap();
    assert_eq!(
        b.cached_name(id).await,
        "renamed",
        "the commit invalidated it"
    );
    assert_eq!(b.loads(id), 2);
}

/// The race deferral exists for: the entry is first cached during the transaction, from
/// the row as committed (the old one); the commit drops it.
pub async fn an_entry_cached_during_the_transaction_is_dropped_by_the_commit<B: Backend>(
    b: &B,
    id: i64,
) {
    let mut tx = b.begin().await;
    b.rename(&mut tx, id, "renamed").await;
    assert_eq!(
        b.cached_name(id).await,
        original(id),
        "a reader during the transaction"
    );
    assert_eq!(b.cached_name(id).await, original(id));
    assert_eq!(b.loads(id), 1, "… cached the old row");
    tx.commit().await.unwrap();
    assert_eq!(b.cached_name(id).await, "renamed");
    assert_eq!(b.loads(id), 2);
}

/// How a transaction ends without committing.
#[derive(Clone, Copy, Debug)]
pub enum Abandon {
    Rollback,
    Drop,
}

/// Rollback or drop: the queued invalidation never runs, the entry stays cached.
pub async fn an_abandoned_transaction_invalidates_nothing<B: Backend>(
    b: &B,
    id: i64,
    how: Abandon,
) {
    assert_eq!(b.cached_name(id).await, original(id));
    let mut tx = b.begin().await;
    b.rename(&mut tx, id, "renamed").await;
    assert_eq!(tx.pending(), 1);
    match how {
        Abandon::Rollback => tx.rollback().await.unwrap(),
        Abandon::Drop => drop(tx),
    }
    assert_eq!(b.cached_name(id).await, original(id));
    assert_eq!(b.loads(id), 1, "{how:?}: the entry was not invalidated");
}

/// A backend whose second reader reads a replica that lags behind `users`.
pub trait Replicated: Backend {
    /// The replica reader's answer for `id`.
    fn cached_replica_name(&self, id: i64) -> impl std::future::Future<Output = String>;
    fn replica_loads(&self, id: i64) -> usize;
    /// The writer with `double_delete`: renames in `users`, invalidates the replica
    /// reader's entry when `tx` commits and again after the delay.
    fn rename_twice(
        &self,
        tx: &mut Transaction<'static, Self::Db>,
        id: i64,
        name: &str,
    ) -> impl std::future::Future<Output = ()>;
    /// The replica catches up with `users` for `id`.
    fn replicate(&self, id: i64) -> impl std::future::Future<Output = ()>;
}

/// Double delete: between the commit's invalidation and the replica catching up, a
/// reader re-caches the old row from the replica; the second invalidation drops it.
pub async fn double_delete_drops_what_the_lagging_replica_let_readers_cache<B: Replicated>(
    b: &B,
    id: i64,
    signal: &DoubleDeletes,
) {
    assert_eq!(b.cached_replica_name(id).await, original(id));
    let mut tx = b.begin().await;
    b.rename_twice(&mut tx, id, "renamed").await;
    tx.commit().await.unwrap();
    assert_eq!(
        b.cached_replica_name(id).await,
        original(id),
        "the replica still serves the old row"
    );
    assert_eq!(b.replica_loads(id), 2, "the commit invalidated it once");
    b.replicate(id).await;
    assert_eq!(
        b.cached_replica_name(id).await,
        original(id),
        "re-cached from the lagging replica"
    );
    signal.next();
    assert_eq!(
        b.cached_replica_name(id).await,
        "renamed",
        "the second delete"
    );
    assert_eq!(b.replica_loads(id), 3);
}

/// How a second invalidation ended, as logged on memotrace's background runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    Completed,
    Failed,
}

/// The ends of second invalidations (`double_delete_completed`, `double_delete_failed`).
pub struct DoubleDeletes(Mutex<mpsc::Receiver<Ended>>);

impl DoubleDeletes {
    /// Installs the process's global subscriber (once per test binary).
    pub fn install() -> &'static Self {
        static SIGNAL: OnceLock<DoubleDeletes> = OnceLock::new();
        SIGNAL.get_or_init(|| {
            let (tx, rx) = mpsc::channel();
            let subscriber = tracing_subscriber::registry().with(Signal(Mutex::new(tx)));
            tracing::subscriber::set_global_default(subscriber).expect("the first subscriber");
            Self(Mutex::new(rx))
        })
    }

    /// Waits for the next second invalidation to end (at most 10 s); how it ended.
    pub fn ended(&self) -> Ended {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv_timeout(Duration::from_secs(10))
            .expect("a second invalidation ended within 10 s")
    }

    /// Waits for the next second invalidation to complete.
    pub fn next(&self) {
        assert_eq!(self.ended(), Ended::Completed);
    }
}

struct Signal(Mutex<mpsc::Sender<Ended>>);

impl<S: Subscriber> Layer<S> for Signal {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != memotrace::db::TARGET {
            return;
        }
        let mut message = Message(None);
        event.record(&mut message);
        if let Some(ended) = message.0 {
            let _ = self
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .send(ended);
        }
    }
}

struct Message(Option<Ended>);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = match format!("{value:?}").as_str() {
                "double_delete_completed" => Some(Ended::Completed),
                "double_delete_failed" => Some(Ended::Failed),
                _ => None,
            };
        }
    }
}
