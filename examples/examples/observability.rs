//! An axum service seen from outside the process: request context on every line, a
//! `#[log_performance]` handler calling a `#[cached]` lookup and an `#[instrument_db]`
//! SQLite query, Prometheus metrics on `/metrics`, and OTLP export of spans and log
//! records when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (e.g. `http://localhost:4318`, an
//! OpenTelemetry Collector's OTLP/HTTP port).
//!
//! ```text
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 APP_ENV=staging \
//!     cargo run -p memotrace-examples --example observability
//! curl -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' localhost:3000/users/1
//! curl localhost:3000/metrics
//! ```

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use memotrace::http::RequestContextLayer;
use memotrace::{cached, instrument_db, log_performance};
use rusqlite::Connection;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

type Db = Arc<Mutex<Connection>>;

#[instrument_db(system = "sqlite", statement = "SELECT name FROM users WHERE id = ?1")]
fn user_name(conn: &Connection, id: i64) -> rusqlite::Result<String> {
    conn.query_row("SELECT name FROM users WHERE id = ?1", [id], |r| r.get(0))
}

/// The user's plan, from a slow upstream: cached for a minute.
#[cached(ttl = "60s")]
fn plan_of(id: i64) -> String {
    if id % 2 == 0 { "pro" } else { "free" }.to_owned()
}

#[log_performance(level = "info", fields(id))]
fn load_user(db: &Db, id: i64) -> Result<String, rusqlite::Error> {
    let name = user_name(&db.lock().expect("db lock"), id)?;
    Ok(format!("{name} ({})", plan_of(id)))
}

async fn user(State(db): State<Db>, Path(id): Path<i64>) -> (StatusCode, String) {
    match load_user(&db, id) {
        Ok(user) => (StatusCode::OK, user),
        Err(rusqlite::Error::QueryReturnedNoRows) => (StatusCode::NOT_FOUND, "no such user".into()),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn database() -> rusqlite::Result<Db> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         INSERT INTO users VALUES (1, 'Ada'), (2, 'Grace');",
    )?;
    Ok(Arc::new(Mutex::new(conn)))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let log = memotrace::log::Builder::new()
        .service("observability")
        .init()?;
    if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_none() {
        eprintln!(
            "OTLP export is off: set OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 to send \
             spans and log records to an OpenTelemetry Collector"
        );
    }
    memotrace::perf::set_enabled(true);
    let prometheus = memotrace::metrics::prometheus()?;

    let app = Router::new()
        .route("/users/{id}", get(user))
        .with_state(database()?)
        .route(
            "/metrics",
            get(move || std::future::ready(prometheus.render())),
        )
        .layer(RequestContextLayer::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    tracing::warn!(address = %listener.local_addr()?, "listening");
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await?;
    log.flush();
    Ok(())
}
