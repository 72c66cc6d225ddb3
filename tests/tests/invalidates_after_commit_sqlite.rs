//! Invalidations that wait for a sqlx transaction's commit, on `SQLite` (a WAL database
//! file, so a reader on another connection reads the committed rows while a writer's
//! transaction is open) with memory caches: commit, rollback, drop, the manual
//! `after_commit` API, and `double_delete` with and without a transaction.
#![deny(warnings, clippy::all, clippy::pedantic)]

mod after_commit_support;

use after_commit_support::sqlite::{read, update, SqliteFile as Db, Table};
use after_commit_support::{
    an_abandoned_transaction_invalidates_nothing,
    an_entry_cached_during_the_transaction_is_dropped_by_the_commit,
    commit_invalidates_after_the_commit,
    double_delete_drops_what_the_lagging_replica_let_readers_cache, original, Abandon, Backend,
    DoubleDeletes, Ended, Loads, Replicated,
};
use memotrace::db::sqlx::{begin, Transaction};
use sqlx::{Sqlite, SqlitePool};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

static LOADS: Loads = Loads::new();
static REPLICA_LOADS: Loads = Loads::new();

#[memotrace::cached(key = "{id}")]
async fn user_name(pool: &SqlitePool, id: i64) -> Result<String, String> {
    LOADS.count(id);
    read(pool, Table::Users, id).await
}

#[memotrace::cached(key = "{id}")]
async fn replica_name(pool: &SqlitePool, id: i64) -> Result<String, String> {
    REPLICA_LOADS.count(id);
    read(pool, Table::Replica, id).await
}

after_commit_support::sqlite::writers!();

#[tokio::test]
async fn commit_runs_the_invalidation_after_the_commit_not_before() {
    let db = Db::open("commit").await;
    commit_invalidates_after_the_commit(&db, 1).await;
    an_entry_cached_during_the_transaction_is_dropped_by_the_commit(&db, 2).await;
}

#[tokio::test]
async fn rollback_and_drop_invalidate_nothing() {
    let db = Db::open("abandon").await;
    an_abandoned_transaction_invalidates_nothing(&db, 3, Abandon::Rollback).await;
    an_abandoned_transaction_invalidates_nothing(&db, 4, Abandon::Drop).await;
}

#[tokio::test]
async fn after_commit_queues_any_invalidation_by_hand() {
    let db = Db::open("manual").await;
    let id = 5;
    assert_eq!(user_name(&db.pool, id).await.unwrap(), original(id));
    let mut tx = begin(&db.pool).await.unwrap();
    update(&mut tx, id, "renamed").await.unwrap();
    let pool = db.pool.clone();
    tx.after_commit(move || {
        let pool = pool.clone();
        async move { user_name_invalidate(&pool, id) }
    });
    assert_eq!(tx.pending(), 1);
    assert_eq!(user_name(&db.pool, id).await.unwrap(), original(id));
    tx.commit().await.unwrap();
    assert_eq!(user_name(&db.pool, id).await.unwrap(), "renamed");
    assert_eq!(LOADS.of(id), 2);
}

static TAGGED_LOADS: Loads = Loads::new();

#[memotrace::cached(key = "{id}", tags = ["team:{team}"])]
async fn member(pool: &SqlitePool, team: i64, id: i64) -> Result<String, String> {
    let _ = team; // in the tag only
    TAGGED_LOADS.count(id);
    read(pool, Table::Users, id).await
}

#[memotrace::invalidates(tags = ["team:{team}"], transaction = tx)]
async fn rename_member(tx: &mut Transaction<'_, Sqlite>, team: i64, id: i64) -> sqlx::Result<()> {
    update(tx, id, "renamed").await
}

#[tokio::test]
async fn tags_wait_for_the_commit_too() {
    let db = Db::open("tags").await;
    let (team, id) = (70, 6);
    assert_eq!(member(&db.pool, team, id).await.unwrap(), original(id));
    let mut tx = begin(&db.pool).await.unwrap();
    rename_member(&mut tx, team, id).await.unwrap();
    member(&db.pool, team, id).await.unwrap();
    assert_eq!(TAGGED_LOADS.of(id), 1, "not dropped before the commit");
    tx.commit().await.unwrap();
    assert_eq!(member(&db.pool, team, id).await.unwrap(), "renamed");
    assert_eq!(TAGGED_LOADS.of(id), 2);
}

static LAGGING: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);
static PLAIN_LOADS: Loads = Loads::new();

/// Reads what a lagging replica holds.
#[memotrace::cached(key = "{id}")]
fn replica_value(id: i64) -> String {
    PLAIN_LOADS.count(id);
    LAGGING
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| original(id))
}

#[memotrace::invalidates(replica_value(id), double_delete = "1s")]
fn write_primary(id: i64) {
    let _ = id;
}

/// One test for every double delete of this binary: each awaits the next completion.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_delete_drops_what_a_lagging_replica_let_a_reader_cache_again() {
    let signal = DoubleDeletes::install();

    let db = Db::open("double-delete").await;
    double_delete_drops_what_the_lagging_replica_let_readers_cache(&db, 7, signal).await;

    // A writer without a transaction: invalidates at once, and again after the delay.
    let id = 8;
    assert_eq!(replica_value(id), original(id));
    write_primary(id);
    assert_eq!(
        replica_value(id),
        original(id),
        "re-cached from the lagging replica"
    );
    assert_eq!(
        PLAIN_LOADS.of(id),
        2,
        "the first delete ran when the writer returned"
    );
    *LAGGING.lock().unwrap() = Some("renamed".into());
    assert_eq!(replica_value(id), original(id));
    signal.next();
    assert_eq!(replica_value(id), "renamed", "the second delete");
    assert_eq!(PLAIN_LOADS.of(id), 3);
    assert_eq!(memotrace::db::double_delete_failures(), 0);

    // A second run that panics is caught on the background runtime, logged and counted.
    let mut tx = begin(&db.pool)
        .await
        .unwrap()
        .with_double_delete(Duration::from_millis(1));
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    tx.after_commit(move || {
        let run = counted.fetch_add(1, SeqCst);
        async move { assert_eq!(run, 0, "a second run that fails") }
    });
    tx.commit().await.unwrap();
    assert_eq!(signal.ended(), Ended::Failed);
    assert_eq!(runs.load(SeqCst), 2);
    assert_eq!(memotrace::db::double_delete_failures(), 1);
}
