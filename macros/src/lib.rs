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

/// Logs the database statement a function runs. See `memotrace::instrument_db`.
#[proc_macro_attribute]
pub fn instrument_db(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument_db::expand(args.into(), item.into()).into()
}
