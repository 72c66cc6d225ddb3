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
/// | `crate = "my::memotrace"` | the runtime's path, for re-exporting crates |
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
/// ```rust,ignore
/// use memotrace::log_performance;
///
/// #[log_performance(level = "info", slow = "250ms", fields(limit))]
/// async fn fetch_users(db: &Db, limit: u32) -> Result<Vec<User>, DbError> {
///     db.query("SELECT ...").limit(limit).all().await
/// }
/// // {"event":"operation_completed","operation":"fetch_users","duration_ms":3.2,"success":true,"limit":10,...}
/// ```
#[proc_macro_attribute]
pub fn log_performance(args: TokenStream, item: TokenStream) -> TokenStream {
    log_performance::expand(args.into(), item.into()).into()
}

/// Logs the database statement a function runs. See `memotrace::instrument_db`.
#[proc_macro_attribute]
pub fn instrument_db(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument_db::expand(args.into(), item.into()).into()
}
