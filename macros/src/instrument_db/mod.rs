//! `#[instrument_db]`: parse (`args`), validate (`check`), expand (`expand`).

mod args;
mod check;
mod expand;

use crate::common::errors::with_original;
use crate::common::{Errors, FnModel, stacking};
use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let parsed = args::Args::parse(args.clone(), &mut errors);
    let model = match FnModel::parse(item.clone(), "instrument_db") {
        Ok(model) => model,
        Err(mut error) => {
            if let Err(more) = errors.finish() {
                error.combine(more);
            }
            return with_original(&error, item);
        }
    };
    let config = check::check(parsed, &model, &mut errors);
    match (errors.finish(), config) {
        (Ok(()), Some(config)) => {
            let krate = &config.krate;
            let outer = quote!(#[#krate::instrument_db(#args)]);
            stacking::hand_to_cached(&model, &outer, false)
                .unwrap_or_else(|| expand::expand(&model, &config))
        }
        (Err(error), _) => with_original(&error, item),
        (Ok(()), None) => {
            // `check` returns `None` only after recording why.
            let error = syn::Error::new(
                proc_macro2::Span::call_site(),
                "#[instrument_db] could not read its arguments",
            );
            with_original(&error, item)
        }
    }
}
