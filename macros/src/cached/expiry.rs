//! Expiry arguments: `ttl = |value| ..` (a lifetime computed from the loaded value),
//! `expires = true` (the value's `Expires` impl), `ttl_jitter = 0.1` and
//! `stale_while_revalidate = "30s"`, `fail_safe_throttle = "5s"`, and `cache_err = true`
//! with `err_ttl = "30s"`; `max_staleness = "5s"` (tiered).

use super::args::{CachedArgs, StoreKind};
use crate::common::args::{Arg, Setting};
use crate::common::signature::Output;
use crate::common::{Errors, FnModel, duration};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Path};

/// The argument names parsed here (besides `ttl`, which is also a fixed duration).
pub(super) const KNOWN: &[&str] = &[
    "expires",
    "ttl_jitter",
    "stale_while_revalidate",
    "fail_safe_throttle",
    "cache_err",
    "err_ttl",
    "max_staleness",
];

/// The tiered subscriber proves its channel live every second (a `PING` answered within
/// 500 ms): a smaller bound would stop L1 between two proofs.
const MIN_STALENESS_MS: u64 = 2_000;

/// The per-entry expiry arguments of one `#[cached(...)]`.
pub(super) struct ExpiryArgs {
    /// `ttl = |value| expr`.
    pub ttl_fn: Setting<Expr>,
    pub expires: Setting<bool>,
    pub ttl_jitter: Setting<f64>,
    /// In ms.
    pub stale_while_revalidate: Setting<u64>,
    /// In ms.
    pub fail_safe_throttle: Setting<u64>,
    pub cache_err: Setting<bool>,
    /// In ms.
    pub err_ttl: Setting<u64>,
    /// In ms.
    pub max_staleness: Setting<u64>,
}

impl ExpiryArgs {
    pub(super) fn new() -> Self {
        Self {
            ttl_fn: Setting::new("ttl"),
            expires: Setting::new("expires"),
            ttl_jitter: Setting::new("ttl_jitter"),
            stale_while_revalidate: Setting::new("stale_while_revalidate"),
            fail_safe_throttle: Setting::new("fail_safe_throttle"),
            cache_err: Setting::new("cache_err"),
            err_ttl: Setting::new("err_ttl"),
            max_staleness: Setting::new("max_staleness"),
        }
    }

    /// Parses `arg` when it is one of these arguments; false when it is not.
    pub(super) fn parse_one(&mut self, arg: &Arg, errors: &mut Errors) -> bool {
        let span = arg.name_span();
        match arg.name.as_str() {
            "ttl" => match arg.value("\"10m\"") {
                Ok(Expr::Closure(closure)) => {
                    let value = if closure.inputs.len() == 1 {
                        Ok(Expr::Closure(closure.clone()))
                    } else {
                        Err(syn::Error::new_spanned(
                            &closure.inputs,
                            "a `ttl` closure takes one argument, the loaded value: `ttl = |token| token.lifetime`",
                        ))
                    };
                    self.ttl_fn.set_parsed(span, value, errors);
                }
                _ => return false,
            },
            "expires" => self
                .expires
                .set_parsed(span, super::args::flag(arg), errors),
            "ttl_jitter" => {
                self.ttl_jitter
                    .set_parsed(span, arg.value("0.1").and_then(jitter_fraction), errors)
            }
            "stale_while_revalidate" => self.stale_while_revalidate.set_parsed(
                span,
                arg.value("\"30s\"")
                    .and_then(|v| duration::parse(v, "stale_while_revalidate")),
                errors,
            ),
            "fail_safe_throttle" => self.fail_safe_throttle.set_parsed(
                span,
                arg.value("\"5s\"")
                    .and_then(|v| duration::parse(v, "fail_safe_throttle")),
                errors,
            ),
            "cache_err" => self
                .cache_err
                .set_parsed(span, super::args::flag(arg), errors),
            "err_ttl" => self.err_ttl.set_parsed(
                span,
                arg.value("\"30s\"")
                    .and_then(|v| duration::parse(v, "err_ttl")),
                errors,
            ),
            "max_staleness" => self.max_staleness.set_parsed(
                span,
                arg.value("\"5s\"").and_then(staleness_bound),
                errors,
            ),
            _ => return false,
        }
        true
    }

    /// Whether `Err` is cached too.
    pub(super) fn caches_err(&self) -> bool {
        self.cache_err.get() == Some(&true)
    }

    /// Whether hits may claim a background reload (`stale_while_revalidate`).
    pub(super) fn revalidates(&self) -> bool {
        self.stale_while_revalidate.get().is_some()
    }

    /// Whether stored values get their lifetime from a rule (`ttl = |value| ..`,
    /// `expires`, `err_ttl`).
    pub(super) fn has_rule(&self) -> bool {
        self.per_entry() || self.err_ttl.get().is_some()
    }

    /// Whether values get a lifetime of their own.
    pub(super) fn per_entry(&self) -> bool {
        self.ttl_fn.get().is_some() || self.expires.get() == Some(&true)
    }
}

fn staleness_bound(expr: &Expr) -> syn::Result<u64> {
    let ms = duration::parse(expr, "max_staleness")?;
    if ms < MIN_STALENESS_MS {
        return Err(syn::Error::new_spanned(
            expr,
            "`max_staleness` must be at least \"2s\": the invalidation channel proves itself live every second, so a smaller bound would stop L1 between two proofs",
        ));
    }
    Ok(ms)
}

