//! Checks `#[log_performance]`'s arguments against each other and against the function.

use super::args::{Config, RESERVED};
use crate::common::args::closest;
use crate::common::{Errors, FnModel};
use syn::spanned::Spanned;

pub(super) fn check(config: &Config, model: Option<&FnModel>, errors: &mut Errors) {
    let (fields, skip) = (&config.fields, &config.skip);
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
