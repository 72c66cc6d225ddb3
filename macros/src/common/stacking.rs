//! Attribute order means wrapping: an attribute written above `#[cached]` wraps every
//! call, hits included; one written below it wraps only the loads (the body).
//!
//! Rust expands the outermost attribute first, so `#[log_performance]` or
//! `#[instrument_db]` above `#[cached]` sees `#[cached]` among the fn's attributes. It
//! then does not expand itself: it hands itself down to `#[cached]` as a hidden
//! `__outer(#[..])` argument, and `#[cached]` puts it on the cached fn it generates.

use super::FnModel;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Attribute, Meta};

/// Hidden argument names, shared with `#[cached]`'s parser.
pub(crate) const OUTER: &str = "__outer";
pub(crate) const CACHE_HIT: &str = "__cache_hit";

/// When `#[cached]` is among the fn's attributes, the fn with `outer` (a whole
/// `#[path(args)]` attribute) handed down to it, and `__cache_hit` when the outer
/// attribute reports hits; `None` when there is no `#[cached]` below.
pub(crate) fn hand_to_cached(
    model: &FnModel,
    outer: &TokenStream,
    report_hit: bool,
) -> Option<TokenStream> {
    let index = model.attrs.iter().position(is_cached)?;
    let mut attrs = model.attrs.clone();
    let attr = &attrs[index];
    let path = attr.path().clone();
    let existing = match &attr.meta {
        Meta::List(list) if !list.tokens.is_empty() => {
            let tokens = &list.tokens;
            quote!(#tokens,)
        }
        _ => TokenStream::new(),
    };
    let outer_arg = syn::Ident::new(OUTER, proc_macro2::Span::call_site());
    let hit = report_hit.then(|| {
        let ident = syn::Ident::new(CACHE_HIT, proc_macro2::Span::call_site());
        quote!(, #ident)
    });
    let pound = attr.pound_token;
    let bracket = attr.bracket_token;
    let mut rewritten: Attribute = syn::parse_quote!(#[#path(#existing #outer_arg(#outer) #hit)]);
    rewritten.pound_token = pound;
    rewritten.bracket_token = bracket;
    attrs[index] = rewritten;
    let (vis, sig, block) = (&model.vis, &model.sig, &model.block);
    Some(quote!(#(#attrs)* #vis #sig #block))
}

/// `#[cached]`, `#[memotrace::cached]`, ...: an attribute whose path ends in `cached`.
fn is_cached(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "cached")
}
