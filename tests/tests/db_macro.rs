//! `#[instrument_db]` on real `SQLite`: every event, field, span, slow detection, failures,
//! truncation and the disabled path.
#![deny(warnings, clippy::all, clippy::pedantic)]

mod db_support;

use db_support::{block_on, capture, slow_statement, SCHEMA};
use memotrace::instrument_db;
use rusqlite::{params, Connection, OptionalExtension};
use std::sync::atomic::{AtomicUsize, Ordering};
use tracing::Level;

fn db() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    conn
}

#[instrument_db(
    system = "sqlite",
    statement = "INSERT INTO users (email, hashed_password, name) VALUES (?1, ?2, ?3)",
    params(email, hashed_password)
)]
fn insert_user(
    conn: &Connection,
    email: &str,
    hashed_password: &str,
    name: &str,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO users (email, hashed_password, name) VALUES (?1, ?2, ?3)",
        params![email, hashed_password, name],
    )?;
    Ok(conn.last_insert_rowid())
}

#[instrument_db(
    system = "sqlite",
    statement = "SELECT name FROM users WHERE id = ?1 AND email <> 'x@y.z'",
    params(id)
)]
fn user_name(conn: &Connection, id: i64) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT name FROM users WHERE id = ?1 AND email <> 'x@y.z'",
        [id],
        |r| r.get(0),
    )
    .optional()
}

#[instrument_db(
    system = "sqlite",
    statement = "SELECT count(*) FROM users",
    operation = "COUNT",
    table = "people"
)]
fn count(conn: &Connection) -> i64 {
    conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap()
}

#[instrument_db(system = "sqlite", statement = sql, slow = "1ms")]
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<i64> {
    conn.query_row(sql, [], |r| r.get(0))
}

#[instrument_db(system = "sqlite", statement = sql)]
fn exec(conn: &Connection, sql: String) -> rusqlite::Result<usize> {
    conn.execute(&sql, [])
}

#[test]
fn completed_event_carries_every_field_inside_the_span() {
    let conn = db();
    let (cap, id) = capture(Level::TRACE, || {
        insert_user(&conn, "ann@example.com", "h4sh", "Ann").unwrap()
    });
    assert_eq!(id, 1);
    assert_eq!(cap.messages(), ["sql_query_started", "sql_query_completed"]);
    for event in cap.db_events() {
        assert_eq!(event.level, Level::DEBUG);
        assert_eq!(event.get("db.system.name"), "sqlite");
        assert_eq!(
            event.get("db.query.text"),
            "INSERT INTO users (email, hashed_password, name) VALUES (?1, ?2, ?3)"
        );
        assert_eq!(event.get("db.operation.name"), "INSERT");
        assert_eq!(event.get("db.collection.name"), "users");
        assert_eq!(
            event.get("db.query.parameters"),
            "email=\"ann@example.com\", hashed_password=***REDACTED***"
        );
        assert_eq!(event.spans, ["db.query"]);
    }
    let done = cap.one("sql_query_completed");
    assert!(done.duration_ms() >= 0.0);
    assert!(cap.one("sql_query_started").field("duration_ms").is_none());
    let spans = cap.spans();
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(span.name, "db.query");
    assert_eq!(span.fields["db.system.name"], "sqlite");
    assert_eq!(span.fields["db.operation.name"], "INSERT");
    assert_eq!(span.fields["db.collection.name"], "users");
    assert_eq!(span.fields["otel.name"], "INSERT users");
    assert_eq!(span.fields["otel.kind"], "client");
    assert!(span.fields["db.query.text"].starts_with("INSERT INTO users"));
}

