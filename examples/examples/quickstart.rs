//! The main demo: caching, operation timing, query events and structured logs, on the
//! in-memory store and SQLite — no server needed.
//!
//! ```sh
//! cargo run -p memotrace-examples --example quickstart                      # pretty logs
//! APP_ENV=staging cargo run -p memotrace-examples --example quickstart      # JSON at info
//! APP_ENV=production cargo run -p memotrace-examples --example quickstart   # JSON at warn
//! ```
//! Logs go to stdout; the cache and timing summaries go to stderr.

use memotrace::log::Logger;
use memotrace::{cached, instrument_db, log_performance};
use rusqlite::Connection;
use std::sync::{LazyLock, Mutex, PoisonError};

/// An in-memory SQLite database with a few permissions.
static DB: LazyLock<Mutex<Connection>> = LazyLock::new(|| {
    let conn = Connection::open_in_memory().expect("in-memory SQLite");
    conn.execute_batch(
        "CREATE TABLE permissions (user_id INTEGER NOT NULL, name TEXT NOT NULL);
         INSERT INTO permissions VALUES (7, 'read'), (7, 'write'), (8, 'read');",
    )
    .expect("schema");
    Mutex::new(conn)
});

/// One statement, logged as `sql_query_started` / `sql_query_completed` (debug).
#[instrument_db(
    system = "sqlite",
    statement = "SELECT name FROM permissions WHERE user_id = ?1 ORDER BY name",
    params(user_id)
)]
fn query_permissions(user_id: i64) -> rusqlite::Result<Vec<String>> {
    let conn = DB.lock().unwrap_or_else(PoisonError::into_inner);
    let mut stmt = conn.prepare("SELECT name FROM permissions WHERE user_id = ?1 ORDER BY name")?;
    let rows = stmt.query_map([user_id], |row| row.get(0))?;
    rows.collect()
}

/// An in-memory cache on `user_permissions`, with a ttl; each load is timed
/// (`operation_completed` at info), hits are answered from memory.
#[cached(ttl = "10m", max_capacity = 128)]
#[log_performance(level = "info", name = "load_permissions")]
fn user_permissions(user_id: i64) -> rusqlite::Result<Vec<String>> {
    query_permissions(user_id)
}

/// A failing operation: `operation_failed` with `error_type` and `error`.
#[log_performance(name = "charge_card")]
fn charge(amount_cents: u64) -> Result<u64, std::io::Error> {
    if amount_cents > 10_000 {
        return Err(std::io::Error::other("insufficient funds"));
    }
    Ok(amount_cents)
}

fn main() {
    let _log = memotrace::log::init().expect("logging initialised once");
    memotrace::perf::set_enabled(true);
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "application_started");

    // Context bound for a scope: every event inside carries request_id and user_id.
    let request = Logger::new()
        .bind("request_id", "req-789")
        .bind("user_id", 7);
    let _scope = request.enter();

    for _ in 0..3 {
        let permissions = user_permissions(7).expect("query");
        tracing::info!(count = permissions.len(), "permissions_checked");
    }
    user_permissions(8).expect("query");

    // Sensitive fields are redacted in every format.
    tracing::warn!(
        password = "hunter2",
        ip = "192.168.1.1",
        attempts = 3,
        "login_failed"
    );
    let _ = charge(99_999);

    user_permissions_invalidate(7);
    user_permissions(7).expect("query");

    for cache in memotrace::cache::registry() {
        let s = cache.stats;
        eprintln!(
            "cache {}: hits={} misses={} loads={} entries={}/{} hit_ratio={:.2}",
            cache.name,
            s.hits,
            s.misses,
            s.loads,
            s.entries,
            s.capacity,
            s.hit_ratio()
        );
    }
    eprint!("{}", memotrace::perf::snapshot());
}
