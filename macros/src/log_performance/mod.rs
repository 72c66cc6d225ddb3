//! `#[log_performance]`: parse the arguments into a typed [`args::Config`] (every value
//! keeps its span, all mistakes collected), check them against the function, then expand.

mod args;
mod expand;

use crate::common::{errors::with_original, FnModel};
use proc_macro2::TokenStream;

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let model = match FnModel::parse(item.clone(), "log_performance") {
        Ok(model) => model,
        Err(e) => {
            // Report argument mistakes too, beside the "not a fn" one.
            let mut error = e;
            if let Err(more) = args::Config::parse(args, None) {
                error.combine(more);
            }
            return with_original(&error, item);
        }
    };
    match args::Config::parse(args, Some(&model)) {
        Ok(config) => expand::expand(&config, &model),
        Err(error) => with_original(&error, item),
    }
}