#[test]
fn literals_are_masked_and_only_named_params_logged() {
    let conn = db();
    insert_user(&conn, "bob@example.com", "x", "Bob").unwrap();
    let (cap, name) = capture(Level::TRACE, || user_name(&conn, 1).unwrap());
    assert_eq!(name.as_deref(), Some("Bob"));
    let done = cap.one("sql_query_completed");
    assert_eq!(
        done.get("db.query.text"),
        "SELECT name FROM users WHERE id = ?1 AND email <> ?"
    );
    assert_eq!(done.get("db.query.parameters"), "id=1");
    assert_eq!(done.get("db.operation.name"), "SELECT");

    let (cap, n) = capture(Level::TRACE, || count(&conn));
    assert_eq!(n, 1);
    let done = cap.one("sql_query_completed");
    assert_eq!(done.get("db.operation.name"), "COUNT");
    assert_eq!(done.get("db.collection.name"), "people");
    assert!(
        done.field("db.query.parameters").is_none(),
        "no params(..): no parameters field"
    );
}

#[test]
fn statement_argument_is_sanitised_and_inferred_at_run_time() {
    let conn = db();
    let (cap, _) = capture(Level::TRACE, || {
        exec(
            &conn,
            "INSERT INTO users (email, hashed_password, name) VALUES ('c@d.e', 'secret', 'Cy')"
                .to_owned(),
        )
        .unwrap()
    });
    let done = cap.one("sql_query_completed");
    assert_eq!(
        done.get("db.query.text"),
        "INSERT INTO users (email, hashed_password, name) VALUES (?, ?, ?)"
    );
    assert_eq!(done.get("db.operation.name"), "INSERT");
    assert_eq!(done.get("db.collection.name"), "users");
    assert!(!format!("{:?}", cap.events()).contains("secret"));
}

#[test]
fn slow_statement_is_a_warning_over_the_threshold() {
    let conn = db();
    let sql = slow_statement(300_000);
    let (cap, n) = capture(Level::TRACE, || run(&conn, &sql).unwrap());
    assert_eq!(n, 300_000);
    assert_eq!(cap.messages(), ["sql_query_started", "slow_sql_query"]);
    let slow = cap.one("slow_sql_query");
    assert_eq!(slow.level, Level::WARN);
    assert!(slow.duration_ms() > 1.0, "{slow:?}");
    assert_eq!(slow.get("slow_threshold_ms"), "1");
    assert_eq!(slow.get("db.operation.name"), "SELECT");
    assert_eq!(slow.get("db.collection.name"), "c");
    assert!(slow.get("db.query.text").contains("WHERE x < ?"));
}

#[test]
fn syntax_error_is_a_failed_event_with_the_error_type() {
    let conn = db();
    let (cap, result) = capture(Level::TRACE, || run(&conn, "SELEC 1"));
    assert!(result.is_err());
    assert_eq!(cap.messages(), ["sql_query_started", "sql_query_failed"]);
    let failed = cap.one("sql_query_failed");
    assert_eq!(failed.level, Level::ERROR);
    assert_eq!(failed.get("error_type"), "Error");
    assert!(failed.get("error").contains("syntax error"), "{failed:?}");
    assert!(failed.duration_ms() >= 0.0);
    assert_eq!(cap.spans()[0].fields["otel.status_code"], "ERROR");
    assert_eq!(cap.spans()[0].fields["error.type"], "Error");
}

#[test]
fn constraint_violation_is_a_failed_event() {
    let conn = db();
    insert_user(&conn, "dup@example.com", "x", "One").unwrap();
    let (cap, result) = capture(Level::TRACE, || {
        insert_user(&conn, "dup@example.com", "y", "Two")
    });
    assert!(result.is_err());
    let failed = cap.one("sql_query_failed");
    assert_eq!(failed.get("error_type"), "Error");
    assert!(
        failed
            .get("error")
            .contains("UNIQUE constraint failed: users.email"),
        "{failed:?}"
    );
    assert_eq!(failed.get("db.collection.name"), "users");
    assert!(cap
        .db_events()
        .iter()
        .all(|e| e.message != "sql_query_completed"));
}

