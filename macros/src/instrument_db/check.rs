//! Checks `#[instrument_db]`'s arguments against the fn, and the fn against what can be
//! instrumented; the result is the [`Config`] the expansion reads.

use super::args::{Args, Statement};
use crate::common::args::runtime_path;
use crate::common::signature::ArgForm;
use crate::common::{Errors, FnModel};
use proc_macro2::Span;
use syn::{Ident, Path, Type};

/// The validated attribute.
pub(super) struct Config {
    pub system: String,
    pub statement: Statement,
    pub operation: Option<String>,
    pub table: Option<String>,
    /// Milliseconds; `None`: the runtime's default.
    pub slow_ms: Option<u64>,
    pub params: Vec<Ident>,
    pub krate: Path,
}

/// The config, or `None` when a mistake was recorded in `errors`.
pub(super) fn check(args: Args, model: &FnModel, errors: &mut Errors) -> Option<Config> {
    if let Some(constness) = &model.sig.constness {
        errors.push_spanned(
            constness,
            "#[instrument_db] cannot time a `const fn`: remove `const`",
        );
    }
    if let Some(abi) = &model.sig.abi {
        errors.push_spanned(
            abi,
            "#[instrument_db] cannot instrument an `extern` fn: instrument the Rust fn it calls",
        );
    }
    if let Some(Statement::Arg(ident)) = args.statement.get() {
        check_statement_arg(ident, model, errors);
    }
    for ident in args.params.get().into_iter().flatten() {
        if model.arg(&ident.to_string()).is_none() {
            errors.push(
                ident.span(),
                format!(
                    "`params({ident})` names no argument of this fn; {}",
                    model.arg_names()
                ),
            );
        }
    }
    if args.statement.get().is_none() && !args.statement_written {
        errors.push(
            Span::call_site(),
            "#[instrument_db] needs the statement the fn runs: add `statement = \"SELECT ...\"`, or `statement = sql` naming a `&str` argument",
        );
    }
    let statement = args.statement.into_inner()?;
    Some(Config {
        system: args
            .system
            .into_inner()
            .unwrap_or_else(|| "other_sql".to_owned()),
        statement,
        // Not given: inferred from the statement by the runtime, once per call site.
        operation: args.operation.into_inner(),
        table: args.table.into_inner(),
        slow_ms: args.slow.into_inner(),
        params: args.params.into_inner().unwrap_or_default(),
        krate: runtime_path(args.krate.into_inner()),
    })
}

fn check_statement_arg(ident: &Ident, model: &FnModel, errors: &mut Errors) {
    let Some(found) = model.arg(&ident.to_string()) else {
        errors.push(
            ident.span(),
            format!(
                "`statement = {ident}` names no argument of this fn; {}. Write `statement = \"SELECT ...\"` for a literal statement",
                model.arg_names()
            ),
        );
        return;
    };
    if !is_string_type(&found.ty, &found.form) {
        let ty = &found.ty;
        errors.push(
            ident.span(),
            format!(
                "`statement = {ident}` names `{ident}: {}`, which is not a string: it must be a `&str` or `String` argument holding the SQL",
                quote::quote!(#ty).to_string().replace(' ', "")
            ),
        );
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
