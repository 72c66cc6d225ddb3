//! The sqlx adapter (an `Executor` wrapper) emits the same events as `#[instrument_db]`.
#![deny(warnings, clippy::all, clippy::pedantic)]

mod db_support;

use db_support::{block_on, capture, SCHEMA};
use memotrace::db::sqlx::logged;
use memotrace::instrument_db;
use sqlx::{Connection as _, SqliteConnection};
use tracing::Level;

async fn db() -> SqliteConnection {
    let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
    sqlx::raw_sql(SCHEMA).execute(&mut conn).await.unwrap();
    conn
}

#[test]
fn statements_through_the_wrapper_are_logged() {
    let (cap, ()) = capture(Level::TRACE, || {
        block_on(async {
            let mut conn = db().await;
            sqlx::query(
                "INSERT INTO users (email, hashed_password, name) VALUES (?1, 'pw-literal', ?2)",
            )
            .bind("a@example.com")
            .bind("Ann")
            .execute(logged(&mut conn))
            .await
            .unwrap();
            let name: String = sqlx::query_scalar("SELECT name FROM users WHERE id = 1")
                .fetch_one(logged(&mut conn))
                .await
                .unwrap();
            assert_eq!(name, "Ann");
            let all: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, email FROM users WHERE id IN (1, 2, 3)")
                    .fetch_all(logged(&mut conn))
                    .await
                    .unwrap();
            assert_eq!(all.len(), 1);
        });
    });
    assert_eq!(
        cap.messages(),
        [
            "sql_query_started",
            "sql_query_completed",
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
    assert!(events[1].duration_ms() >= 0.0);
    assert_eq!(
        events[3].get("db.query.text"),
        "SELECT name FROM users WHERE id = ?"
    );
    assert_eq!(
        events[5].get("db.query.text"),
        "SELECT id, email FROM users WHERE id IN (?)"
    );
    assert!(
        events.iter().all(|e| e.spans == ["db.query"]),
        "{events:#?}"
    );
    assert!(!format!("{events:?}").contains("pw-literal"));
    let spans = cap.spans();
    assert_eq!(spans.len(), 3);
    assert_eq!(spans[0].fields["otel.name"], "INSERT users");
}

#[test]
fn failures_are_failed_events() {
    let (cap, ()) = capture(Level::TRACE, || {
        block_on(async {
            let mut conn = db().await;
            assert!(sqlx::query("SELEC 1")
                .execute(logged(&mut conn))
                .await
                .is_err());
            let insert =
                "INSERT INTO users (email, hashed_password, name) VALUES ('d@x', 'p', 'D')";
            sqlx::query(insert)
                .execute(logged(&mut conn))
                .await
                .unwrap();
            assert!(sqlx::query(insert)
                .execute(logged(&mut conn))
                .await
                .is_err());
            let missing: Result<i64, _> = sqlx::query_scalar("SELECT id FROM nowhere")
                .fetch_optional(logged(&mut conn))
                .await
                .map(|o| o.unwrap_or(0));
            assert!(missing.is_err());
        });
    });
    let failed: Vec<_> = cap
        .db_events()
        .into_iter()
        .filter(|e| e.message == "sql_query_failed")
        .collect();
    assert_eq!(failed.len(), 3, "{:#?}", cap.db_events());
    assert!(failed
        .iter()
        .all(|e| e.get("error_type") == "sqlx_core::error::Error" && e.level == Level::ERROR));
    assert!(
        failed[0].get("error").contains("syntax error"),
        "{failed:?}"
    );
    assert!(
        failed[1]
            .get("error")
            .contains("UNIQUE constraint failed: users.email"),
        "{failed:?}"
    );
    assert_eq!(
        failed[1].get("db.query.text"),
        "INSERT INTO users (email, hashed_password, name) VALUES (?, ?, ?)"
    );
    assert!(failed[2].get("error").contains("no such table"));
    assert_eq!(cap.spans()[0].fields["otel.status_code"], "ERROR");
}

#[test]
fn disabled_levels_log_nothing() {
    let (cap, ()) = capture(Level::INFO, || {
        block_on(async {
            let mut conn = db().await;
            sqlx::query("DELETE FROM users")
                .execute(logged(&mut conn))
                .await
                .unwrap();
        });
    });
    assert!(cap.db_events().is_empty());
}

#[instrument_db(
    system = "sqlite",
    statement = "UPDATE users SET name = 'x' WHERE id = 1"
)]
async fn rename(conn: &mut SqliteConnection) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("UPDATE users SET name = 'x' WHERE id = 1")
        .execute(conn)
        .await?
        .rows_affected())
}

#[test]
fn same_events_as_the_macro_and_a_pool_on_a_temp_file() {
    let path = std::env::temp_dir().join(format!("memotrace-sqlx-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let (by_macro, ()) = capture(Level::TRACE, || {
        block_on(async {
            let mut conn = db().await;
            rename(&mut conn).await.unwrap();
        });
    });
    let (by_wrapper, ()) = capture(Level::TRACE, || {
        block_on(async {
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            sqlx::raw_sql(SCHEMA).execute(&pool).await.unwrap();
            sqlx::query("UPDATE users SET name = 'x' WHERE id = 1")
                .execute(logged(&pool))
                .await
                .unwrap();
            pool.close().await;
        });
    });
    assert_eq!(by_macro.shapes(), by_wrapper.shapes());
    assert_eq!(by_macro.spans()[0].fields, by_wrapper.spans()[0].fields);
    std::fs::remove_file(&path).unwrap();
}
