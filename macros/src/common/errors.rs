//! Collects every `syn::Error` of one macro invocation so all mistakes are reported in
//! one build, the way serde_derive's `Ctxt` does.

use proc_macro2::{Span, TokenStream};
use std::fmt::Display;

/// Accumulates errors; [`Errors::finish`] turns them into one combined `syn::Error`.
#[derive(Default)]
pub(crate) struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    /// Records an error spanned on `span`.
    pub(crate) fn push(&mut self, span: Span, message: impl Display) {
        self.errors.push(syn::Error::new(span, message));
    }

    /// Records an error spanned on the given tokens (start to end).
    pub(crate) fn push_spanned(&mut self, tokens: impl quote::ToTokens, message: impl Display) {
        self.errors.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records an already built error.
    pub(crate) fn push_error(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// Whether nothing was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Records every error of `other`.
    pub(crate) fn append(&mut self, other: Self) {
        self.errors.extend(other.errors);
    }

    /// Keeps the value of `result`, recording its error.
    pub(crate) fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|e| self.push_error(e)).ok()
    }

    /// `Ok(())` when nothing was recorded, else every error combined.
    pub(crate) fn finish(self) -> syn::Result<()> {
        let mut errors = self.errors.into_iter();
        match errors.next() {
            None => Ok(()),
            Some(mut first) => {
                first.extend(errors);
                Err(first)
            }
        }
    }
}

/// The output of a macro that failed: the compile errors beside the original item, so the
/// user sees the real mistake and not a cascade of follow-up errors about a missing fn.
pub(crate) fn with_original(error: &syn::Error, original: TokenStream) -> TokenStream {
    let errors = error.to_compile_error();
    quote::quote! { #errors #original }
}
