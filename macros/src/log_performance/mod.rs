//! `#[log_performance]`: parse (`args`), validate (`check`), expand (`expand`).

mod args;
mod check;
mod expand;

use crate::common::errors::with_original;
use crate::common::{Errors, FnModel, stacking};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let config = args::Config::parse(args.clone(), &mut errors);
    let model = match FnModel::parse(item.clone(), "log_performance") {
        Ok(model) => model,
        Err(mut error) => {
            // Report argument mistakes too, beside the "not a fn" one.
            check::check(&config, None, &mut errors);
            if let Err(more) = errors.finish() {
                error.combine(more);
            }
            return with_original(&error, item);
        }
    };
    check::check(&config, Some(&model), &mut errors);
    if let Err(error) = errors.finish() {
        return with_original(&error, item);
    }
    let rt = crate::common::args::runtime_path(config.krate.clone());
    let hit = Ident::new(stacking::CACHE_HIT, Span::call_site());
    let args = if args.is_empty() {
        quote!(#hit)
    } else {
        quote!(#args, #hit)
    };
    let outer = quote!(#[#rt::log_performance(#args)]);
    stacking::hand_to_cached(&model, &outer, true)
        .unwrap_or_else(|| expand::expand(&config, &model))
}
