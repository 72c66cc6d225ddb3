//! Cross-checks of `#[cached]` arguments against each other and against the function;
//! every problem is recorded, spanned on the token to change.

use super::args::{CachedArgs, KeySpec, StoreKind};
use crate::common::signature::{self, ArgForm, Output};
use crate::common::{Errors, FnModel};
use proc_macro2::{Span, TokenStream, TokenTree};
use syn::ReturnType;

/// Records every problem; returns whether the fn's types (its signature and its key) are
/// sound, so that the companions' signatures can be written even when other arguments
/// are wrong.
pub(super) fn check(args: &CachedArgs, model: &FnModel, errors: &mut Errors) -> bool {
    check_store(args, model, errors);
    super::weight::check(args, errors);
    check_time_policy(args, model, errors);
    super::expiry::check(args, model, errors);
    super::timeouts::check(args, model, errors);
    check_not_instrumented(model, errors);
    let mut types = Errors::default();
    check_signature(model, &mut types);
    check_key(args, model, &mut types);
    let sound = types.is_empty();
    errors.append(types);
    if let Some(tags) = args.tags.get() {
        for tag in tags {
            tag.check(model, errors);
        }
    }
    if let (Some(true), Some(span)) = (args.cache_none.get(), args.cache_none.span())
        && !matches!(model.output, Output::Option)
    {
        errors.push(
            span,
            "`cache_none` applies to fns returning `Option`; remove it",
        );
    }
    sound
}

fn check_store(args: &CachedArgs, model: &FnModel, errors: &mut Errors) {
    let store = args.store.get().copied().unwrap_or(StoreKind::Memory);
    if store == StoreKind::Memory {
        if let Some(span) = args.lock_timeout.span() {
            errors.push(
                span,
                "`lock_timeout` is the Redis loader lock's lifetime and applies to `store = redis` / `tiered` only; remove it",
            );
        }
        return;
    }
    let name = if store == StoreKind::Redis {
        "redis"
    } else {
        "tiered"
    };
    if let Some(span) = args.tti.span() {
        errors.push(
            span,
            format!("`tti` (time to idle) applies to the memory store only; with `store = {name}` use `ttl`"),
        );
    }
    if let (Some(receiver), None) = (&model.receiver, args.name.get()) {
        errors.push_spanned(
            receiver,
            format!(
                "a method's cache on `store = {name}` needs `name = \"Type::{}\"`: its name is part of the Redis keys, and the default (the module path and fn name) does not tell two types' `{}` methods apart",
                model.name(),
                model.name()
            ),
        );
    }
    if let (StoreKind::Redis, Some(span)) = (store, args.on_evict.span()) {
        errors.push(
            span,
            "`on_evict` reports entries leaving a memory cache; Redis drops its entries by its own policy (expiry, `maxmemory`) without telling the process: use `store = tiered` (the hook sees L1), or remove it",
        );
    }
    if let (StoreKind::Redis, Some(span)) = (store, args.max_capacity.span()) {
        errors.push(
            span,
            "`max_capacity` bounds the in-memory store; Redis is bounded by its `maxmemory` policy: remove it, or use `store = tiered` for a bounded L1",
        );
    }
}

fn check_time_policy(args: &CachedArgs, model: &FnModel, errors: &mut Errors) {
    let has_ttl = args.ttl.get().is_some() || args.expiry.per_entry();
    if let Some(span) = args.refresh_ahead.span() {
        if !has_ttl {
            errors.push(span, "`refresh_ahead` is a fraction of the ttl: add a `ttl`, e.g. `ttl = \"10m\", refresh_ahead = 0.8`");
        }
        if args.tti.get().is_some() {
            errors.push(span, "`refresh_ahead` refreshes before the ttl ends and does not combine with `tti`; remove one of them");
        }
        if let Some(receiver) = &model.receiver
            && (receiver.colon_token.is_some() || receiver.mutability.is_some())
        {
            errors.push_spanned(receiver, "`refresh_ahead` on a method needs a `&self` or `self` receiver (the refresh runs on a clone of `self`)");
        }
    }
    if let Some(span) = args.stale_if_error.span() {
        if !has_ttl {
            errors.push(span, "`stale_if_error` serves entries past their ttl: add a `ttl`, e.g. `ttl = \"10m\", stale_if_error = \"1h\"`");
        }
        if !matches!(model.output, Output::Result) {
            errors.push(span, "`stale_if_error` answers with the old value when the fn returns `Err`, but this fn does not return a `Result`; remove it");
        }
    }
}

