//! `MEMOTRACE_DB_SLOW_MS` sets the default slow threshold. Its own binary: the variable is
//! read once per process.
#![deny(warnings, clippy::all, clippy::pedantic)]

mod db_support;

use db_support::{capture, slow_statement};
use memotrace::instrument_db;
use rusqlite::Connection;
use std::time::Duration;
use tracing::Level;

#[instrument_db(system = "sqlite", statement = sql)]
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<i64> {
    conn.query_row(sql, [], |r| r.get(0))
}

#[test]
fn environment_sets_the_default_threshold() {
    std::env::set_var("MEMOTRACE_DB_SLOW_MS", "2");
    assert_eq!(memotrace::db::slow_threshold(), Duration::from_millis(2));
    let conn = Connection::open_in_memory().unwrap();
    let (cap, _) = capture(Level::TRACE, || {
        run(&conn, &slow_statement(300_000)).unwrap()
    });
    let warn = cap.one("slow_sql_query");
    assert_eq!(warn.get("slow_threshold_ms"), "2");
    assert!(warn.duration_ms() > 2.0);
}
