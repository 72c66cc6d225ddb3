//! The rusqlite adapter (`SQLite`'s trace hooks) emits the same events as `#[instrument_db]`.
#![deny(warnings, clippy::all, clippy::pedantic)]

mod db_support;

use db_support::{capture, SCHEMA};
use memotrace::db::rusqlite::{instrument, uninstrument};
use memotrace::instrument_db;
use rusqlite::Connection;
use std::sync::Once;
use tracing::Level;

/// `SQLite`'s error log must be configured before `SQLite` initialises: every test calls this
/// before opening a connection.
fn setup() {
    static ONCE: Once = Once::new();
    // SAFETY: runs once, before any test of this binary touches SQLite.
    ONCE.call_once(|| unsafe { memotrace::db::rusqlite::log_errors() }.expect("SQLite error log"));
}

fn db() -> Connection {
    setup();
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    instrument(&conn);
    conn
}

#[test]
fn every_statement_is_logged_with_sqlites_timing() {
    let conn = db();
    let (cap, ()) = capture(Level::TRACE, || {
        conn.execute(
            "INSERT INTO users (email, hashed_password, name) VALUES (?1, 'pw-literal', ?2)",
            ["a@example.com", "Ann"],
        )
        .unwrap();
        let name: String = conn
            .query_row("SELECT name FROM users WHERE id = 1", [], |r| r.get(0))
            .unwrap();
        assert_eq!(name, "Ann");
    });
    assert_eq!(
        cap.messages(),
        [
            "sql_query_started",
            "sql_query_completed",
            "sql_query_started",
            "sql_query_completed"
        ]
    );
    let events = cap.db_events();
    assert_eq!(events[1].get("db.system.name"), "sqlite");
    assert_eq!(
        events[1].get("db.query.text"),
        "INSERT INTO users (email, hashed_password, name) VALUES (?1, ?, ?2)"
    );
    assert_eq!(events[1].get("db.operation.name"), "INSERT");
    assert_eq!(events[1].get("db.collection.name"), "users");
    assert!(events[1].field("db.query.parameters").is_none());
    // Measured by our clock (SQLite's own is millisecond-grained and says 0 here).
    assert!(events[1].duration_ms() > 0.0);
    assert_eq!(
        events[3].get("db.query.text"),
        "SELECT name FROM users WHERE id = ?"
    );
    assert_eq!(events[3].level, Level::DEBUG);
    assert!(!format!("{events:?}").contains("pw-literal"));
}

#[test]
fn a_statement_failing_while_running_is_a_failed_event() {
    let conn = db();
    conn.execute(
        "INSERT INTO users (email, hashed_password, name) VALUES ('d@x', 'p', 'D')",
        [],
    )
    .unwrap();
    let (cap, result) = capture(Level::TRACE, || {
        conn.execute(
            "INSERT INTO users (email, hashed_password, name) VALUES ('d@x', 'p', 'D')",
            [],
        )
    });
    assert!(result.is_err());
    assert_eq!(cap.messages(), ["sql_query_started", "sql_query_failed"]);
    let failed = cap.one("sql_query_failed");
    assert_eq!(failed.level, Level::ERROR);
    assert_eq!(failed.get("error_type"), "ConstraintViolation");
    assert_eq!(failed.get("error"), "UNIQUE constraint failed: users.email");
    assert_eq!(
        failed.get("db.query.text"),
        "INSERT INTO users (email, hashed_password, name) VALUES (?, ?, ?)"
    );

    // The next statement on the thread is not blamed for the old error.
    let (cap, ()) = capture(Level::TRACE, || {
        conn.execute("DELETE FROM users", []).unwrap();
    });
    assert_eq!(cap.messages(), ["sql_query_started", "sql_query_completed"]);
}

#[test]
fn a_statement_that_never_prepares_is_not_seen_by_the_hooks() {
    let conn = db();
    let (cap, result) = capture(Level::TRACE, || conn.execute("SELEC 1", []));
    assert!(result.is_err());
    assert!(
        cap.db_events().is_empty(),
        "documented: prepare errors need #[instrument_db]"
    );
}

#[test]
fn trigger_sub_programs_are_not_separate_statements() {
    let conn = db();
    conn.execute_batch(
        "CREATE TABLE audit (user_id INTEGER);
         CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN INSERT INTO audit VALUES (new.id); END;",
    )
    .unwrap();
    let (cap, _) = capture(Level::TRACE, || {
        conn.execute(
            "INSERT INTO users (email, hashed_password, name) VALUES ('t@x', 'p', 'T')",
            [],
        )
        .unwrap()
    });
    assert_eq!(cap.messages(), ["sql_query_started", "sql_query_completed"]);
}

#[test]
fn uninstrument_stops_logging_and_disabled_levels_log_nothing() {
    let conn = db();
    let (cap, ()) = capture(Level::INFO, || {
        conn.execute("DELETE FROM users", []).unwrap();
    });
    assert!(cap.db_events().is_empty());
    uninstrument(&conn);
    let (cap, ()) = capture(Level::TRACE, || {
        conn.execute("DELETE FROM users", []).unwrap();
    });
    assert!(cap.db_events().is_empty());
}

#[instrument_db(
    system = "sqlite",
    statement = "UPDATE users SET name = 'x' WHERE id = 1"
)]
fn rename(conn: &Connection) -> rusqlite::Result<usize> {
    conn.execute("UPDATE users SET name = 'x' WHERE id = 1", [])
}

#[test]
fn same_events_as_the_macro() {
    setup();
    let plain = Connection::open_in_memory().unwrap();
    plain.execute_batch(SCHEMA).unwrap();
    let (by_macro, _) = capture(Level::TRACE, || rename(&plain).unwrap());
    let hooked = db();
    let (by_hook, _) = capture(Level::TRACE, || {
        hooked
            .execute("UPDATE users SET name = 'x' WHERE id = 1", [])
            .unwrap()
    });
    assert_eq!(by_macro.shapes(), by_hook.shapes());
    assert_eq!(
        by_hook.one("sql_query_completed").get("db.query.text"),
        "UPDATE users SET name = ? WHERE id = ?"
    );
}

#[test]
fn temp_file_database() {
    setup();
    let path =
        std::env::temp_dir().join(format!("memotrace-rusqlite-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&path);
    {
        let conn = Connection::open(&path).unwrap();
        instrument(&conn);
        let (cap, ()) = capture(Level::TRACE, || {
            conn.execute_batch(SCHEMA).unwrap();
            conn.execute(
                "INSERT INTO users (email, hashed_password, name) VALUES ('f@x', 'p', 'F')",
                [],
            )
            .unwrap();
        });
        let completed: Vec<_> = cap
            .db_events()
            .into_iter()
            .filter(|e| e.message == "sql_query_completed")
            .collect();
        assert_eq!(completed.len(), 2);
        assert_eq!(completed[0].get("db.operation.name"), "CREATE");
        assert_eq!(completed[1].get("db.operation.name"), "INSERT");
    }
    std::fs::remove_file(&path).unwrap();
}
