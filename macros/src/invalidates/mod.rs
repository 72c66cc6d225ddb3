//! `#[invalidates]`: parse (`args`), validate (`check`), expand (`expand`).

mod args;
mod check;
mod expand;

use crate::common::errors::with_original;
use crate::common::{Errors, FnModel};
use proc_macro2::TokenStream;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let model = match FnModel::parse(item.clone(), "invalidates") {
        Ok(model) => model,
        Err(e) => return with_original(&e, item),
    };
    let mut errors = Errors::default();
    let args = args::InvalidatesArgs::parse(args, &mut errors);
    check::check(&args, &model, &mut errors);
    match errors.finish() {
        Ok(()) => expand::expand(&args, &model),
        // The writer as written: its callers still compile, and the mistake is the one error.
        Err(e) => with_original(&e, item),
    }
}
