//! Checks of `#[invalidates]` against the writer; whether each target is a `#[cached]`
//! fn taking these arguments is checked by rustc on the expansion's call of its
//! `{fn}_invalidate` companion, spanned on the target's tokens.

use super::args::{Callee, InvalidatesArgs};
use crate::common::signature::ArgForm;
use crate::common::{Errors, FnModel};
use proc_macro2::Span;

pub(super) fn check(args: &InvalidatesArgs, model: &FnModel, errors: &mut Errors) {
    if let Some(tags) = args.tags.get() {
        for tag in tags {
            tag.check(model, errors);
        }
    }
    let no_tags = args.tags.get().is_none_or(Vec::is_empty);
    if args.targets.is_empty() && no_tags && errors.is_empty() {
        errors.push(
            args.tags.span().unwrap_or_else(Span::call_site),
            "#[invalidates] needs the readers to invalidate, e.g. `#[invalidates(get_user(id))]`, or `tags = [\"user:{id}\"]`",
        );
    }
    if let Some(tx) = args.transaction.get() {
        match model.arg(&tx.to_string()) {
            None => errors.push(
                tx.span(),
                format!(
                    "`transaction = {tx}` names no argument of `{}`: {}",
                    model.name(),
                    model.arg_names()
                ),
            ),
            Some(arg) if !matches!(arg.form, ArgForm::Exclusive) => errors.push(
                tx.span(),
                format!(
                    "`{tx}` must be taken as `&mut memotrace::db::sqlx::Transaction<'_, DB>`: the invalidations are queued on it after the body, and its caller commits it"
                ),
            ),
            Some(_) => {}
        }
    }
    if args.transaction.get().is_some() || args.double_delete.get().is_some() {
        check_runs_later(args, errors);
    }
}

/// Invalidations that run after the writer returns (at the commit, or a second time)
/// keep their arguments: a reader called on a receiver cannot be kept.
fn check_runs_later(args: &InvalidatesArgs, errors: &mut Errors) {
    let setting = if args.transaction.get().is_some() {
        "transaction"
    } else {
        "double_delete"
    };
    for target in &args.targets {
        if let Callee::Method(receiver) = &target.callee {
            errors.push_spanned(
                receiver,
                format!(
                    "with `{setting}`, the invalidation of `{}` runs after the writer returns and cannot keep a receiver: name the reader by its path, e.g. `Self::{}(..)`, with a key that does not read `self`",
                    target.name, target.name
                ),
            );
        }
    }
}
