//! Parses `#[cached(...)]` into [`CachedArgs`]; every value keeps its span.

use super::expiry::{self, ExpiryArgs};
use super::timeouts::{self, TimeoutArgs};
use crate::common::args::{self, Arg, ArgList, Setting};
use crate::common::stacking::{CACHE_HIT, OUTER};
use crate::common::template::Template;
use crate::common::{Errors, duration};
use proc_macro2::TokenStream;
use syn::{Expr, ExprLit, Lit, LitStr, Path};

const KNOWN: &[&str] = &[
    "ttl",
    "tti",
    "max_capacity",
    "max_weight",
    "weigher",
    "key",
    "store",
    "namespace",
    "version",
    "tags",
    "refresh_ahead",
    "stale_if_error",
    "cache_none",
    "when",
    "unless",
    "lock_timeout",
    "on_evict",
    "name",
    "crate",
];

/// How the key is computed.
pub(super) enum KeySpec {
    /// `key = "user:{id}"`.
    Template(Template),
    /// `key = expr`, any `Display` value.
    Expr(Expr),
}

/// Where entries live.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum StoreKind {
    Memory,
    Redis,
    Tiered,
}

/// The arguments of one `#[cached(...)]`.
pub(super) struct CachedArgs {
    pub ttl: Setting<u64>,
    pub tti: Setting<u64>,
    pub max_capacity: Setting<u64>,
    pub max_weight: Setting<u64>,
    pub weigher: Setting<Expr>,
    pub key: Setting<KeySpec>,
    pub store: Setting<StoreKind>,
    pub namespace: Setting<LitStr>,
    pub version: Setting<u32>,
    pub tags: Setting<Vec<Template>>,
    pub refresh_ahead: Setting<f64>,
    pub stale_if_error: Setting<u64>,
    pub cache_none: Setting<bool>,
    pub when: Setting<Expr>,
    pub unless: Setting<Expr>,
    pub lock_timeout: Setting<u64>,
    /// `on_evict = path::to::fn`.
    pub on_evict: Setting<Expr>,
    pub name: Setting<LitStr>,
    pub krate: Setting<Path>,
    /// Per-entry expiry: `ttl = |value| ..`, `expires`, `ttl_jitter`.
    pub expiry: ExpiryArgs,
    /// `hard_timeout`.
    pub timeouts: TimeoutArgs,
    /// Attributes written above `#[cached]` that wrap every call (`#[log_performance]`,
    /// `#[instrument_db]`): they handed themselves down as `__outer(#[..])`, outermost
    /// first, and go on the cached fn.
    pub outer: Vec<TokenStream>,
    /// `__cache_hit`: an outer `#[log_performance]` reports whether the call was a hit.
    pub report_hit: bool,
}

impl CachedArgs {
    pub(super) fn parse(list: ArgList, errors: &mut Errors) -> Self {
        let mut this = Self {
            ttl: Setting::new("ttl"),
            tti: Setting::new("tti"),
            max_capacity: Setting::new("max_capacity"),
            max_weight: Setting::new("max_weight"),
            weigher: Setting::new("weigher"),
            key: Setting::new("key"),
            store: Setting::new("store"),
            namespace: Setting::new("namespace"),
            version: Setting::new("version"),
            tags: Setting::new("tags"),
            refresh_ahead: Setting::new("refresh_ahead"),
            stale_if_error: Setting::new("stale_if_error"),
            cache_none: Setting::new("cache_none"),
            when: Setting::new("when"),
            unless: Setting::new("unless"),
            lock_timeout: Setting::new("lock_timeout"),
            on_evict: Setting::new("on_evict"),
            name: Setting::new("name"),
            krate: Setting::new("crate"),
            expiry: ExpiryArgs::new(),
            timeouts: TimeoutArgs::new(),
            outer: Vec::new(),
            report_hit: false,
        };
        for arg in &list.0 {
            this.parse_one(arg, errors);
        }
        this
    }

