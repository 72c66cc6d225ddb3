//! Parses `#[instrument_db(...)]` into [`Args`]; every value keeps its span and every
//! mistake is collected. Checks against the fn are in `check`.

use crate::common::args::{self, Arg, Setting, unknown};
use crate::common::{ArgList, Errors, duration};
use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Path, Token};

pub(super) const KNOWN: &[&str] = &[
    "system",
    "statement",
    "operation",
    "table",
    "slow",
    "params",
    "crate",
];

/// Where the statement comes from.
#[derive(Clone)]
pub(super) enum Statement {
    /// `statement = "SELECT ..."`.
    Literal(LitStr),
    /// `statement = sql`: an argument holding the SQL.
    Arg(Ident),
}

/// The attribute's arguments, as written.
pub(super) struct Args {
    pub system: Setting<String>,
    pub statement: Setting<Statement>,
    pub operation: Setting<String>,
    pub table: Setting<String>,
    /// Milliseconds.
    pub slow: Setting<u64>,
    pub params: Setting<Vec<Ident>>,
    pub krate: Setting<Path>,
    /// Whether an argument named like `statement` (or an unknown one, maybe a misspelt
    /// `statement`, already reported) was written.
    pub statement_written: bool,
}

impl Args {
    pub(super) fn parse(tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut this = Self {
            system: Setting::new("system"),
            statement: Setting::new("statement"),
            operation: Setting::new("operation"),
            table: Setting::new("table"),
            slow: Setting::new("slow"),
            params: Setting::new("params"),
            krate: Setting::new("crate"),
            statement_written: false,
        };
        let list = errors
            .ok(ArgList::parse(tokens))
            .unwrap_or(ArgList(Vec::new()));
        for arg in &list.0 {
            let span = arg.name_span();
            match arg.name.as_str() {
                "system" => this
                    .system
                    .set_parsed(span, string(arg, "\"sqlite\""), errors),
                "statement" => this
                    .statement
                    .set_parsed(span, parse_statement(arg), errors),
                "operation" => this
                    .operation
                    .set_parsed(span, string(arg, "\"SELECT\""), errors),
                "table" => this
                    .table
                    .set_parsed(span, string(arg, "\"users\""), errors),
                "slow" => this.slow.set_parsed(
                    span,
                    arg.value("\"250ms\"")
                        .and_then(|v| duration::parse(v, "slow")),
                    errors,
                ),
                "params" => this.params.set_parsed(span, parse_params(arg), errors),
                "crate" => this.krate.set_parsed(
                    span,
                    arg.value("\"my_crate::memotrace\"")
                        .and_then(args::crate_path),
                    errors,
                ),
                _ => unknown(errors, arg, KNOWN),
            }
            if arg.name == "statement" || !KNOWN.contains(&arg.name.as_str()) {
                this.statement_written = true;
            }
        }
        this
    }
}

fn string(arg: &Arg, example: &str) -> syn::Result<String> {
    let value = arg.value(example)?;
    args::lit_str(value, &arg.name).map(LitStr::value)
}

fn parse_statement(arg: &Arg) -> syn::Result<Statement> {
    let value = arg.value("\"SELECT ...\"")?;
    if let Expr::Path(p) = value
        && let (None, Some(ident)) = (&p.qself, p.path.get_ident())
    {
        return Ok(Statement::Arg(ident.clone()));
    }
    args::lit_str(value, "statement").cloned().map(Statement::Literal).map_err(|_| {
        syn::Error::new_spanned(
            value,
            "`statement` takes the SQL as a string literal (`statement = \"SELECT ...\"`) or the name of a `&str` argument holding it (`statement = sql`)",
        )
    })
}

fn parse_params(arg: &Arg) -> syn::Result<Vec<Ident>> {
    let tokens = arg.list("id, email")?;
    Punctuated::<Ident, Token![,]>::parse_terminated
        .parse2(tokens.clone())
        .map(|idents| idents.into_iter().collect())
        .map_err(|e| {
            syn::Error::new(
                e.span(),
                "`params` takes argument names: write `params(id, email)`",
            )
        })
}
