//! Invalidations that wait for a sqlx transaction's commit, against a real `PostgreSQL`
//! server started by the test (a reader on another connection reads the committed rows
//! while the writer's transaction is open): commit, rollback, drop.
#![deny(warnings, clippy::all, clippy::pedantic)]

mod after_commit_support;

use after_commit_support::{
    an_abandoned_transaction_invalidates_nothing,
    an_entry_cached_during_the_transaction_is_dropped_by_the_commit,
    commit_invalidates_after_the_commit, Abandon, Backend, Loads,
};
use memotrace::db::sqlx::{begin, Transaction};
use memotrace_tests::postgres_harness::shared_postgres;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres};
use tokio::sync::OnceCell;

static LOADS: Loads = Loads::new();

#[memotrace::cached(key = "{id}")]
async fn user_name(pool: &PgPool, id: i64) -> Result<String, String> {
    LOADS.count(id);
    sqlx::query_scalar("SELECT name FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .map_err(|e| e.to_string())
}

#[memotrace::invalidates(user_name(pool, id), transaction = tx)]
async fn rename(
    tx: &mut Transaction<'_, Postgres>,
    pool: &PgPool,
    id: i64,
    name: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

struct Db(PgPool);

/// A pool for this test's runtime; the table is created once per server.
async fn db() -> Db {
    static SCHEMA: OnceCell<()> = OnceCell::const_new();
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(&shared_postgres().url())
        .await
        .unwrap();
    SCHEMA
        .get_or_init(|| async {
            sqlx::raw_sql(
                "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);
                 INSERT INTO users SELECT v, 'name ' || v FROM generate_series(1, 20) AS v;",
            )
            .execute(&pool)
            .await
            .unwrap();
        })
        .await;
    Db(pool)
}

impl Backend for Db {
    type Db = Postgres;

    async fn cached_name(&self, id: i64) -> String {
        user_name(&self.0, id).await.unwrap()
    }

    fn loads(&self, id: i64) -> usize {
        LOADS.of(id)
    }

    async fn begin(&self) -> Transaction<'static, Postgres> {
        begin(&self.0).await.unwrap()
    }

    async fn rename(&self, tx: &mut Transaction<'static, Postgres>, id: i64, name: &str) {
        rename(tx, &self.0, id, name).await.unwrap();
    }
}

#[tokio::test]
async fn commit_runs_the_invalidation_after_the_commit_not_before() {
    let db = db().await;
    commit_invalidates_after_the_commit(&db, 1).await;
    an_entry_cached_during_the_transaction_is_dropped_by_the_commit(&db, 2).await;
}

#[tokio::test]
async fn rollback_and_drop_invalidate_nothing() {
    let db = db().await;
    an_abandoned_transaction_invalidates_nothing(&db, 3, Abandon::Rollback).await;
    an_abandoned_transaction_invalidates_nothing(&db, 4, Abandon::Drop).await;
}
