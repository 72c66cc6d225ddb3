//! Attribute macros of [memotrace](https://docs.rs/memotrace).
//!
//! Depend on `memotrace`, which re-exports these macros; the expansions call
//! `memotrace::__private`, so this crate is pinned to the exact runtime version.
//! Each macro is split into parse (`args`), validate (`check`) and expand (`expand`).

mod cached;
mod common;
mod instrument_db;
mod log_performance;

use proc_macro::TokenStream;

/// Caches a function's results. See `memotrace::cached` for the arguments.
#[proc_macro_attribute]
pub fn cached(args: TokenStream, item: TokenStream) -> TokenStream {
    cached::expand(args.into(), item.into()).into()
}

/// Times a function and emits one event when it ends. See `memotrace::log_performance`.
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
/// ```ignore
/// #[memotrace::instrument_db(
///     system = "sqlite",                                    // db.system.name (default "other_sql")
///     statement = "SELECT * FROM users WHERE id = ?1",      // or `statement = sql`, a &str/String argument
///     operation = "SELECT", table = "users",                // inferred from a literal statement when absent
///     slow = "250ms",                                       // default: memotrace::db::slow_threshold() (1 s)
///     params(id),                                           // logged as `id=7`; sensitive names redacted
///     crate = "memotrace",                                  // path to the runtime, for re-exporting crates
/// )]
/// fn find_user(conn: &rusqlite::Connection, id: i64) -> rusqlite::Result<Option<User>> { .. }
/// ```
///
/// A fn returning `Result` ends with `sql_query_failed` on `Err` (`error_type` = the error's
/// type name, `error` = its `Display`); a panic ends with `error_type = "panic"`. Nothing is
/// measured or formatted when no db event level is enabled.
#[proc_macro_attribute]
pub fn instrument_db(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument_db::expand(args.into(), item.into()).into()
}
