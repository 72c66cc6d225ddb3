//! Parses `#[invalidates(get_user(id), self.posts(id), tags = ["user:{id}"])]` into
//! [`InvalidatesArgs`]: the readers to invalidate, as calls, and the settings
//! (`transaction = tx`, `double_delete = "500ms"`, `crate = ".."`).

use crate::common::Errors;
use crate::common::args::{self, Setting, closest};
use crate::common::duration;
use crate::common::template::Template;
use proc_macro2::{Ident, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Path, Token};

const KNOWN: &[&str] = &["tags", "transaction", "double_delete", "crate"];

const TARGET_HINT: &str = "expected a call of a `#[cached]` fn with the arguments of the entry to drop, e.g. `get_user(id)`, `Self::get_user(id)` or `self.get_user(id)`; or `tags = [\"user:{id}\"]`";

/// A reader named as a call: `get_user(id)` becomes `get_user_invalidate(id)`.
pub(super) struct Target {
    /// `path::to::` or `receiver.`, before the reader's name.
    pub callee: Callee,
    /// The reader's name, where a wrong one is reported.
    pub name: Ident,
    pub args: Vec<Expr>,
}

pub(super) enum Callee {
    /// `get_user(..)`, `users::get_user(..)`, `Self::get_user(..)`: the path's leading
    /// segments (with their `::`), the reader's name being the last segment.
    Path(TokenStream),
    /// `self.get_user(..)`: the receiver expression.
    Method(Box<Expr>),
}

/// The arguments of one `#[invalidates(...)]`.
pub(super) struct InvalidatesArgs {
    pub targets: Vec<Target>,
    pub tags: Setting<Vec<Template>>,
    /// The writer's argument holding the transaction the invalidations wait for.
    pub transaction: Setting<Ident>,
    /// The delay of the second invalidation, in milliseconds.
    pub double_delete: Setting<u64>,
    pub krate: Setting<Path>,
}

impl InvalidatesArgs {
    pub(super) fn parse(tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut this = Self {
            targets: Vec::new(),
            tags: Setting::new("tags"),
            transaction: Setting::new("transaction"),
            double_delete: Setting::new("double_delete"),
            krate: Setting::new("crate"),
        };
        let Some(items) = errors.ok(Punctuated::<Expr, Token![,]>::parse_terminated.parse2(tokens))
        else {
            return this;
        };
        for item in items {
            match item {
                Expr::Assign(assign) => this.setting(&assign.left, &assign.right, errors),
                other => {
                    if let Some(target) = errors.ok(target(other)) {
                        this.targets.push(target);
                    }
                }
            }
        }
        this
    }

    fn setting(&mut self, name: &Expr, value: &Expr, errors: &mut Errors) {
        let ident = match name {
            Expr::Path(p) if p.path.get_ident().is_some() => p.path.get_ident(),
            _ => None,
        };
        let Some(ident) = ident else {
            errors.push_spanned(name, TARGET_HINT);
            return;
        };
        let span = ident.span();
        match ident.to_string().as_str() {
            "tags" => self.tags.set_parsed(span, tags(value), errors),
            "transaction" => self
                .transaction
                .set_parsed(span, transaction(value), errors),
            "double_delete" => {
                self.double_delete
                    .set_parsed(span, duration::parse(value, "double_delete"), errors)
            }
            "crate" => self.krate.set_parsed(span, args::crate_path(value), errors),
            other => {
                let known = KNOWN.join(", ");
                let message = match closest(other, KNOWN.iter().copied()) {
                    Some(k) => format!(
                        "unknown argument `{other}`; did you mean `{k}`? Besides the readers to invalidate, expected one of: {known}"
                    ),
                    None => format!(
                        "unknown argument `{other}`; besides the readers to invalidate, expected one of: {known}"
                    ),
                };
                errors.push(span, message);
            }
        }
    }
}

fn target(expr: Expr) -> syn::Result<Target> {
    match expr {
        Expr::Call(call) => {
            let Expr::Path(func) = *call.func else {
                return Err(syn::Error::new_spanned(call.func, TARGET_HINT));
            };
            if func.qself.is_some() {
                return Err(syn::Error::new_spanned(func, TARGET_HINT));
            }
            let mut path = func.path;
            let last = path
                .segments
                .pop()
                .expect("a path has a segment")
                .into_value();
            if !last.arguments.is_none() {
                return Err(syn::Error::new_spanned(
                    &last.arguments,
                    "a `#[cached]` fn is not generic: remove the generic arguments",
                ));
            }
            Ok(Target {
                callee: Callee::Path(quote::quote!(#path)),
                name: last.ident,
                args: call.args.into_iter().collect(),
            })
        }
        Expr::MethodCall(call) => {
            if let Some(turbofish) = &call.turbofish {
                return Err(syn::Error::new_spanned(
                    turbofish,
                    "a `#[cached]` fn is not generic: remove the generic arguments",
                ));
            }
            Ok(Target {
                callee: Callee::Method(call.receiver),
                name: call.method,
                args: call.args.into_iter().collect(),
            })
        }
        other => Err(syn::Error::new_spanned(other, TARGET_HINT)),
    }
}

/// `transaction = tx`: the name of one of the writer's arguments.
fn transaction(expr: &Expr) -> syn::Result<Ident> {
    let name = match expr {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident().cloned(),
        _ => None,
    };
    name.ok_or_else(|| {
        syn::Error::new_spanned(
            expr,
            "`transaction` takes the name of the writer's argument holding the transaction, e.g. `transaction = tx` for `tx: &mut memotrace::db::sqlx::Transaction<'_, DB>`",
        )
    })
}

fn tags(expr: &Expr) -> syn::Result<Vec<Template>> {
    args::template_list(
        expr,
        "`tags` takes a list of string templates over the writer's arguments, e.g. `tags = [\"user:{id}\"]`",
    )
}
