//! The global slow threshold set in code applies to the macro (without its own `slow`) and
//! to both adapters. Its own binary: the threshold is process-wide.
#![deny(warnings, clippy::all, clippy::pedantic)]

mod db_support;

use db_support::{block_on, capture, slow_statement, SCHEMA};
use memotrace::instrument_db;
use rusqlite::Connection;
use std::time::Duration;
use tracing::Level;

#[instrument_db(system = "sqlite", statement = sql)]
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<i64> {
    conn.query_row(sql, [], |r| r.get(0))
}

#[test]
fn code_threshold_applies_to_macro_and_adapters() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    let slow = slow_statement(300_000);

    // Default: 1 s, far above these statements.
    assert_eq!(memotrace::db::slow_threshold(), Duration::from_secs(1));
    let (cap, _) = capture(Level::TRACE, || run(&conn, "SELECT 1").unwrap());
    assert_eq!(cap.messages(), ["sql_query_started", "sql_query_completed"]);

    memotrace::db::set_slow_threshold(Duration::from_millis(1));
    assert_eq!(memotrace::db::slow_threshold(), Duration::from_millis(1));

    let (cap, n) = capture(Level::TRACE, || run(&conn, &slow).unwrap());
    assert_eq!(n, 300_000);
    let warn = cap.one("slow_sql_query");
    assert_eq!(warn.level, Level::WARN);
    assert_eq!(warn.get("slow_threshold_ms"), "1");
    assert!(warn.duration_ms() > 1.0);

    memotrace::db::rusqlite::instrument(&conn);
    let (cap, n) = capture(Level::TRACE, || {
        conn.query_row(&slow, [], |r| r.get::<_, i64>(0)).unwrap()
    });
    assert_eq!(n, 300_000);
    assert!(cap.one("slow_sql_query").duration_ms() > 1.0);
    memotrace::db::rusqlite::uninstrument(&conn);

    let (cap, ()) = capture(Level::TRACE, || {
        block_on(async {
            use sqlx::Connection as _;
            let mut c = sqlx::SqliteConnection::connect("sqlite::memory:")
                .await
                .unwrap();
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(slow.clone()))
                .fetch_one(memotrace::db::sqlx::logged(&mut c))
                .await
                .unwrap();
            assert_eq!(n, 300_000);
        });
    });
    let warn = cap.one("slow_sql_query");
    assert!(warn.duration_ms() > 1.0);
    assert_eq!(warn.get("db.system.name"), "sqlite");

    // A statement's own `slow` wins over the global one.
    memotrace::db::set_slow_threshold(Duration::from_hours(1));
    let (cap, _) = capture(Level::TRACE, || run(&conn, &slow).unwrap());
    assert_eq!(cap.messages(), ["sql_query_started", "sql_query_completed"]);
}
