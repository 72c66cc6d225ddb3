//! `#[instrument_db]`: parse and validate (`args`), then expand (`expand`).

mod args;
mod expand;
mod infer;

use crate::common::errors::with_original;
use crate::common::{Errors, FnModel};
use proc_macro2::TokenStream;

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let model = match FnModel::parse(item.clone(), "instrument_db") {
        Ok(model) => model,
        Err(e) => return with_original(&e, item),
    };
    let mut errors = Errors::default();
    let config = args::parse(args, &model, &mut errors);
    match (errors.finish(), config) {
        (Ok(()), Some(config)) => expand::expand(&model, &config),
        (Err(e), _) => with_original(&e, item),
        (Ok(()), None) => item,
    }
}
