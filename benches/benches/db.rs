//! Overhead per query of `#[instrument_db]` and of the rusqlite and sqlx adapters against
//! the bare query on in-memory SQLite, with the db levels disabled, at warn (production:
//! only slow/failed events can fire) and enabled (debug: sanitising, span and both events,
//! dispatched to a subscriber that does not format); plus the sanitiser's throughput and
//! the cost of logging a 1 MB statement.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use memotrace::instrument_db;
use rusqlite::Connection;
use std::hint::black_box;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;

const QUERY: &str = "SELECT name FROM users WHERE id = ?1 AND is_active = 1";

fn db() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT, is_active INTEGER);
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000)
         INSERT INTO users SELECT x, 'u' || x || '@example.com', 'user ' || x, 1 FROM c;",
    )
    .unwrap();
    conn
}

fn bare(conn: &Connection, id: i64) -> rusqlite::Result<String> {
    conn.prepare_cached(QUERY)?.query_row([id], |r| r.get(0))
}

#[instrument_db(
    system = "sqlite",
    statement = "SELECT name FROM users WHERE id = ?1 AND is_active = 1",
    params(id)
)]
fn annotated(conn: &Connection, id: i64) -> rusqlite::Result<String> {
    conn.prepare_cached(QUERY)?.query_row([id], |r| r.get(0))
}

#[inline(never)]
fn empty_bare(x: u64) -> Result<u64, std::fmt::Error> {
    Ok(black_box(x))
}

#[instrument_db(system = "sqlite", statement = "SELECT 1", params(x))]
#[inline(never)]
fn empty_annotated(x: u64) -> Result<u64, std::fmt::Error> {
    Ok(black_box(x))
}

/// A subscriber that keeps spans (registry) and filters at `level`, formatting nothing.
fn subscriber(level: LevelFilter) -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::registry().with(level)
}

const LEVELS: [(&str, Option<LevelFilter>); 3] = [
    ("disabled", None),
    ("warn", Some(LevelFilter::WARN)),
    ("enabled", Some(LevelFilter::DEBUG)),
];

fn with_level(level: Option<LevelFilter>, f: impl FnOnce()) {
    match level {
        // No subscriber at all, as in a program that never installed one (a scoped
        // `NoSubscriber` would add a thread-local lookup to every check).
        None => f(),
        Some(l) => tracing::subscriber::with_default(subscriber(l), f),
    }
}

fn macro_overhead(c: &mut Criterion) {
    let mut g = c.benchmark_group("db/macro_empty_body");
    g.bench_function("bare", |b| b.iter(|| empty_bare(black_box(7))));
    for (name, level) in LEVELS {
        with_level(level, || {
            g.bench_function(name, |b| b.iter(|| empty_annotated(black_box(7))));
        });
    }
    g.finish();

    let conn = db();
    let mut g = c.benchmark_group("db/macro_query");
    let mut id = 0i64;
    let mut next = move || {
        id = id % 1000 + 1;
        id
    };
    g.bench_function("bare", |b| b.iter(|| bare(&conn, next()).unwrap()));
    for (name, level) in LEVELS {
        with_level(level, || {
            g.bench_function(name, |b| b.iter(|| annotated(&conn, next()).unwrap()));
        });
    }
    g.finish();
}

fn rusqlite_adapter(c: &mut Criterion) {
    let conn = db();
    let mut g = c.benchmark_group("db/rusqlite_adapter");
    g.bench_function("bare", |b| b.iter(|| bare(&conn, black_box(42)).unwrap()));
    memotrace::db::rusqlite::instrument(&conn);
    for (name, level) in LEVELS {
        with_level(level, || {
            g.bench_function(name, |b| b.iter(|| bare(&conn, black_box(42)).unwrap()));
        });
    }
    g.finish();
}

fn sqlx_adapter(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pool = rt.block_on(async {
        let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect("sqlite::memory:").await.unwrap();
        sqlx::raw_sql(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT, is_active INTEGER);
             INSERT INTO users VALUES (42, 'a@example.com', 'Ann', 1);",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool
    });
    let mut g = c.benchmark_group("db/sqlx_adapter");
    g.bench_function("bare", |b| {
        b.to_async(&rt).iter(|| async {
            let name: String = sqlx::query_scalar(QUERY)
                .bind(42)
                .fetch_one(&pool)
                .await
                .unwrap();
            black_box(name)
        });
    });
    for (name, level) in LEVELS {
        with_level(level, || {
            g.bench_function(name, |b| {
                b.to_async(&rt).iter(|| async {
                    let name: String = sqlx::query_scalar(QUERY)
                        .bind(42)
                        .fetch_one(memotrace::db::sqlx::logged(&pool))
                        .await
                        .unwrap();
                    black_box(name)
                });
            });
        });
    }
    g.finish();
}

fn sanitiser(c: &mut Criterion) {
    let statements: [(&str, String); 4] = [
        ("select", "SELECT u.id, u.email, u.name FROM users u JOIN teams t ON t.id = u.team_id WHERE u.email = 'ann@example.com' AND t.name = 'core' AND u.id IN (1, 2, 3, 4) ORDER BY u.created_at DESC LIMIT 50".to_owned()),
        ("insert", "INSERT INTO users (email, hashed_password, name, is_active, created_at) VALUES ('bob@example.com', '$2b$12$KIXQJ8bYp1Jx0o9e', 'Bob O''Brien', 1, '2024-01-01 10:00:00')".to_owned()),
        ("placeholders", "UPDATE users SET name = ?2, updated_at = CURRENT_TIMESTAMP WHERE id = ?1 AND is_active = ?3 -- rename".to_owned()),
        ("bulk_insert_64k", format!("INSERT INTO t (a, b, c) VALUES {}", vec!["(12345, 'some text value', 3.25)"; 1800].join(", "))),
    ];
    let mut g = c.benchmark_group("db/sanitize");
    for (name, sql) in &statements {
        g.throughput(Throughput::Bytes(sql.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(name), sql, |b, sql| {
            b.iter(|| memotrace::db::sanitize(black_box(sql)));
        });
    }
    g.finish();
}

#[instrument_db(system = "postgresql", statement = sql)]
#[inline(never)]
fn dynamic_statement(sql: &str) -> Result<usize, std::fmt::Error> {
    Ok(black_box(sql.len()))
}

/// A 1 MB bulk `INSERT` through `statement = arg` at debug: what logging one costs
/// (masking and inference both stop after the statement's first few kilobytes).
fn long_statement(c: &mut Criterion) {
    let rows = vec!["(12345, 'some text value', 3.25)"; 32_000].join(", ");
    let sql = format!("INSERT INTO bulk_rows (a, b, c) VALUES {rows}");
    assert!(sql.len() >= 1_000_000);
    let mut g = c.benchmark_group("db/long_statement");
    with_level(Some(LevelFilter::DEBUG), || {
        g.bench_function("insert_1mb_enabled", |b| {
            b.iter(|| dynamic_statement(black_box(&sql)).unwrap());
        });
    });
    g.finish();
}

criterion_group!(
    benches,
    macro_overhead,
    rusqlite_adapter,
    sqlx_adapter,
    sanitiser,
    long_statement
);
criterion_main!(benches);