/// Cross-checks: one `ttl`, one source of per-entry lifetimes, jitter and
/// stale-while-revalidate need a ttl.
pub(super) fn check(args: &CachedArgs, model: &FnModel, errors: &mut Errors) {
    let e = &args.expiry;
    if let (Some(_), Some(span)) = (args.ttl.get(), e.ttl_fn.span()) {
        errors.push(
            span,
            "duplicate argument `ttl`: give a fixed `ttl = \"10m\"` or a closure `ttl = |value| ..`, not both",
        );
    }
    if let (Some(_), Some(true), Some(span)) = (e.ttl_fn.get(), e.expires.get(), e.expires.span()) {
        errors.push(
            span,
            "`expires = true` takes each value's lifetime from its `Expires` impl, and `ttl = |value| ..` from the closure: keep one of them",
        );
    }
    let has_ttl = args.ttl.get().is_some() || e.per_entry();
    // The jitter spreads the fixed ttl; lifetimes values give themselves are exact.
    if let (Some(span), None) = (e.ttl_jitter.span(), args.ttl.get()) {
        errors.push(
            span,
            "`ttl_jitter` spreads the fixed ttl: add one, e.g. `ttl = \"10m\", ttl_jitter = 0.1`",
        );
    }
    check_cache_err(args, model, errors);
    if let Some(span) = e.max_staleness.span()
        && args.store.get() != Some(&StoreKind::Tiered)
    {
        errors.push(span, "`max_staleness` bounds how stale the tiered L1 may be while its invalidation channel is down, and applies to `store = tiered` only; remove it");
    }
    if let (Some(span), None) = (e.fail_safe_throttle.span(), args.stale_if_error.get()) {
        errors.push(span, "`fail_safe_throttle` is how long a stale value answers after a failed load before the loader is tried again: add `stale_if_error`, e.g. `stale_if_error = \"1h\", fail_safe_throttle = \"5s\"`");
    }
    if let Some(span) = e.stale_while_revalidate.span() {
        if !has_ttl {
            errors.push(span, "`stale_while_revalidate` serves entries past their ttl: add a `ttl`, e.g. `ttl = \"10m\", stale_while_revalidate = \"30s\"`");
        }
        if args.tti.get().is_some() {
            errors.push(span, "`stale_while_revalidate` reloads after the ttl and does not combine with `tti`; remove one of them");
        }
        if let Some(receiver) = &model.receiver
            && (receiver.colon_token.is_some() || receiver.mutability.is_some())
        {
            errors.push_spanned(receiver, "`stale_while_revalidate` on a method needs a `&self` or `self` receiver (the reload runs on a clone of `self`)");
        }
    }
}

fn check_cache_err(args: &CachedArgs, model: &FnModel, errors: &mut Errors) {
    let e = &args.expiry;
    if let Some(span) = e.cache_err.span().filter(|_| e.caches_err()) {
        if !matches!(model.output, Output::Result) {
            errors.push(span, "`cache_err` caches the `Err` of a `Result`, but this fn does not return a `Result`; remove it");
        }
        if args.stale_if_error.get().is_some() {
            errors.push(span, "with `cache_err` an `Err` is a cached value, so `stale_if_error` would never answer: keep one of them");
        }
    }
    if let Some(span) = e.err_ttl.span() {
        if !e.caches_err() {
            errors.push(
                span,
                "`err_ttl` is how long a cached `Err` lives: add `cache_err = true`",
            );
        }
        if e.per_entry() {
            errors.push(span, "`err_ttl` gives cached `Err`s their lifetime, which `ttl = |value| ..` / `expires` decide already: keep one of them");
        }
    }
}

/// `kind` with the per-entry lifetime rule, and the span of the argument giving it;
/// `None` without one. `ret` is the fn's return type.
pub(super) fn kind_value(
    e: &ExpiryArgs,
    rt: &Path,
    kind: TokenStream,
    ret: &TokenStream,
) -> Option<(TokenStream, Span)> {
    if let (Some(ms), Some(span)) = (e.err_ttl.get(), e.err_ttl.span()) {
        return Some((quote_spanned!(span=> #rt::__private::err_ttl(#ms)), span));
    }
    if let Some(closure) = e.ttl_fn.get() {
        // Spanned on the closure: a wrong return type is reported there.
        let span = closure.span();
        return Some((
            quote_spanned!(span=> #rt::__private::per_entry::<#ret, _, _, _>(#kind, #closure)),
            span,
        ));
    }
    match (e.expires.get(), e.expires.span()) {
        (Some(true), Some(span)) => Some((
            quote_spanned!(span=> #rt::__private::own_expiry::<#ret, _>(#kind)),
            span,
        )),
        _ => None,
    }
}

/// The `CacheConfig` setters of these arguments.
pub(super) fn config(e: &ExpiryArgs, rt: &Path) -> TokenStream {
    let jitter = e.ttl_jitter.get().map(|j| quote!(.ttl_jitter(#j)));
    let per_entry = e.per_entry().then(|| quote!(.per_entry_ttl()));
    let revalidate = e
        .stale_while_revalidate
        .get()
        .map(|ms| quote!(.stale_while_revalidate(#rt::__private::Duration::from_millis(#ms))));
    let throttle = e
        .fail_safe_throttle
        .get()
        .map(|ms| quote!(.fail_safe_throttle(#rt::__private::Duration::from_millis(#ms))));
    let staleness = e
        .max_staleness
        .get()
        .map(|ms| quote!(.max_staleness(#rt::__private::Duration::from_millis(#ms))));
    quote!(#jitter #per_entry #revalidate #throttle #staleness)
}

fn jitter_fraction(expr: &Expr) -> syn::Result<f64> {
    crate::common::args::open_unit_fraction(
        expr,
        "`ttl_jitter` is the fraction by which each entry's ttl is spread, strictly between 0 and 1, e.g. `ttl_jitter = 0.1` for ±10 %",
    )
}
