//! `#[cached]`: parse (`args`), validate (`check`), expand (`expand`).

mod args;
mod check;
mod expand;
mod expiry;
mod timeouts;
mod weight;

use crate::common::errors::with_original;
use crate::common::{ArgList, Errors, FnModel};
use proc_macro2::TokenStream;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let model = match FnModel::parse(item.clone(), "cached") {
        Ok(model) => model,
        Err(e) => return with_original(&e, item),
    };
    let mut errors = Errors::default();
    let list = errors
        .ok(ArgList::parse(args))
        .unwrap_or(ArgList(Vec::new()));
    let args = args::CachedArgs::parse(list, &mut errors);
    let sound = check::check(&args, &model, &mut errors);
    match errors.finish() {
        Ok(()) => expand::expand(&args, &model),
        // Like thiserror's fallback: the fn and its companions still exist, so the
        // mistake is the one error, not one more at each call site.
        Err(e) => with_original(&e, expand::fallback(&args, &model, sound)),
    }
}