#[instrument_db(system = "sqlite", statement = sql, params(note))]
fn long(conn: &Connection, sql: &str, note: &str) -> rusqlite::Result<i64> {
    conn.query_row(sql, [], |r| r.get(0))
}

#[test]
fn text_is_cut_to_500_and_parameters_to_200_chars() {
    let conn = db();
    let columns: Vec<String> = (0..200).map(|i| format!("{i} AS column_{i}")).collect();
    let sql = format!("SELECT {}", columns.join(", "));
    let note = "é".repeat(300);
    let (cap, _) = capture(Level::TRACE, || long(&conn, &sql, &note).unwrap());
    let done = cap.one("sql_query_completed");
    let text = done.get("db.query.text");
    assert_eq!(text.chars().count(), 500);
    assert!(text.starts_with("SELECT ? AS column_0, ? AS column_1"));
    let params = done.get("db.query.parameters");
    assert_eq!(params.chars().count(), 200);
    assert!(params.starts_with("note=\"ééé"));
}

struct Counted<'a>(&'a AtomicUsize);
impl std::fmt::Debug for Counted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fetch_add(1, Ordering::SeqCst);
        f.write_str("counted")
    }
}

#[instrument_db(system = "sqlite", statement = "SELECT ?1", params(probe))]
fn probed(conn: &Connection, probe: &Counted<'_>) -> rusqlite::Result<i64> {
    let _ = probe;
    conn.query_row("SELECT 1", [], |r| r.get(0))
}

#[test]
fn disabled_levels_format_nothing_and_warn_still_sees_failures() {
    let conn = db();
    let formatted = AtomicUsize::new(0);
    // No subscriber interested in anything.
    let (cap, _) = capture(Level::TRACE, || {
        tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), || {
            probed(&conn, &Counted(&formatted)).unwrap()
        })
    });
    assert_eq!(
        formatted.load(Ordering::SeqCst),
        0,
        "params formatted while every level was off"
    );
    assert!(cap.db_events().is_empty());

    // At warn: no debug events, but failures still reported.
    let (cap, ()) = capture(Level::WARN, || {
        probed(&conn, &Counted(&formatted)).unwrap();
        let _ = run(&conn, "SELEC 1");
    });
    assert_eq!(cap.messages(), ["sql_query_failed"]);
}

#[test]
fn temp_file_database() {
    let path = std::env::temp_dir().join(format!("memotrace-db-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&path);
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        let (cap, id) = capture(Level::TRACE, || {
            insert_user(&conn, "file@example.com", "x", "F").unwrap()
        });
        assert_eq!(id, 1);
        assert_eq!(cap.messages(), ["sql_query_started", "sql_query_completed"]);
        let (cap, _) = capture(Level::TRACE, || {
            insert_user(&conn, "file@example.com", "x", "F")
        });
        assert!(cap.one("sql_query_failed").get("error").contains("UNIQUE"));
    }
    std::fs::remove_file(&path).unwrap();
}

/// A repository: methods, sync and async, `&self` receivers.
struct Repo {
    conn: std::sync::Mutex<Connection>,
}

impl Repo {
    #[instrument_db(
        system = "sqlite",
        statement = "UPDATE users SET name = ?2 WHERE id = ?1",
        params(id, name)
    )]
    fn rename(&self, id: i64, name: &str) -> rusqlite::Result<usize> {
        let conn = self.conn.lock().unwrap();
        let n = conn.execute(
            "UPDATE users SET name = ?2 WHERE id = ?1",
            params![id, name],
        )?;
        if n == 0 {
            return Err(rusqlite::Error::QueryReturnedNoRows);
        }
        Ok(n)
    }

    #[instrument_db(
        system = "sqlite",
        statement = "DELETE FROM users WHERE id = ?1",
        params(id),
        slow = "2s"
    )]
    async fn delete(&self, id: i64) -> Result<usize, rusqlite::Error> {
        tokio::task::yield_now().await;
        let n = self
            .conn
            .lock()
            .unwrap()
            .execute("DELETE FROM users WHERE id = ?1", [id])?;
        if n == 0 {
            return Err(rusqlite::Error::QueryReturnedNoRows);
        }
        Ok(n)
    }

    #[instrument_db(system = "sqlite", statement = "SELECT 1")]
    async fn ping(&self) {
        tokio::task::yield_now().await;
    }
}

