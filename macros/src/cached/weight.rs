//! `max_weight = "64MiB"` and `weigher = |key, value| usize`: parsing, checks and the
//! engine they select.

use super::args::{CachedArgs, StoreKind};
use crate::common::Errors;
use proc_macro2::TokenStream;
use proc_macro2::{Span, TokenTree};
use quote::quote;
use syn::{Expr, ExprLit, Lit, Path};

const SIZE_HINT: &str = "`max_weight` is a total weight: an integer, or a size such as `\"64MiB\"` (units B, KB, KiB, MB, MiB, GB, GiB), with the default weigher counting bytes";

/// `max_weight = 1_000` or `max_weight = "64MiB"`.
pub(super) fn max_weight(expr: &Expr) -> syn::Result<u64> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => match i.base10_parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(syn::Error::new(i.span(), SIZE_HINT)),
        },
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => size(&s.value()).ok_or_else(|| syn::Error::new(s.span(), SIZE_HINT)),
        other => Err(syn::Error::new_spanned(other, SIZE_HINT)),
    }
}

fn size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '_')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.replace('_', "").parse().ok()?;
    let scale: u64 = match unit.trim() {
        "" | "B" => 1,
        "KB" => 1_000,
        "KiB" => 1 << 10,
        "MB" => 1_000_000,
        "MiB" => 1 << 20,
        "GB" => 1_000_000_000,
        "GiB" => 1 << 30,
        _ => return None,
    };
    number.checked_mul(scale).filter(|n| *n > 0)
}

/// `weigher = |key, value| expr` or a fn path.
pub(super) fn weigher(expr: &Expr) -> syn::Result<Expr> {
    match expr {
        Expr::Closure(c) if c.inputs.len() == 2 && c.capture.is_none() => Ok(expr.clone()),
        Expr::Path(_) => Ok(expr.clone()),
        _ => Err(syn::Error::new_spanned(
            expr,
            "`weigher` takes a two-argument closure capturing nothing (or a fn path) from the key and the cached value to a `usize` weight, e.g. `weigher = |_key, page| page.len()`",
        )),
    }
}

pub(super) fn check(args: &CachedArgs, errors: &mut Errors) {
    if let (Some(span), None) = (args.weigher.span(), args.max_weight.get()) {
        errors.push(
            span,
            "`weigher` weighs entries against `max_weight`: add `max_weight = \"64MiB\"`",
        );
    }
    let Some(span) = args.max_weight.span() else {
        return;
    };
    if args.store.get() == Some(&StoreKind::Redis) {
        errors.push(
            span,
            "`max_weight` bounds a memory cache (or a tiered cache's L1); Redis bounds its memory with `maxmemory`: remove it, or use `store = tiered` for a weighed L1",
        );
    }
}

/// The engine of a weighed cache without `tti` (moka serves `tti`, weighed or not),
/// `None` without `max_weight`.
pub(super) fn engine(
    args: &CachedArgs,
    rt: &Path,
    key: &TokenStream,
    value: &TokenStream,
) -> Option<TokenStream> {
    args.max_weight.get().map(
        |_| quote!(#rt::__private::QuickStore<#key, #value, #rt::__private::Weighed<#key, #value>>),
    )
}

/// Builds a weighed cache's engine (moka's with `tti`, quick_cache's otherwise, and a
/// tiered cache's L1, whose key is its `String` key); `None` without `max_weight`.
pub(super) fn build(
    args: &CachedArgs,
    rt: &Path,
    key: &TokenStream,
    value: &TokenStream,
) -> Option<TokenStream> {
    let max = args.max_weight.get()?;
    let span = args.max_weight.span()?;
    let weigher = match args.weigher.get() {
        Some(w) => quote!(#w),
        // Every token on `max_weight`: "`V: Weigh` is not satisfied" points at it.
        None => respan(quote!(#rt::__private::weigh_value), span),
    };
    let store = if args.tti.get().is_some() {
        quote!(#rt::__private::MokaStore::weighed)
    } else {
        quote!(#rt::__private::QuickStore::with_parts)
    };
    // A tiered L1's engine type also serves unweighed L1s: the parts convert into it.
    let parts = if args.store.get() == Some(&StoreKind::Tiered) {
        quote!(::core::convert::Into::into(__memotrace_weighed))
    } else {
        quote!(__memotrace_weighed)
    };
    Some(quote! {
        |__memotrace_config: &#rt::__private::CacheConfig, __memotrace_evictions| {
            let __memotrace_weigher: #rt::__private::WeigherFn<#key, #value> = #weigher;
            let __memotrace_weighed = #rt::__private::Weighed::new(#max, __memotrace_weigher);
            #store(__memotrace_config, __memotrace_evictions, #parts)
        }
    })
}

fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(g) = &token {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                return TokenTree::Group(group);
            }
            token.set_span(span);
            token
        })
        .collect()
}
