//! Checks of `#[invalidates]` against the writer; whether each target is a `#[cached]`
//! fn taking these arguments is checked by rustc on the expansion's call of its
//! `{fn}_invalidate` companion, spanned on the target's tokens.

use super::args::InvalidatesArgs;
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
}
