//! `hard_timeout = "2s"`: a call gives up waiting (for its own load or another
//! caller's) after this long and returns `Err(Timeout.into())`.

use super::args::CachedArgs;
use crate::common::args::{Arg, Setting};
use crate::common::signature::Output;
use crate::common::{duration, Errors, FnModel};
use proc_macro2::TokenStream;
use quote::quote;
use syn::Path;

/// The argument names parsed here.
pub(super) const KNOWN: &[&str] = &["hard_timeout"];

/// The timeout arguments of one `#[cached(...)]`.
pub(super) struct TimeoutArgs {
    /// In ms.
    pub hard_timeout: Setting<u64>,
}

impl TimeoutArgs {
    pub(super) fn new() -> Self {
        Self {
            hard_timeout: Setting::new("hard_timeout"),
        }
    }

    /// Parses `arg` when it is one of these arguments; false when it is not.
    pub(super) fn parse_one(&mut self, arg: &Arg, errors: &mut Errors) -> bool {
        match arg.name.as_str() {
            "hard_timeout" => self.hard_timeout.set_parsed(
                arg.name_span(),
                arg.value("\"2s\"")
                    .and_then(|v| duration::parse(v, "hard_timeout")),
                errors,
            ),
            _ => return false,
        }
        true
    }
}

/// A hard timeout answers `Err`, so the fn returns a `Result`; and it abandons the wait,
/// which only an async fn can do.
pub(super) fn check(args: &CachedArgs, model: &FnModel, errors: &mut Errors) {
    let Some(span) = args.timeouts.hard_timeout.span() else {
        return;
    };
    if !matches!(model.output, Output::Result) {
        errors.push(span, "`hard_timeout` answers `Err(memotrace::cache::Timeout.into())` when the call takes too long, but this fn does not return a `Result`: return `Result<T, E>` with `E: From<memotrace::cache::Timeout>`, or remove it");
    }
    if !model.is_async() {
        errors.push(span, "`hard_timeout` abandons a call that takes too long, which a sync fn cannot do: make the fn `async`, or remove it");
    }
}

/// The wrapper's body, bounded by the hard timeout when there is one.
pub(super) fn bound(args: &TimeoutArgs, rt: &Path, body: TokenStream) -> TokenStream {
    match args.hard_timeout.get() {
        Some(ms) => quote! {
            #rt::__private::hard_timeout(
                #rt::__private::Duration::from_millis(#ms),
                async { #body },
            ).await
        },
        None => body,
    }
}
