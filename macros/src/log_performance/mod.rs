//! `#[log_performance]`: parse (`args`), then expand.

use proc_macro2::TokenStream;

pub fn expand(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
