//! A `User` model on SQLite (in memory, no server): a repository whose methods
//! are annotated with `#[instrument_db]`, and a service whose reads are `#[cached]` and
//! whose writes invalidate. The schema is created through the rusqlite adapter, which logs
//! statements without annotations.
//!
//! Run it with `cargo run -p memotrace-examples --example user_repository`
//! (`APP_ENV=production` shows only slow and failed statements, as JSON).

use memotrace::{cached, instrument_db};
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// A user row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub hashed_password: String,
    pub name: String,
    pub is_active: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl User {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            email: row.get("email")?,
            hashed_password: row.get("hashed_password")?,
            name: row.get("name")?,
            is_active: row.get("is_active")?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

const SCHEMA: &str = "
CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    email           TEXT    NOT NULL UNIQUE,
    hashed_password TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    is_active       INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX users_active ON users (is_active);
";

const COLUMNS: &str = "id, email, hashed_password, name, is_active, created_at, updated_at";

/// Data access: one statement per method, each logged by `#[instrument_db]`.
pub struct UserRepository {
    conn: Mutex<Connection>,
}

impl UserRepository {
    /// An in-memory database with the `users` table, created through the rusqlite adapter
    /// (which logs every statement the connection runs while it is installed).
    pub fn in_memory() -> rusqlite::Result<Self> {
        let conn = Connection::open_in_memory()?;
        memotrace::db::rusqlite::instrument(&conn);
        conn.execute_batch(SCHEMA)?;
        // From here on the annotated methods log their statements.
        memotrace::db::rusqlite::uninstrument(&conn);
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `hashed_password` is listed in `params` to show it is redacted in the logs.
    #[instrument_db(
        system = "sqlite",
        statement = "INSERT INTO users (email, hashed_password, name) VALUES (?1, ?2, ?3)",
        params(email, hashed_password, name)
    )]
    pub fn insert(&self, email: &str, hashed_password: &str, name: &str) -> rusqlite::Result<i64> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO users (email, hashed_password, name) VALUES (?1, ?2, ?3)",
            params![email, hashed_password, name],
        )?;
        Ok(conn.last_insert_rowid())
    }

    #[instrument_db(
        system = "sqlite",
        statement = "SELECT id, email, hashed_password, name, is_active, created_at, updated_at FROM users WHERE id = ?1",
        params(id)
    )]
    pub fn find(&self, id: i64) -> rusqlite::Result<Option<User>> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM users WHERE id = ?1"),
                [id],
                User::from_row,
            )
            .optional()
    }

    #[instrument_db(
        system = "sqlite",
        statement = "SELECT id, email, hashed_password, name, is_active, created_at, updated_at FROM users WHERE email = ?1",
        params(email)
    )]
    pub fn find_by_email(&self, email: &str) -> rusqlite::Result<Option<User>> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM users WHERE email = ?1"),
                [email],
                User::from_row,
            )
            .optional()
    }

    #[instrument_db(
        system = "sqlite",
        statement = "UPDATE users SET name = ?2, updated_at = CURRENT_TIMESTAMP WHERE id = ?1",
        params(id, name)
    )]
    pub fn rename(&self, id: i64, name: &str) -> rusqlite::Result<bool> {
        let n = self.conn().execute(
            "UPDATE users SET name = ?2, updated_at = CURRENT_TIMESTAMP WHERE id = ?1",
            params![id, name],
        )?;
        Ok(n == 1)
    }

    #[instrument_db(
        system = "sqlite",
        statement = "UPDATE users SET is_active = 0, updated_at = CURRENT_TIMESTAMP WHERE id = ?1",
        params(id)
    )]
    pub fn deactivate(&self, id: i64) -> rusqlite::Result<bool> {
        let n = self.conn().execute(
            "UPDATE users SET is_active = 0, updated_at = CURRENT_TIMESTAMP WHERE id = ?1",
            [id],
        )?;
        Ok(n == 1)
    }

    #[instrument_db(
        system = "sqlite",
        statement = "SELECT count(*) FROM users WHERE is_active = 1"
    )]
    pub fn count_active(&self) -> rusqlite::Result<i64> {
        self.conn()
            .query_row("SELECT count(*) FROM users WHERE is_active = 1", [], |r| {
                r.get(0)
            })
    }

    /// A report built by a statement passed in (`statement = sql`): logged with its
    /// literals masked, its operation and table inferred at run time. `slow = "5ms"` makes
    /// the recursive CTE below a `slow_sql_query` warning.
    #[instrument_db(system = "sqlite", statement = sql, slow = "5ms")]
    pub fn scalar(&self, sql: &str) -> rusqlite::Result<i64> {
        self.conn().query_row(sql, [], |r| r.get(0))
    }
}

/// Business logic: reads are cached per id, writes invalidate the entry they change.
pub struct UserService {
    repo: UserRepository,
}

impl UserService {
    /// A cached read: the second call for an id does not reach the database.
    #[cached(key = "user:{id}", ttl = "5m", max_capacity = 10_000)]
    pub fn user(&self, id: i64) -> Result<Option<User>, String> {
        self.repo.find(id).map_err(|e| e.to_string())
    }

    pub fn register(&self, email: &str, password: &str, name: &str) -> rusqlite::Result<i64> {
        // Not a real hash: the example only shows that the value never reaches the logs.
        let hashed = format!("sha256:{:x}", password.len() * 7919);
        self.repo.insert(email, &hashed, name)
    }

    pub fn rename(&self, id: i64, name: &str) -> rusqlite::Result<bool> {
        let changed = self.repo.rename(id, name)?;
        Self::user_invalidate(id);
        Ok(changed)
    }

    pub fn deactivate(&self, id: i64) -> rusqlite::Result<bool> {
        let changed = self.repo.deactivate(id)?;
        Self::user_invalidate(id);
        Ok(changed)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Development defaults: pretty console at debug; `APP_ENV=production` gives JSON at warn
    // (only slow and failed statements), `RUST_LOG` overrides the filter.
    let _log = memotrace::log::Builder::new()
        .service("user-repository")
        .init()?;

    let service = UserService {
        repo: UserRepository::in_memory()?,
    };

    let ann = service.register("ann@example.com", "correct horse", "Ann")?;
    let bob = service.register("bob@example.com", "battery staple", "Bob")?;

    // A constraint violation: `sql_query_failed` with the error's type and message.
    let duplicate = service.register("ann@example.com", "again", "Ann 2");
    println!("duplicate email -> {}", duplicate.unwrap_err());

    // Cached reads: one SELECT for two calls.
    println!("user({ann}) = {:?}", service.user(ann)?.map(|u| u.name));
    println!(
        "user({ann}) = {:?} (cached)",
        service.user(ann)?.map(|u| u.name)
    );

    // A write invalidates: the next read goes to the database again.
    service.rename(ann, "Ann Lee")?;
    println!(
        "user({ann}) = {:?} (after rename)",
        service.user(ann)?.map(|u| u.name)
    );

    service.deactivate(bob)?;
    println!("active users: {}", service.repo.count_active()?);
    println!(
        "by email: {:?}",
        service
            .repo
            .find_by_email("bob@example.com")?
            .map(|u| u.is_active)
    );

    // A statement slow on purpose: a `slow_sql_query` warning.
    let n = service.repo.scalar(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) SELECT count(*) FROM c",
    )?;
    println!("counted to {n}");

    let stats = UserService::user_cache().stats();
    println!(
        "user cache: hits={} misses={} loads={}",
        stats.hits, stats.misses, stats.loads
    );
    Ok(())
}
