//! The attribute's argument list (`name = value`, `name(list)`, `name`) and the set-once
//! holders each macro stores its settings in.

use super::Errors;
use super::template::Template;
use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Path, Token};

/// One attribute argument with its name resolved to a string.
pub(crate) struct Arg {
    pub name: String,
    pub meta: Meta,
}

impl Arg {
    /// The span of the argument's name, where "unknown"/"duplicate" errors point.
    pub(crate) fn name_span(&self) -> Span {
        self.meta.path().span()
    }

    /// The `value` of `name = value`, or an error saying how to write it.
    pub(crate) fn value(&self, example: &str) -> syn::Result<&Expr> {
        match &self.meta {
            Meta::NameValue(nv) => Ok(&nv.value),
            other => Err(syn::Error::new_spanned(
                other,
                format!(
                    "`{}` takes a value: write `{} = {example}`",
                    self.name, self.name
                ),
            )),
        }
    }

    /// The tokens inside `name(...)`, or an error saying how to write it.
    pub(crate) fn list(&self, example: &str) -> syn::Result<&TokenStream> {
        match &self.meta {
            Meta::List(list) => Ok(&list.tokens),
            other => Err(syn::Error::new_spanned(
                other,
                format!(
                    "`{}` takes a list: write `{}({example})`",
                    self.name, self.name
                ),
            )),
        }
    }
}

/// The parsed argument list of one attribute.
pub(crate) struct ArgList(pub Vec<Arg>);

impl ArgList {
    /// Parses `a = 1, b(x, y), c`; an empty stream is an empty list.
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Self> {
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens)?;
        Ok(Self(
            metas
                .into_iter()
                .map(|meta| Arg {
                    name: path_name(meta.path()),
                    meta,
                })
                .collect(),
        ))
    }
}

fn path_name(path: &Path) -> String {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    segments.join("::")
}

/// Reports an unknown argument, suggesting the closest known name.
pub(crate) fn unknown(errors: &mut Errors, arg: &Arg, known: &[&str]) {
    let list = known.join(", ");
    let message = match closest(&arg.name, known.iter().copied()) {
        Some(k) => format!(
            "unknown argument `{}`; did you mean `{k}`? Expected one of: {list}",
            arg.name
        ),
        None => format!("unknown argument `{}`; expected one of: {list}", arg.name),
    };
    errors.push(arg.name_span(), message);
}

/// The candidate closest to `name` (at most 2 edits away), for "did you mean" hints.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// A setting that may be given once; a second one is an error on its name.
pub(crate) struct Setting<T> {
    name: &'static str,
    value: Option<(T, Span)>,
}

impl<T> Setting<T> {
    pub(crate) const fn new(name: &'static str) -> Self {
        Self { name, value: None }
    }

    /// Stores `value` unless the setting was already given.
    pub(crate) fn set(&mut self, span: Span, value: T, errors: &mut Errors) {
        if self.value.is_some() {
            errors.push(
                span,
                format!("duplicate argument `{}`: give it once", self.name),
            );
        } else {
            self.value = Some((value, span));
        }
    }

    /// Stores the result of parsing, recording its error instead.
    pub(crate) fn set_parsed(&mut self, span: Span, value: syn::Result<T>, errors: &mut Errors) {
        match value {
            Ok(value) => self.set(span, value, errors),
            Err(e) => {
                // Still mark the name as seen so a duplicate is reported too.
                if self.value.is_some() {
                    errors.push(
                        span,
                        format!("duplicate argument `{}`: give it once", self.name),
                    );
                }
                errors.push_error(e);
            }
        }
    }

    pub(crate) fn get(&self) -> Option<&T> {
        self.value.as_ref().map(|(v, _)| v)
    }

    pub(crate) fn into_inner(self) -> Option<T> {
        self.value.map(|(v, _)| v)
    }

    pub(crate) fn span(&self) -> Option<Span> {
        self.value.as_ref().map(|(_, s)| *s)
    }
}

/// The string literal in `expr`, or an error naming what was expected.
pub(crate) fn lit_str<'a>(expr: &'a Expr, what: &str) -> syn::Result<&'a LitStr> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{what}` takes a string literal, e.g. `{what} = \"...\"`"),
        )),
    }
}

/// `crate = "path::to::memotrace"`: the path the expansion uses to reach the runtime.
pub(crate) fn crate_path(expr: &Expr) -> syn::Result<Path> {
    let lit = lit_str(expr, "crate")?;
    lit.parse::<Path>().map_err(|_| {
        syn::Error::new(
            lit.span(),
            "`crate` takes a path in a string, e.g. `crate = \"my_crate::memotrace\"`",
        )
    })
}

/// The runtime path: the user's `crate = ".."` or `::memotrace`.
pub(crate) fn runtime_path(custom: Option<Path>) -> Path {
    custom.unwrap_or_else(|| syn::parse_quote!(::memotrace))
}

/// A list of string templates (`["user:{id}", ..]`); `hint` says how to write it.
pub(crate) fn template_list(expr: &Expr, hint: &str) -> syn::Result<Vec<Template>> {
    let Expr::Array(array) = expr else {
        return Err(syn::Error::new_spanned(expr, hint));
    };
    array
        .elems
        .iter()
        .map(|e| match e {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => Template::parse(s),
            other => Err(syn::Error::new_spanned(other, hint)),
        })
        .collect()
}

/// A float literal strictly between 0 and 1; `hint` says what it means.
pub(crate) fn open_unit_fraction(expr: &Expr, hint: &str) -> syn::Result<f64> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) => match f.base10_parse::<f64>() {
            Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
            _ => Err(syn::Error::new(f.span(), hint)),
        },
        other => Err(syn::Error::new_spanned(other, hint)),
    }
}