#[test]
fn methods_sync_and_async() {
    let repo = Repo {
        conn: std::sync::Mutex::new(db()),
    };
    insert_user(&repo.conn.lock().unwrap(), "m@example.com", "x", "M").unwrap();
    let (cap, n) = capture(Level::TRACE, || repo.rename(1, "Em").unwrap());
    assert_eq!(n, 1);
    let done = cap.one("sql_query_completed");
    assert_eq!(done.get("db.operation.name"), "UPDATE");
    assert_eq!(done.get("db.query.parameters"), "id=1, name=\"Em\"");

    let (cap, result) = capture(Level::TRACE, || repo.rename(99, "Nobody"));
    assert!(result.is_err());
    assert_eq!(
        cap.one("sql_query_failed").get("error"),
        "Query returned no rows"
    );

    let (cap, ()) = capture(Level::TRACE, || {
        block_on(async {
            assert_eq!(repo.delete(1).await.unwrap(), 1);
            assert!(repo.delete(1).await.is_err());
            repo.ping().await;
        });
    });
    assert_eq!(
        cap.messages(),
        [
            "sql_query_started",
            "sql_query_completed",
            "sql_query_started",
            "sql_query_failed",
            "sql_query_started",
            "sql_query_completed"
        ]
    );
    let events = cap.db_events();
    assert_eq!(events[1].get("db.operation.name"), "DELETE");
    assert_eq!(events[1].spans, ["db.query"]);
    assert_eq!(events[3].get("error_type"), "Error");
}

#[instrument_db(system = "sqlite", statement = "SELECT 1")]
fn panics(conn: &Connection) -> i64 {
    let _ = conn;
    panic!("boom")
}

#[test]
fn a_panic_is_reported_as_failed() {
    let conn = db();
    let (cap, result) = capture(Level::TRACE, || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| panics(&conn)))
    });
    assert!(result.is_err());
    assert_eq!(cap.one("sql_query_failed").get("error_type"), "panic");
}

mod reexport {
    pub use memotrace as mt;
}

#[instrument_db(
    system = "sqlite",
    statement = "SELECT 1",
    crate = "crate::reexport::mt"
)]
fn through_reexport(conn: &Connection) -> Option<i64> {
    conn.query_row("SELECT 1", [], |r| r.get(0)).ok()
}

#[instrument_db(system = "sqlite", statement = "SELECT 2")]
fn opaque(conn: &Connection) -> impl std::fmt::Display {
    conn.query_row("SELECT 2", [], |r| r.get::<_, i64>(0))
        .unwrap()
}

#[instrument_db(statement = "SELECT 3")]
async fn no_system() -> Result<i64, std::io::Error> {
    let three = async { 3 }.await;
    if three != 3 {
        return Err(std::io::Error::other("arithmetic"));
    }
    Ok(three)
}

#[test]
fn crate_path_option_and_opaque_returns_and_default_system() {
    let conn = db();
    let (cap, (one, two, three)) = capture(Level::TRACE, || {
        (
            through_reexport(&conn),
            opaque(&conn).to_string(),
            block_on(no_system()).unwrap(),
        )
    });
    assert_eq!((one, two.as_str(), three), (Some(1), "2", 3));
    let done: Vec<_> = cap
        .db_events()
        .into_iter()
        .filter(|e| e.message == "sql_query_completed")
        .collect();
    assert_eq!(done.len(), 3);
    assert_eq!(done[0].get("db.query.text"), "SELECT ?");
    assert_eq!(done[2].get("db.system.name"), "other_sql");
}
