//! A `SQLite` database for these tests: a WAL file of its own (a reader on another pooled
//! connection reads the committed rows while a writer's transaction is open), with
//! `users` and its lagging copy `replica`, rows `(id, 'name {id}')` for ids 1 to 20.

use memotrace::db::sqlx::Transaction;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Sqlite, SqlitePool};
use std::path::{Path, PathBuf};

/// The database file, removed with its `-wal` and `-shm` files on drop.
pub struct SqliteFile {
    pub pool: SqlitePool,
    path: PathBuf,
}

impl SqliteFile {
    pub async fn open(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "memotrace-after-commit-{name}-{}.sqlite",
            std::process::id()
        ));
        remove(&path);
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .unwrap();
        sqlx::raw_sql(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
             INSERT INTO users
                 WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 20)
                 SELECT v, 'name ' || v FROM n;
             CREATE TABLE replica AS SELECT * FROM users;",
        )
        .execute(&pool)
        .await
        .unwrap();
        Self { pool, path }
    }

    /// The replica catches up with `users` for `id`.
    pub async fn replicate(&self, id: i64) {
        sqlx::query(
            "UPDATE replica SET name = (SELECT name FROM users WHERE id = ?1) WHERE id = ?1",
        )
        .bind(id)
        .execute(&self.pool)
        .await
        .unwrap();
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        remove(&self.path);
    }
}

fn remove(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

/// The tables a reader reads.
#[derive(Clone, Copy)]
pub enum Table {
    Users,
    /// A copy of `users` that lags: updated by [`SqliteFile::replicate`] only.
    Replica,
}

/// `name` of `id` in `table`, as committed.
pub async fn read(pool: &SqlitePool, table: Table, id: i64) -> Result<String, String> {
    let sql = match table {
        Table::Users => "SELECT name FROM users WHERE id = ?",
        Table::Replica => "SELECT name FROM replica WHERE id = ?",
    };
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(pool)
        .await
        .map_err(|e| e.to_string())
}

/// The writers' statement: `UPDATE users SET name = ..` in `tx`.
pub async fn update(tx: &mut Transaction<'_, Sqlite>, id: i64, name: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET name = ? WHERE id = ?")
        .bind(name)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The writers (`rename`, and `rename_twice` with a double delete) of the `user_name` and
/// `replica_name` readers a test file defines on the store it tests, and `Db`'s
/// [`Backend`](super::Backend) and [`Replicated`](super::Replicated) impls over them.
/// (The `PostgreSQL` file includes this module too, without these.)
#[allow(unused_macros)]
macro_rules! writers {
    () => {
        #[memotrace::invalidates(user_name(pool, id), transaction = tx)]
        async fn rename(
            tx: &mut Transaction<'_, Sqlite>,
            pool: &SqlitePool,
            id: i64,
            name: &str,
        ) -> sqlx::Result<()> {
            update(tx, id, name).await
        }

        #[memotrace::invalidates(replica_name(pool, id), transaction = tx, double_delete = "1s")]
        async fn rename_twice(
            tx: &mut Transaction<'_, Sqlite>,
            pool: &SqlitePool,
            id: i64,
            name: &str,
        ) -> sqlx::Result<()> {
            update(tx, id, name).await
        }

        impl Backend for Db {
            type Db = Sqlite;

            async fn cached_name(&self, id: i64) -> String {
                user_name(&self.pool, id).await.unwrap()
            }

            fn loads(&self, id: i64) -> usize {
                LOADS.of(id)
            }

            async fn begin(&self) -> Transaction<'static, Sqlite> {
                begin(&self.pool).await.unwrap()
            }

            async fn rename(&self, tx: &mut Transaction<'static, Sqlite>, id: i64, name: &str) {
                rename(tx, &self.pool, id, name).await.unwrap();
            }
        }

        impl Replicated for Db {
            async fn cached_replica_name(&self, id: i64) -> String {
                replica_name(&self.pool, id).await.unwrap()
            }

            fn replica_loads(&self, id: i64) -> usize {
                REPLICA_LOADS.of(id)
            }

            async fn rename_twice(
                &self,
                tx: &mut Transaction<'static, Sqlite>,
                id: i64,
                name: &str,
            ) {
                rename_twice(tx, &self.pool, id, name).await.unwrap();
            }

            async fn replicate(&self, id: i64) {
                Db::replicate(self, id).await;
            }
        }
    };
}

#[allow(unused_imports)]
pub(crate) use writers;
