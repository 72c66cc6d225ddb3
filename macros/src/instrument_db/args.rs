//! Parses and validates `#[instrument_db(...)]` into a typed [`Config`]; every value keeps
//! its span and every mistake is collected.

use super::infer::infer;
use crate::common::args::{self, unknown, Arg, Setting};
use crate::common::signature::ArgForm;
use crate::common::{duration, ArgList, Errors, FnModel};
use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Path, Token, Type};

const KNOWN: &[&str] = &[
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
pub enum Statement {
    /// `statement = "SELECT ..."`.
    Literal(LitStr),
    /// `statement = sql`: an argument holding the SQL.
    Arg(Ident),
}

/// The validated attribute.
pub struct Config {
    pub system: String,
    pub statement: Statement,
    pub operation: Option<String>,
    pub table: Option<String>,
    /// Milliseconds; `None`: the runtime's default.
    pub slow_ms: Option<u64>,
    pub params: Vec<Ident>,
    pub krate: Path,
}

/// Parses `tokens` against the annotated fn; `None` when an error was recorded.
pub fn parse(tokens: TokenStream, model: &FnModel, errors: &mut Errors) -> Option<Config> {
    let list = match ArgList::parse(tokens) {
        Ok(list) => list,
        Err(e) => {
            errors.push_error(e);
            return None;
        }
    };
    let mut system = Setting::<String>::new("system");
    let mut statement = Setting::<Statement>::new("statement");
    let mut operation = Setting::<String>::new("operation");
    let mut table = Setting::<String>::new("table");
    let mut slow = Setting::<u64>::new("slow");
    let mut params = Setting::<Vec<Ident>>::new("params");
    let mut krate = Setting::<Path>::new("crate");
    for arg in &list.0 {
        let span = arg.name_span();
        match arg.name.as_str() {
            "system" => system.set_parsed(span, string(arg, "\"sqlite\""), errors),
            "statement" => statement.set_parsed(span, parse_statement(arg, model), errors),
            "operation" => operation.set_parsed(span, string(arg, "\"SELECT\""), errors),
            "table" => table.set_parsed(span, string(arg, "\"users\""), errors),
            "slow" => slow.set_parsed(
                span,
                arg.value("\"250ms\"")
                    .and_then(|v| duration::parse(v, "slow")),
                errors,
            ),
            "params" => params.set_parsed(span, parse_params(arg, model), errors),
            "crate" => krate.set_parsed(
                span,
                arg.value("\"my_crate::memotrace\"")
                    .and_then(args::crate_path),
                errors,
            ),
            _ => unknown(errors, arg, KNOWN),
        }
    }
    if model.item.sig.constness.is_some() {
        errors.push_spanned(
            model.item.sig.constness,
            "#[instrument_db] cannot time a `const fn`: remove `const`",
        );
    }
    // An unknown argument may be a misspelt `statement`: its error says so already.
    let statement_given = statement.get().is_some()
        || list
            .0
            .iter()
            .any(|a| a.name == "statement" || !KNOWN.contains(&a.name.as_str()));
    if !statement_given {
        errors.push(
            Span::call_site(),
            "#[instrument_db] needs the statement the fn runs: add `statement = \"SELECT ...\"`, or `statement = sql` naming a `&str` argument",
        );
    }
    let statement = statement.get().cloned()?;
    let (mut operation, mut table) = (operation.get().cloned(), table.get().cloned());
    if let Statement::Literal(lit) = &statement {
        if operation.is_none() || table.is_none() {
            let (op, t) = infer(&lit.value());
            operation = operation.or(op);
            table = table.or(t);
        }
    }
    Some(Config {
        system: system
            .get()
            .cloned()
            .unwrap_or_else(|| "other_sql".to_owned()),
        statement,
        operation,
        table,
        slow_ms: slow.get().cloned(),
        params: params.get().cloned().unwrap_or_default(),
        krate: args::runtime_path(krate.get().cloned()),
    })
}

fn string(arg: &Arg, example: &str) -> syn::Result<String> {
    let value = arg.value(example)?;
    args::lit_str(value, &arg.name).map(LitStr::value)
}

fn parse_statement(arg: &Arg, model: &FnModel) -> syn::Result<Statement> {
    let value = arg.value("\"SELECT ...\"")?;
    match value {
        Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
            let ident = p.path.get_ident().cloned().unwrap_or_else(|| Ident::new("_", Span::call_site()));
            let Some(found) = model.arg(&ident.to_string()) else {
                return Err(syn::Error::new(
                    ident.span(),
                    format!(
                        "`statement = {ident}` names no argument of this fn; {}. Write `statement = \"SELECT ...\"` for a literal statement",
                        model.arg_names()
                    ),
                ));
            };
            if !is_string_type(&found.ty, &found.form) {
                let ty = &found.ty;
                return Err(syn::Error::new(
                    ident.span(),
                    format!(
                        "`statement = {ident}` names `{ident}: {}`, which is not a string: it must be a `&str` or `String` argument holding the SQL",
                        quote::quote!(#ty).to_string().replace(" ", "")
                    ),
                ));
            }
            Ok(Statement::Arg(ident))
        }
        other => args::lit_str(other, "statement").cloned().map(Statement::Literal).map_err(|_| {
            syn::Error::new_spanned(
                other,
                "`statement` takes the SQL as a string literal (`statement = \"SELECT ...\"`) or the name of a `&str` argument holding it (`statement = sql`)",
            )
        }),
    }
}

fn is_string_type(ty: &Type, form: &ArgForm) -> bool {
    let last = |t: &Type| match t {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    };
    let name = match form {
        ArgForm::Shared(inner) => last(inner),
        ArgForm::Owned => last(ty),
        ArgForm::Exclusive | ArgForm::ImplTrait => None,
    };
    matches!(
        name.as_deref(),
        Some("str" | "String" | "Cow" | "Arc" | "Box")
    )
}

fn parse_params(arg: &Arg, model: &FnModel) -> syn::Result<Vec<Ident>> {
    let tokens = arg.list("id, email")?;
    let idents = Punctuated::<Ident, Token![,]>::parse_terminated
        .parse2(tokens.clone())
        .map_err(|e| {
            syn::Error::new(
                e.span(),
                "`params` takes argument names: write `params(id, email)`",
            )
        })?;
    let mut error: Option<syn::Error> = None;
    let mut out = Vec::new();
    for ident in idents {
        if model.arg(&ident.to_string()).is_none() {
            let e = syn::Error::new(
                ident.span(),
                format!(
                    "`params({ident})` names no argument of this fn; {}",
                    model.arg_names()
                ),
            );
            match &mut error {
                Some(first) => first.combine(e),
                None => error = Some(e),
            }
        } else {
            out.push(ident);
        }
    }
    error.map_or(Ok(out), Err)
}
