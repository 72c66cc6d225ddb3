//! `#[instrument_db]` and the sqlx adapter against a real `MariaDB` server: statements `MySQL`
//! and `MariaDB` read their own way (backslash escapes, `"…"` strings, `#` comments, `--`
//! needing a space, backtick names) run for real, and what is logged holds none of their
//! literals.
#![deny(warnings, clippy::all, clippy::pedantic)]

mod db_support;

use db_support::{block_on, capture, logged as expected, Expected};
use memotrace::db::sqlx::logged;
use memotrace::instrument_db;
use memotrace_tests::mariadb_harness::shared_mariadb;
use sqlx::{Connection as _, MySqlConnection, Row as _};
use tracing::Level;

const STATEMENTS: &[Expected<'_>] = &[
    (
        r"SELECT 'O\'Brien secret' AS name, 'x\'s' AS s FROM people",
        "SELECT ? AS name, ? AS s FROM people",
        "SELECT",
        Some("people"),
    ),
    (
        r#"SELECT id FROM people WHERE email = "secret@example.com" # it's a secret"#,
        "SELECT id FROM people WHERE email = ?",
        "SELECT",
        Some("people"),
    ),
    (
        r"SELECT 1--1 AS two, 'a\\' AS b, 'secret' AS c",
        "SELECT ?--? AS two, ? AS b, ? AS c",
        "SELECT",
        None,
    ),
    (
        r#"INSERT INTO `order items` (note) VALUES ('it\'s secret'), ("dq \"secret\""), (_utf8mb4'secret' /* secret */), (X'736563726574')"#,
        "INSERT INTO `order items` (note) VALUES (?), (?), (_utf8mb4? ), (?)",
        "INSERT",
        Some("order items"),
    ),
    (
        "UPDATE people SET email = 'secret' WHERE id IN (1, 2) -- secret",
        "UPDATE people SET email = ? WHERE id IN (?)",
        "UPDATE",
        Some("people"),
    ),
];

/// What must never be logged.
const LITERALS: &[&str] = &["secret", "Brien", "736563726574"];

async fn connect() -> MySqlConnection {
    let mut conn = MySqlConnection::connect(&shared_mariadb().url())
        .await
        .unwrap();
    sqlx::raw_sql(
        "CREATE DATABASE IF NOT EXISTS memotrace;
         USE memotrace;
         CREATE TEMPORARY TABLE people (id INT, email TEXT);
         CREATE TEMPORARY TABLE `order items` (note TEXT);",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn
}

#[instrument_db(system = "mariadb", statement = sql)]
async fn run(conn: &mut MySqlConnection, sql: &'static str) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(sql).execute(conn).await?.rows_affected())
}

#[instrument_db(
    system = "mariadb",
    statement = "SELECT \"O\\\"Brien secret\" AS name # secret"
)]
async fn literal_site(conn: &mut MySqlConnection) -> Result<String, sqlx::Error> {
    sqlx::query("SELECT \"O\\\"Brien secret\" AS name # secret")
        .fetch_one(conn)
        .await?
        .try_get("name")
}

#[test]
fn the_macro_masks_mariadb_literals() {
    let (cap, name) = capture(Level::DEBUG, || {
        block_on(async {
            let mut conn = connect().await;
            for (sql, ..) in STATEMENTS {
                run(&mut conn, sql).await.unwrap();
            }
            literal_site(&mut conn).await.unwrap()
        })
    });
    // The server read the statement as MariaDB does.
    assert_eq!(name, "O\"Brien secret");
    let mut want = expected(STATEMENTS);
    want.push(("SELECT ? AS name".to_owned(), "SELECT".to_owned(), None));
    assert_eq!(cap.completed_statements("mariadb", LITERALS), want);
}

#[test]
fn the_sqlx_adapter_masks_mysql_literals() {
    let (cap, row) = capture(Level::DEBUG, || {
        block_on(async {
            let mut conn = connect().await;
            for (sql, ..) in STATEMENTS {
                sqlx::query(*sql).execute(logged(&mut conn)).await.unwrap();
            }
            let row = sqlx::query(STATEMENTS[2].0)
                .fetch_one(logged(&mut conn))
                .await
                .unwrap();
            let two: i64 = row.get("two");
            let b: String = row.get("b");
            let c: String = row.get("c");
            (two, b, c)
        })
    });
    assert_eq!(row, (2, "a\\".to_owned(), "secret".to_owned()));
    let mut want = expected(STATEMENTS);
    want.push(want[2].clone());
    // The MySQL driver serves MariaDB too: sqlx names it `mysql`, same dialect.
    assert_eq!(cap.completed_statements("mysql", LITERALS), want);
}
