//! `#[instrument_db]` and the sqlx adapter against a real `PostgreSQL` server: statements
//! `PostgreSQL` reads its own way (nested comments, `E''`, dollar quotes, `U&''`) run for
//! real, and what is logged holds none of their literals.
#![deny(warnings, clippy::all, clippy::pedantic)]

mod db_support;

use db_support::{block_on, capture, logged as expected, Expected};
use memotrace::db::sqlx::logged;
use memotrace::instrument_db;
use memotrace_tests::postgres_harness::shared_postgres;
use sqlx::{Connection as _, PgConnection, Row as _};
use tracing::Level;

/// Each statement with what must be logged for it: text, operation, collection.
const STATEMENTS: &[Expected<'_>] = &[
    (
        "SELECT 1 /* a /* b */ secret */ AS one FROM people",
        "SELECT ? AS one FROM people",
        "SELECT",
        Some("people"),
    ),
    (
        r"SELECT E'it\'s secret' AS e, $$dollar secret$$ AS d, $q$ it's $$ secret $q$ AS q, U&'d\0061t\+000061 secret' AS u",
        "SELECT ? AS e, ? AS d, ? AS q, U&? AS u",
        "SELECT",
        None,
    ),
    (
        r#"INSERT INTO "Order Items" (note) VALUES ('secret note'), (E'secret\\'), ('C:\')"#,
        r#"INSERT INTO "Order Items" (note) VALUES (?), (?), (?)"#,
        "INSERT",
        Some("Order Items"),
    ),
    (
        "UPDATE people SET email = 'secret@example.com' WHERE id IN (1, 2) AND data #>> '{a}' IS NULL",
        "UPDATE people SET email = ? WHERE id IN (?) AND data #>> ? IS NULL",
        "UPDATE",
        Some("people"),
    ),
];

async fn connect() -> PgConnection {
    let mut conn = PgConnection::connect(&shared_postgres().url())
        .await
        .unwrap();
    sqlx::raw_sql(
        r#"CREATE TEMP TABLE people (id int, email text, data jsonb);
           CREATE TEMP TABLE "Order Items" (note text);"#,
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn
}

#[instrument_db(system = "postgresql", statement = sql)]
async fn run(conn: &mut PgConnection, sql: &'static str) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(sql).execute(conn).await?.rows_affected())
}

#[instrument_db(
    system = "postgresql",
    statement = "SELECT E'O\\'Brien secret' AS name /* nested /* secret */ comment */"
)]
async fn literal_site(conn: &mut PgConnection) -> Result<String, sqlx::Error> {
    sqlx::query("SELECT E'O\\'Brien secret' AS name /* nested /* secret */ comment */")
        .fetch_one(conn)
        .await?
        .try_get("name")
}

/// What must never be logged.
const LITERALS: &[&str] = &["secret", "Brien", "C:", "{a}"];

#[test]
fn the_macro_masks_postgresql_literals() {
    let (cap, name) = capture(Level::DEBUG, || {
        block_on(async {
            let mut conn = connect().await;
            for (sql, ..) in STATEMENTS {
                run(&mut conn, sql).await.unwrap();
            }
            literal_site(&mut conn).await.unwrap()
        })
    });
    // The server read the statement as PostgreSQL does.
    assert_eq!(name, "O'Brien secret");
    let mut want = expected(STATEMENTS);
    want.push(("SELECT ? AS name".to_owned(), "SELECT".to_owned(), None));
    assert_eq!(cap.completed_statements("postgresql", LITERALS), want);
}

#[test]
fn the_sqlx_adapter_masks_postgresql_literals() {
    let (cap, row) = capture(Level::DEBUG, || {
        block_on(async {
            let mut conn = connect().await;
            for (sql, ..) in STATEMENTS {
                sqlx::query(*sql).execute(logged(&mut conn)).await.unwrap();
            }
            let row = sqlx::query(STATEMENTS[1].0)
                .fetch_one(logged(&mut conn))
                .await
                .unwrap();
            let values: Vec<String> = (0..4).map(|i| row.get(i)).collect();
            values
        })
    });
    assert_eq!(
        row,
        [
            "it's secret",
            "dollar secret",
            " it's $$ secret ",
            "data secret"
        ]
    );
    let mut want = expected(STATEMENTS);
    want.push(want[1].clone());
    assert_eq!(cap.completed_statements("postgresql", LITERALS), want);
}
