//! Attribute macros of [memotrace](https://docs.rs/memotrace).
//!
//! Depend on `memotrace`, which re-exports these macros; the expansions call
//! `memotrace::__private`, so this crate is pinned to the exact runtime version.
//! Each macro is split into parse (`args`), validate (`check`) and expand (`expand`).

#![warn(missing_docs, unreachable_pub)]

mod cached;
mod common;
mod instrument_db;
mod invalidates;
mod log_performance;

use proc_macro::TokenStream;

/// Caches a function's results (in memory, on Redis, or both), with ttl, tags,
/// refresh-ahead, stale-if-error and single-flight.
///
/// ```rust
/// use memotrace::cached;
///
/// #[derive(Clone, Debug)]
/// struct User { id: u64, name: String }
///
/// #[derive(Debug)]
/// struct DbError;
///
/// #[cached(ttl = "10m", max_capacity = 1_000, tags = ["user:{id}"])]
/// async fn get_user(id: u64) -> Result<User, DbError> {
///     Ok(User { id, name: format!("user {id}") }) // the query
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), DbError> {
/// get_user(7).await?;                 // loads, caches Ok only
/// get_user(7).await?;                 // hit
/// assert!(get_user_invalidate(7));    // drop one entry
/// get_user_put(7, User { id: 7, name: "Ada".into() }); // write-through
/// assert_eq!(get_user(7).await?.name, "Ada");          // hit on the written value
/// get_user_uncached(7).await?;        // the body, without the cache
/// assert_eq!(get_user_cache().stats().hits, 2);
/// memotrace::cache::invalidate_tag("user:7").await;
/// # Ok(())
/// # }
/// ```
///
/// Arguments, all optional:
///
/// - `ttl = "10m"` / `ttl = 600` — time to live (`ms`, `s`, `m`, `h`, `d`; integers are
///   seconds); `tti = "5m"` — time to idle; `max_capacity = 10_000` (the default).
/// - `key = "user:{id}"` (a template over argument names, `{self.field}` in methods) or
///   `key = expr` (any `Display` value). Default: all arguments, borrowed ones owned.
///   Methods need a `key`.
/// - `tags = ["user:{id}"]`, `namespace = "users"`, `version = 2`, `name = "get_user"`.
/// - `refresh_ahead = 0.8` (needs `ttl`), `stale_if_error = "1h"` (needs `ttl` and a
///   `Result`), `cache_none = true` (for `Option`).
/// - `when = expr` (false bypasses the cache), `unless = |value| expr` (true: do not store).
/// - `crate = "path::to::memotrace"` for re-exporting crates.
///
/// Misuse is a compile error on the offending token that says what to write instead.
#[proc_macro_attribute]
pub fn cached(args: TokenStream, item: TokenStream) -> TokenStream {
    cached::expand(args.into(), item.into()).into()
}

/// Times a sync or async fn (free fn or method) and emits one `tracing` event when it
/// ends; with metrics on (`memotrace::perf::set_enabled(true)`) also records the call in
/// `memotrace::perf::snapshot()`.
///
/// Arguments (all optional):
///
/// | argument | meaning |
/// |---|---|
/// | `name = "fetch_users"` | the `operation` field and the metrics name (default: the fn name) |
/// | `level = "info"` | level of `operation_completed`: trace, debug (default), info, warn, error |
/// | `slow = "250ms"` | over it, `operation_completed` is a warning with `slow = true` |
/// | `fields(limit, user.id, n = expr)` | extra fields: an argument, a field path of one, or `name = expr` (evaluated at the start of the call) |
/// | `skip(password)` | arguments that must never be logged: naming them in `fields` is a compile error |
/// | `span = false` | no span around the call (default `true`: see below) |
/// | `crate = "my::memotrace"` | the runtime's path, for re-exporting crates |
///
/// The call runs inside a `tracing` span named after the operation, at the operation's
/// level, opened only when the call is timed; when it ends the span gets `duration_ms`,
/// `success`, `error_type` (and `cache.hit` above `#[cached]`) and, on `Err` or a panic,
/// `otel.status_code = "ERROR"`: with OpenTelemetry export on (feature `otel`) it is
/// exported as a span with that status.
///
/// Events (target: the fn's module):
/// - `operation_completed` (`operation`, `duration_ms` f64, `success = true`);
/// - `operation_failed` at error when the fn returns `Err(e)`: `success = false`,
///   `error_type` (the error's type name without its path), `error` (its `Display`, else
///   `Debug`); on a panic `error_type = "panic"` (and `error` = the panic message when the
///   memotrace panic hook is installed), then the panic continues;
/// - `operation_cancelled` at warn when an async fn's future is dropped before it ends.
///
/// No clock is read when the completion level is off and metrics are off (failures are
/// still logged, without `duration_ms`).
///
/// ```rust
/// use memotrace::log_performance;
///
/// #[log_performance(level = "info", slow = "250ms", fields(limit))]
/// async fn fetch_users(limit: u32) -> Result<Vec<String>, std::io::Error> {
///     Ok((0..limit).map(|i| format!("user {i}")).collect()) // the query
/// }
/// // {"event":"operation_completed","operation":"fetch_users","duration_ms":3.2,"success":true,"limit":10,...}
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// memotrace::perf::set_enabled(true);
/// assert_eq!(fetch_users(10).await?.len(), 10);
/// let timed = memotrace::perf::snapshot();
/// assert_eq!(timed.get("fetch_users").map(|op| op.count), Some(1));
/// # Ok(())
/// # }
/// ```
#[proc_macro_attribute]
pub fn log_performance(args: TokenStream, item: TokenStream) -> TokenStream {
    log_performance::expand(args.into(), item.into()).into()
}

/// Logs the database statement a function runs: `sql_query_started`, then
/// `sql_query_completed`, `slow_sql_query` or `sql_query_failed`, inside a `db.query` span,
/// with OpenTelemetry field names (see `memotrace::db` for the events and fields).
///
/// On a sync or async fn, free or a method, that runs one statement:
///
/// ```rust
/// use rusqlite::{Connection, OptionalExtension};
///
/// #[memotrace::instrument_db(
///     system = "sqlite",                                    // db.system.name (default "other_sql")
///     statement = "SELECT name FROM users WHERE id = ?1",   // or `statement = sql`, a &str/String argument
///     operation = "SELECT", table = "users",                // inferred from a literal statement when absent
///     slow = "250ms",                                       // default: memotrace::db::slow_threshold() (1 s)
///     params(id),                                           // logged as `id=7`; sensitive names redacted
///     crate = "memotrace",                                  // path to the runtime, for re-exporting crates
/// )]
/// fn find_user(conn: &Connection, id: i64) -> rusqlite::Result<Option<String>> {
///     conn.query_row("SELECT name FROM users WHERE id = ?1", [id], |row| row.get(0))
///         .optional()
/// }
///
/// let conn = Connection::open_in_memory()?;
/// conn.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
///                     INSERT INTO users VALUES (7, 'Ada');")?;
/// assert_eq!(find_user(&conn, 7)?.as_deref(), Some("Ada"));
/// # Ok::<(), rusqlite::Error>(())
/// ```
///
/// A fn returning `Result` ends with `sql_query_failed` on `Err` (`error_type` = the error's
/// type name, `error` = its `Display`); a panic ends with `error_type = "panic"`. Nothing is
/// measured or formatted when no db event level is enabled.
#[proc_macro_attribute]
pub fn instrument_db(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument_db::expand(args.into(), item.into()).into()
}

/// Drops cached entries when a writer succeeds: each target names a `#[cached]` fn with
/// the arguments of the entry to drop, and `tags` drops every entry carrying a tag.
///
/// ```rust
/// #[derive(Clone)]
/// struct User { id: u64, name: String }
///
/// #[memotrace::cached(tags = ["user:{id}"])]
/// fn get_user(id: u64) -> User {
///     User { id, name: format!("user {id}") } // the query
/// }
///
/// #[memotrace::invalidates(get_user(id), tags = ["user:{id}"])]
/// fn rename_user(id: u64, name: &str) -> Result<(), std::io::Error> {
///     let _ = name; // the update
///     Ok(())
/// }
///
/// get_user(7);
/// rename_user(7, "Ada")?;                       // Ok: the entry is dropped
/// assert_eq!(get_user_cache().stats().entries, 0);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// - A target is written as a call of the reader: `get_user(id)`, `users::get_user(id)`,
///   `Self::get_user(id)`, or `self.get_user(id)` for a method whose key reads `self`.
///   It expands to a call of the reader's `{fn}_invalidate` companion, so a reader that
///   does not exist (renamed, say) or arguments that do not fit its key are compile errors
///   on the target's tokens.
/// - The targets' arguments are evaluated before the body runs (the body may consume
///   the writer's arguments); the entries and tags are dropped after it returns: after
///   `Ok` for a `Result`, after `Some` for an `Option`, always for other types; not when
///   the body panics.
/// - In an async writer the invalidations are awaited before the writer returns. A sync
///   writer blocks until they are done; for readers on `store = redis | tiered` that is
///   a Redis round trip run in memotrace's own runtime context, so it works inside or
///   outside a tokio runtime (inside one it blocks that worker thread meanwhile).
/// - `tags = ["user:{id}"]`: templates over the writer's arguments, as in `#[cached]`;
///   `crate = "path::to::memotrace"` for re-exporting crates.
#[proc_macro_attribute]
pub fn invalidates(args: TokenStream, item: TokenStream) -> TokenStream {
    invalidates::expand(args.into(), item.into()).into()
}
