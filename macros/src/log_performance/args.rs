//! Parses `#[log_performance(name = "..", level = "info", slow = "250ms",
//! fields(limit, user.id = expr), skip(password), span = false, crate = "..")]`.

use crate::common::args::{Arg, Setting, crate_path, lit_str, unknown};
use crate::common::stacking::CACHE_HIT;
use crate::common::{ArgList, Errors, duration};
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr, Path, Token};

const NAME: &str = "name";
const LEVEL: &str = "level";
const SLOW: &str = "slow";
const FIELDS: &str = "fields";
const SKIP: &str = "skip";
const SPAN: &str = "span";
const CRATE: &str = "crate";
const KNOWN: &[&str] = &[NAME, LEVEL, SLOW, FIELDS, SKIP, SPAN, CRATE];

/// Field names the events already carry; `fields(..)` may not reuse them.
pub(super) const RESERVED: &[&str] = &[
    "operation",
    "duration_ms",
    "success",
    "error",
    "error_type",
    "slow",
    "message",
    "cache_hit",
];

/// A `tracing` level.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    fn parse(lit: &LitStr) -> syn::Result<Self> {
        match lit.value().to_ascii_lowercase().as_str() {
            "trace" => Ok(Self::Trace),
            "debug" => Ok(Self::Debug),
            "info" => Ok(Self::Info),
            "warn" | "warning" => Ok(Self::Warn),
            "error" => Ok(Self::Error),
            other => Err(syn::Error::new(
                lit.span(),
                format!(
                    "unknown level {other:?}: write one of \"trace\", \"debug\", \"info\", \"warn\", \"error\""
                ),
            )),
        }
    }

    pub(super) fn ident(self) -> Ident {
        let name = match self {
            Self::Trace => "TRACE",
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warn => "WARN",
            Self::Error => "ERROR",
        };
        Ident::new(name, Span::call_site())
    }
}

/// One entry of `fields(..)`.
pub(super) struct FieldSpec {
    /// The field name as written: `limit`, `user.id` or `"user.id"`.
    pub name: TokenStream,
    /// The name as text, for checks.
    pub text: String,
    /// The value: the `= expr`, or the name itself read as an expression.
    pub expr: Expr,
    /// For shorthands (`fields(limit)`, `fields(user.id)`): the root argument.
    pub root: Option<Ident>,
}

impl Parse for FieldSpec {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let (name, text, root, dotted) = if input.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            (lit.to_token_stream(), lit.value(), None, None)
        } else {
            let first: Ident = input.call(Ident::parse_any_ident)?;
            let mut parts = vec![first.clone()];
            while input.peek(Token![.]) {
                input.parse::<Token![.]>()?;
                parts.push(input.call(Ident::parse_any_ident)?);
            }
            // As `tracing` names the field: without `r#`.
            let text = parts
                .iter()
                .map(|part| part.unraw().to_string())
                .collect::<Vec<_>>()
                .join(".");
            let tokens = quote::quote!(#(#parts).*);
            (tokens.clone(), text, Some(first), Some(tokens))
        };
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let expr: Expr = input.parse()?;
            return Ok(Self {
                name,
                text,
                expr,
                root: None,
            });
        }
        match dotted {
            Some(tokens) => Ok(Self {
                name,
                text,
                expr: syn::parse2(tokens)?,
                root,
            }),
            None => Err(syn::Error::new(
                name.span(),
                format!("a quoted field name needs a value: write `\"{text}\" = expr`"),
            )),
        }
    }
}

