//! `hard_timeout = "2s"`: a call gives up waiting (for its own load or another
//! caller's) after this long and returns `Err(Timeout.into())`. `timeout = "200ms"`
//! (soft): while a stale value is held, a load that takes longer answers the stale value
//! and goes on in the background.

use super::args::CachedArgs;
use crate::common::args::{Arg, Setting};
use crate::common::signature::Output;
use crate::common::{Errors, FnModel, duration};
use proc_macro2::TokenStream;
use quote::quote;
use syn::Path;

/// The argument names parsed here.
pub(super) const KNOWN: &[&str] = &["hard_timeout", "timeout"];

/// The timeout arguments of one `#[cached(...)]`.
pub(super) struct TimeoutArgs {
    /// In ms.
    pub hard_timeout: Setting<u64>,
    /// `timeout`, in ms.
    pub soft: Setting<u64>,
}

impl TimeoutArgs {
    pub(super) fn new() -> Self {
        Self {
            hard_timeout: Setting::new("hard_timeout"),
            soft: Setting::new("timeout"),
        }
    }

    /// Parses `arg` when it is one of these arguments; false when it is not.
    pub(super) fn parse_one(&mut self, arg: &Arg, errors: &mut Errors) -> bool {
        let (setting, example) = match arg.name.as_str() {
            "hard_timeout" => (&mut self.hard_timeout, "\"2s\""),
            "timeout" => (&mut self.soft, "\"200ms\""),
            _ => return false,
        };
        setting.set_parsed(
            arg.name_span(),
            arg.value(example)
                .and_then(|v| duration::parse(v, &arg.name)),
            errors,
        );
        true
    }
}

/// A hard timeout answers `Err`, so the fn returns a `Result`; and it abandons the wait,
/// which only an async fn can do. A soft timeout answers a stale value, which only
/// `stale_if_error` keeps; it lets the load go on in the background, which only an
/// async fn can do (on a clone of `self` for a method); and it comes before the hard one.
pub(super) fn check(args: &CachedArgs, model: &FnModel, errors: &mut Errors) {
    let t = &args.timeouts;
    if let Some(span) = t.hard_timeout.span() {
        if !matches!(model.output, Output::Result) {
            errors.push(span, "`hard_timeout` answers `Err(memotrace::cache::Timeout.into())` when the call takes too long, but this fn does not return a `Result`: return `Result<T, E>` with `E: From<memotrace::cache::Timeout>`, or remove it");
        }
        if !model.is_async() {
            errors.push(span, "`hard_timeout` abandons a call that takes too long, which a sync fn cannot do: make the fn `async`, or remove it");
        }
    }
    let (Some(soft), Some(span)) = (t.soft.get(), t.soft.span()) else {
        return;
    };
    if args.stale_if_error.get().is_none() {
        errors.push(span, "`timeout` (soft) answers with the stale value when the load takes longer, and only `stale_if_error` keeps a value past its ttl: add e.g. `stale_if_error = \"1h\"` (use `hard_timeout` to bound a call that has no stale value)");
    }
    if !model.is_async() {
        errors.push(span, "`timeout` (soft) lets a slow load finish in the background, which a sync fn cannot do: make the fn `async`, or remove it");
    }
    if let Some(hard) = t.hard_timeout.get().filter(|hard| **hard <= *soft) {
        errors.push(span, format!("`timeout` (soft, {soft} ms) must be shorter than `hard_timeout` ({hard} ms): the call has given up by then"));
    }
    if let Some(receiver) = &model.receiver
        && (receiver.colon_token.is_some() || receiver.mutability.is_some())
    {
        errors.push_spanned(receiver, "`timeout` on a method needs a `&self` or `self` receiver (the load goes on in the background on a clone of `self`)");
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

/// The `CacheConfig` setter of the soft timeout.
pub(super) fn config(args: &TimeoutArgs, rt: &Path) -> Option<TokenStream> {
    args.soft
        .get()
        .map(|ms| quote!(.timeout(#rt::__private::Duration::from_millis(#ms))))
}
