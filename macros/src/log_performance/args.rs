//! Parsing `#[log_performance(name = "..", level = "info", slow = "250ms",
//! fields(limit, user.id = expr), skip(password), crate = "..")]`.

use crate::common::args::{closest, crate_path, lit_str, unknown, Arg, Setting};
use crate::common::{duration, ArgList, Errors, FnModel};
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr, Path, Token};

const NAME: &str = "name";
const LEVEL: &str = "level";
const SLOW: &str = "slow";
const FIELDS: &str = "fields";
const SKIP: &str = "skip";
const CRATE: &str = "crate";
const KNOWN: &[&str] = &[NAME, LEVEL, SLOW, FIELDS, SKIP, CRATE];

/// Field names the events already carry; `fields(..)` may not reuse them.
const RESERVED: &[&str] = &[
    "operation",
    "duration_ms",
    "success",
    "error",
    "error_type",
    "slow",
    "message",
];

/// A `tracing` level.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Level {
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
                format!("unknown level {other:?}: write one of \"trace\", \"debug\", \"info\", \"warn\", \"error\""),
            )),
        }
    }

    pub fn ident(self) -> Ident {
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
pub struct FieldSpec {
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
            let text = parts
                .iter()
                .map(ToString::to_string)
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
        use syn::ext::IdentExt;
        Ident::parse_any(input)
    }
}

/// The typed, validated arguments.
pub struct Config {
    pub name: Option<LitStr>,
    pub level: Level,
    pub slow_ms: Option<u64>,
    pub fields: Vec<FieldSpec>,
    pub krate: Option<Path>,
}

impl Config {
    /// Parses and checks the arguments; `model` is `None` when the item is not a fn (the
    /// arguments are still checked on their own).
    pub fn parse(tokens: TokenStream, model: Option<&FnModel>) -> syn::Result<Self> {
        let mut errors = Errors::default();
        let mut name = Setting::<LitStr>::new(NAME);
        let mut level = Setting::<Level>::new(LEVEL);
        let mut slow = Setting::<u64>::new(SLOW);
        let mut fields = Setting::<Vec<FieldSpec>>::new(FIELDS);
        let mut skip = Setting::<Vec<Ident>>::new(SKIP);
        let mut krate = Setting::<Path>::new(CRATE);

        for arg in ArgList::parse(tokens)?.0 {
            let span = arg.name_span();
            match arg.name.as_str() {
                NAME => name.set_parsed(span, parse_name(&arg), &mut errors),
                LEVEL => level.set_parsed(
                    span,
                    arg.value("\"info\"")
                        .and_then(|v| lit_str(v, LEVEL))
                        .and_then(Level::parse),
                    &mut errors,
                ),
                SLOW => slow.set_parsed(
                    span,
                    arg.value("\"250ms\"").and_then(parse_slow),
                    &mut errors,
                ),
                FIELDS => fields.set_parsed(
                    span,
                    parse_list::<FieldSpec>(&arg, "limit, user.id = user.id"),
                    &mut errors,
                ),
                SKIP => skip.set_parsed(span, parse_list::<Ident>(&arg, "password"), &mut errors),
                CRATE => krate.set_parsed(
                    span,
                    arg.value("\"my_crate::memotrace\"").and_then(crate_path),
                    &mut errors,
                ),
                _ => unknown(&mut errors, &arg, KNOWN),
            }
        }

        let fields = fields.into_inner().unwrap_or_default();
        let skip = skip.into_inner().unwrap_or_default();
        check(&fields, &skip, model, &mut errors);
        errors.finish()?;
        Ok(Self {
            name: name.into_inner(),
            level: level.into_inner().unwrap_or(Level::Debug),
            slow_ms: slow.into_inner(),
            fields,
            krate: krate.into_inner(),
        })
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

fn check(fields: &[FieldSpec], skip: &[Ident], model: Option<&FnModel>, errors: &mut Errors) {
    let mut seen: Vec<&str> = Vec::new();
    for field in fields {
        if RESERVED.contains(&field.text.as_str()) {
            errors.push(
                field.name.span(),
                format!("`{}` is already a field of the event: give this field another name, e.g. `fields(arg_{} = ..)`", field.text, field.text),
            );
        }
        if seen.contains(&field.text.as_str()) {
            errors.push(
                field.name.span(),
                format!("field `{}` is given twice in `fields(..)`", field.text),
            );
        }
        seen.push(&field.text);
        let (Some(root), Some(model)) = (&field.root, model) else {
            continue;
        };
        if root == "self" {
            if model.receiver.is_none() {
                errors.push(
                    root.span(),
                    "`self` in `fields(..)` needs a method with a `self` receiver",
                );
            }
        } else if model.arg(&root.to_string()).is_none() {
            errors.push(
                root.span(),
                format!(
                    "`{root}` in `fields(..)` is not an argument of this fn; {}{}; to log another value write `{} = expr`",
                    did_you_mean(model, &root.to_string()),
                    model.arg_names(),
                    field.text
                ),
            );
        } else if skip.iter().any(|s| s == root) {
            errors.push(root.span(), format!("`{root}` is in `skip(..)`, so it cannot be logged in `fields(..)`: remove it from one of them"));
        }
    }
    if let Some(model) = model {
        for ident in skip {
            if model.arg(&ident.to_string()).is_none() {
                errors.push(
                    ident.span(),
                    format!(
                        "`{ident}` in `skip(..)` is not an argument of this fn; {}{}",
                        did_you_mean(model, &ident.to_string()),
                        model.arg_names()
                    ),
                );
            }
        }
    }
}

/// `did you mean `limit`? ` when an argument name is close to `name`.
fn did_you_mean(model: &FnModel, name: &str) -> String {
    let names: Vec<String> = model
        .args
        .iter()
        .filter_map(|a| a.ident.as_ref())
        .map(ToString::to_string)
        .collect();
    closest(name, names.iter().map(String::as_str))
        .map_or_else(String::new, |n| format!("did you mean `{n}`? "))
}