trait AnyIdent {
    fn parse_any_ident(input: ParseStream<'_>) -> syn::Result<Ident>;
}
impl AnyIdent for Ident {
    fn parse_any_ident(input: ParseStream<'_>) -> syn::Result<Ident> {
        Ident::parse_any(input)
    }
}

/// The typed, validated arguments.
pub(super) struct Config {
    pub name: Option<LitStr>,
    pub level: Level,
    pub slow_ms: Option<u64>,
    pub fields: Vec<FieldSpec>,
    pub skip: Vec<Ident>,
    /// Whether the call runs inside a span named after the operation (`span = false`: no).
    pub span: bool,
    pub krate: Option<Path>,
    /// `__cache_hit` (given by `#[cached]` when this attribute was above it): events
    /// carry `cache_hit`.
    pub cache_hit: bool,
}

impl Config {
    /// Parses the arguments, recording every mistake in `errors`.
    pub(super) fn parse(tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut name = Setting::<LitStr>::new(NAME);
        let mut level = Setting::<Level>::new(LEVEL);
        let mut slow = Setting::<u64>::new(SLOW);
        let mut fields = Setting::<Vec<FieldSpec>>::new(FIELDS);
        let mut skip = Setting::<Vec<Ident>>::new(SKIP);
        let mut in_span = Setting::<bool>::new(SPAN);
        let mut krate = Setting::<Path>::new(CRATE);
        let mut cache_hit = false;

        let list = errors
            .ok(ArgList::parse(tokens))
            .unwrap_or(ArgList(Vec::new()));
        for arg in list.0 {
            let span = arg.name_span();
            match arg.name.as_str() {
                NAME => name.set_parsed(span, parse_name(&arg), errors),
                LEVEL => level.set_parsed(
                    span,
                    arg.value("\"info\"")
                        .and_then(|v| lit_str(v, LEVEL))
                        .and_then(Level::parse),
                    errors,
                ),
                SLOW => slow.set_parsed(span, arg.value("\"250ms\"").and_then(parse_slow), errors),
                FIELDS => fields.set_parsed(
                    span,
                    parse_list::<FieldSpec>(&arg, "limit, user.id = user.id"),
                    errors,
                ),
                SKIP => skip.set_parsed(span, parse_list::<Ident>(&arg, "password"), errors),
                SPAN => in_span.set_parsed(span, arg.value("false").and_then(parse_span), errors),
                CRATE => krate.set_parsed(
                    span,
                    arg.value("\"my_crate::memotrace\"").and_then(crate_path),
                    errors,
                ),
                CACHE_HIT => cache_hit = true,
                _ => unknown(errors, &arg, KNOWN),
            }
        }

        Self {
            name: name.into_inner(),
            level: level.into_inner().unwrap_or(Level::Debug),
            slow_ms: slow.into_inner(),
            fields: fields.into_inner().unwrap_or_default(),
            skip: skip.into_inner().unwrap_or_default(),
            span: in_span.into_inner().unwrap_or(true),
            krate: krate.into_inner(),
            cache_hit,
        }
    }
}

fn parse_name(arg: &Arg) -> syn::Result<LitStr> {
    let lit = lit_str(arg.value("\"fetch_users\"")?, NAME)?;
    if lit.value().trim().is_empty() {
        return Err(syn::Error::new(
            lit.span(),
            "`name` may not be empty: write e.g. `name = \"fetch_users\"`",
        ));
    }
    Ok(lit.clone())
}

fn parse_span(expr: &Expr) -> syn::Result<bool> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Bool(b),
            ..
        }) => Ok(b.value),
        other => Err(syn::Error::new_spanned(
            other,
            "`span` takes `true` or `false`: write `span = false` to time the call without a span",
        )),
    }
}

fn parse_slow(expr: &Expr) -> syn::Result<u64> {
    match duration::parse(expr, SLOW)? {
        0 => Err(syn::Error::new_spanned(
            expr,
            "`slow` must be above zero: write e.g. `slow = \"250ms\"`, or leave it out",
        )),
        ms => Ok(ms),
    }
}

fn parse_list<T: Parse>(arg: &Arg, example: &str) -> syn::Result<Vec<T>> {
    let tokens = arg.list(example)?;
    let items = Punctuated::<T, Token![,]>::parse_terminated.parse2(tokens.clone())?;
    Ok(items.into_iter().collect())
}
