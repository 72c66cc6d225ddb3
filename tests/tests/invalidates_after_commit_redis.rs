//! Invalidations that wait for a sqlx transaction's commit, with `store = redis` readers
//! against a real redis-server started by the test, over a `SQLite` database: the commit
//! drops the Redis entry (not before it), a rollback keeps it, and `double_delete` drops
//! the value a lagging replica let a reader cache again.
#![deny(warnings, clippy::all, clippy::pedantic)]

mod after_commit_support;

use after_commit_support::sqlite::{read, update, SqliteFile as Db, Table};
use after_commit_support::{
    an_abandoned_transaction_invalidates_nothing,
    an_entry_cached_during_the_transaction_is_dropped_by_the_commit,
    commit_invalidates_after_the_commit,
    double_delete_drops_what_the_lagging_replica_let_readers_cache, Abandon, Backend,
    DoubleDeletes, Loads, Replicated,
};
use memotrace::db::sqlx::{begin, Transaction};
use memotrace_tests::redis_harness::default_backend_server;
use sqlx::{Sqlite, SqlitePool};

static LOADS: Loads = Loads::new();
static REPLICA_LOADS: Loads = Loads::new();

#[memotrace::cached(store = redis, key = "{id}", name = "user_name")]
async fn user_name(pool: &SqlitePool, id: i64) -> Result<String, String> {
    LOADS.count(id);
    read(pool, Table::Users, id).await
}

#[memotrace::cached(store = redis, key = "{id}", name = "replica_name")]
async fn replica_name(pool: &SqlitePool, id: i64) -> Result<String, String> {
    REPLICA_LOADS.count(id);
    read(pool, Table::Replica, id).await
}

after_commit_support::sqlite::writers!();

const KEY: &str = "after-commit:memotrace:v2:user_name:1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_entries_go_when_the_transaction_commits_and_stay_when_it_rolls_back() {
    let server = default_backend_server("after-commit");
    let db = Db::open("redis").await;
    user_name(&db.pool, 1).await.unwrap();
    assert_eq!(server.cli(&["EXISTS", KEY]), "1");
    let mut tx = begin(&db.pool).await.unwrap();
    rename(&mut tx, &db.pool, 1, "renamed").await.unwrap();
    assert_eq!(
        server.cli(&["EXISTS", KEY]),
        "1",
        "still in Redis before the commit"
    );
    tx.commit().await.unwrap();
    assert_eq!(
        server.cli(&["EXISTS", KEY]),
        "0",
        "gone when commit() returns"
    );

    an_entry_cached_during_the_transaction_is_dropped_by_the_commit(&db, 2).await;
    commit_invalidates_after_the_commit(&db, 3).await;
    an_abandoned_transaction_invalidates_nothing(&db, 4, Abandon::Rollback).await;
    an_abandoned_transaction_invalidates_nothing(&db, 5, Abandon::Drop).await;

    let signal = DoubleDeletes::install();
    double_delete_drops_what_the_lagging_replica_let_readers_cache(&db, 6, signal).await;
    assert_eq!(memotrace::db::double_delete_failures(), 0);
}