    fn parse_one(&mut self, arg: &Arg, errors: &mut Errors) {
        if self.expiry.parse_one(arg, errors) || self.timeouts.parse_one(arg, errors) {
            return;
        }
        let span = arg.name_span();
        match arg.name.as_str() {
            "ttl" => self
                .ttl
                .set_parsed(span, duration_of(arg, "\"10m\""), errors),
            "tti" => self
                .tti
                .set_parsed(span, duration_of(arg, "\"5m\""), errors),
            "stale_if_error" => {
                self.stale_if_error
                    .set_parsed(span, duration_of(arg, "\"1h\""), errors)
            }
            "lock_timeout" => {
                self.lock_timeout
                    .set_parsed(span, duration_of(arg, "\"30s\""), errors)
            }
            "max_capacity" => self.max_capacity.set_parsed(
                span,
                arg.value("10_000").and_then(positive_int),
                errors,
            ),
            "max_weight" => self.max_weight.set_parsed(
                span,
                arg.value("\"64MiB\"").and_then(super::weight::max_weight),
                errors,
            ),
            "weigher" => self.weigher.set_parsed(
                span,
                arg.value("|_key, value| value.len()")
                    .and_then(super::weight::weigher),
                errors,
            ),
            "version" => self
                .version
                .set_parsed(span, arg.value("2").and_then(version), errors),
            "key" => {
                self.key
                    .set_parsed(span, arg.value("\"user:{id}\"").and_then(key_spec), errors)
            }
            "store" => {
                self.store
                    .set_parsed(span, arg.value("memory").and_then(store_kind), errors)
            }
            "namespace" => {
                self.namespace.set_parsed(
                    span,
                    arg.value("\"users\"")
                        .and_then(|e| args::lit_str(e, "namespace").cloned()),
                    errors,
                );
            }
            "on_evict" => self.on_evict.set_parsed(
                span,
                arg.value("log_eviction").and_then(eviction_hook),
                errors,
            ),
            "name" => self.name.set_parsed(
                span,
                arg.value("\"get_user\"")
                    .and_then(|e| args::lit_str(e, "name").cloned()),
                errors,
            ),
            "tags" => {
                self.tags
                    .set_parsed(span, arg.value("[\"user:{id}\"]").and_then(tags), errors)
            }
            "refresh_ahead" => {
                self.refresh_ahead
                    .set_parsed(span, arg.value("0.8").and_then(fraction), errors)
            }
            "cache_none" => self.cache_none.set_parsed(span, flag(arg), errors),
            "when" => self
                .when
                .set_parsed(span, arg.value("id > 0").cloned(), errors),
            "unless" => self.unless.set_parsed(
                span,
                arg.value("|value| value.is_empty()").and_then(unless),
                errors,
            ),
            "crate" => self.krate.set_parsed(
                span,
                arg.value("\"my_crate::memotrace\"")
                    .and_then(args::crate_path),
                errors,
            ),
            OUTER => {
                if let Some(tokens) = errors.ok(arg.list("#[..]")) {
                    self.outer.push(tokens.clone());
                }
            }
            CACHE_HIT => self.report_hit = true,
            _ => args::unknown(
                errors,
                arg,
                &[KNOWN, expiry::KNOWN, timeouts::KNOWN].concat(),
            ),
        }
    }
}

fn duration_of(arg: &Arg, example: &str) -> syn::Result<u64> {
    duration::parse(arg.value(example)?, &arg.name)
}

fn positive_int(expr: &Expr) -> syn::Result<u64> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => match i.base10_parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(syn::Error::new(
                i.span(),
                "`max_capacity` is a number of entries greater than 0, e.g. `max_capacity = 10_000`",
            )),
        },
        other => Err(syn::Error::new_spanned(
            other,
            "`max_capacity` takes an integer, e.g. `max_capacity = 10_000`",
        )),
    }
}

fn version(expr: &Expr) -> syn::Result<u32> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse::<u32>().map_err(|_| {
            syn::Error::new(i.span(), "`version` is a small integer, e.g. `version = 2`")
        }),
        other => Err(syn::Error::new_spanned(
            other,
            "`version` takes an integer, e.g. `version = 2`",
        )),
    }
}

fn key_spec(expr: &Expr) -> syn::Result<KeySpec> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Template::parse(s).map(KeySpec::Template),
        other => Ok(KeySpec::Expr(other.clone())),
    }
}

fn store_kind(expr: &Expr) -> syn::Result<StoreKind> {
    let hint = "`store` is `memory` (the default), `redis` or `tiered`";
    let Expr::Path(p) = expr else {
        return Err(syn::Error::new_spanned(expr, hint));
    };
    match p.path.get_ident().map(ToString::to_string).as_deref() {
        Some("memory") => Ok(StoreKind::Memory),
        Some("redis") => Ok(StoreKind::Redis),
        Some("tiered") => Ok(StoreKind::Tiered),
        _ => Err(syn::Error::new_spanned(expr, hint)),
    }
}

pub(super) fn flag(arg: &Arg) -> syn::Result<bool> {
    match &arg.meta {
        syn::Meta::Path(_) => Ok(true),
        syn::Meta::NameValue(nv) => match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Bool(b), ..
            }) => Ok(b.value),
            other => Err(syn::Error::new_spanned(
                other,
                format!("`{}` takes `true` or `false`", arg.name),
            )),
        },
        syn::Meta::List(l) => Err(syn::Error::new_spanned(
            l,
            format!("write `{} = true`", arg.name),
        )),
    }
}

fn unless(expr: &Expr) -> syn::Result<Expr> {
    match expr {
        Expr::Closure(c) if c.inputs.len() == 1 => Ok(expr.clone()),
        Expr::Path(_) => Ok(expr.clone()),
        _ => Err(syn::Error::new_spanned(
            expr,
            "`unless` takes a one-argument closure (or fn path) over the fresh value, true meaning \"do not store it\", e.g. `unless = |user| user.is_guest`",
        )),
    }
}

fn eviction_hook(expr: &Expr) -> syn::Result<Expr> {
    match expr {
        Expr::Path(_) => Ok(expr.clone()),
        Expr::Closure(c) if c.inputs.len() == 3 && c.capture.is_none() => Ok(expr.clone()),
        _ => Err(syn::Error::new_spanned(
            expr,
            "`on_evict` takes a fn path (or a three-argument closure capturing nothing) called with the key, the value and the `memotrace::cache::EvictionCause`, e.g. `on_evict = log_eviction` with `fn log_eviction(key: &u64, value: &String, cause: EvictionCause)`",
        )),
    }
}

fn tags(expr: &Expr) -> syn::Result<Vec<Template>> {
    args::template_list(
        expr,
        "`tags` takes a list of string templates, e.g. `tags = [\"user:{id}\", \"team:{team}\"]`",
    )
}

fn fraction(expr: &Expr) -> syn::Result<f64> {
    args::open_unit_fraction(
        expr,
        "`refresh_ahead` is the fraction of the ttl after which a hit refreshes, strictly between 0 and 1, e.g. `refresh_ahead = 0.8`",
    )
}