/// `#[tracing::instrument]` written above `#[cached]` expanded first and put its span into
/// the body, which `#[cached]` runs only on a miss: that would trace the loads while the
/// order says every call. Its expansion is recognised by the locals it declares.
fn check_not_instrumented(model: &FnModel, errors: &mut Errors) {
    fn declares_span(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|t| match t {
            TokenTree::Ident(i) => i == "__tracing_attr_span" || i == "__tracing_instrument_future",
            TokenTree::Group(g) => declares_span(g.stream()),
            _ => false,
        })
    }
    if declares_span(model.block.clone()) {
        errors.push(
            Span::call_site(),
            "#[tracing::instrument] above #[cached] would only trace the loads (its span goes into the body, which runs on a miss): \
             put it below #[cached] to trace the loads, or on a fn that calls this one to trace every call",
        );
    }
}

fn check_signature(model: &FnModel, errors: &mut Errors) {
    let sig = &model.sig;
    let type_params =
        sig.generics.type_params().next().is_some() || sig.generics.const_params().next().is_some();
    if type_params {
        errors.push_spanned(
            &sig.generics,
            "#[cached] does not support generic fns: one cache holds one key type and one value type; \
             cache a non-generic fn and call it from the generic one",
        );
    }
    if let Some(c) = &sig.constness {
        errors.push_spanned(c, "#[cached] can't go on a `const fn`: remove `const`");
    }
    for arg in &model.args {
        match arg.form {
            ArgForm::ImplTrait => errors.push_spanned(
                &arg.ty,
                "#[cached] can't key on `impl Trait` arguments (the key type must be known): take a concrete type",
            ),
            ArgForm::Exclusive => errors.push_spanned(
                &arg.ty,
                "#[cached] can't key on `&mut` arguments: a cached call may not run the fn; take the argument by value or by `&`",
            ),
            _ => {}
        }
    }
    if let ReturnType::Type(_, ty) = &sig.output {
        if signature::contains_impl_trait(ty) {
            errors.push_spanned(ty, "#[cached] stores the return value, so its type must be named: return a concrete type instead of `impl Trait`");
        } else if signature::borrows_non_static(ty) {
            errors.push_spanned(ty, "cached values are returned by value and outlive the call: return an owned type (e.g. `String` instead of `&str`) or a `'static` borrow");
        } else if let Some(span) = signature::mentions_self_type(ty) {
            errors.push(span, "the cache is a `static`, where `Self` is not available: write the type's name instead of `Self`");
        }
    }
}

fn check_key(args: &CachedArgs, model: &FnModel, errors: &mut Errors) {
    match args.key.get() {
        Some(KeySpec::Template(template)) => template.check(model, errors),
        Some(KeySpec::Expr(_)) => {}
        None => {
            if let Some(receiver) = &model.receiver {
                errors.push_spanned(
                    receiver,
                    "methods need an explicit `key` (`self` is not part of the key): \
                     add e.g. `key = \"{id}\"` or `key = \"{self.tenant}:{id}\"`",
                );
            }
            for arg in &model.args {
                if signature::borrows_non_static(&arg.ty) && !matches!(arg.form, ArgForm::Shared(_))
                {
                    errors.push_spanned(
                        &arg.ty,
                        "this argument borrows inside its type, so it cannot be part of the default key: give `key = \"...\"` naming the arguments that identify the result",
                    );
                } else if arg.ident.is_none() {
                    errors.push_spanned(&arg.pat, "the key is made of the arguments: bind this one to a name (e.g. `point: Point`) or give `key = ...`");
                } else if let Some(span) = signature::mentions_self_type(&arg.ty) {
                    errors.push(span, "the cache is a `static`, where `Self` is not available: write the type's name instead of `Self`");
                }
            }
        }
    }
}
