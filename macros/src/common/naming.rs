//! Names of what the expansions generate: every local and static starts with
//! `__memotrace_` / `__MEMOTRACE_`, so generated code reads the same in the three macros'
//! expansions and cannot collide with the user's names.

use proc_macro2::{Ident, Span};

/// A generated local, `__memotrace_{name}`, hygienic (invisible to the user's tokens).
pub(crate) fn local(name: &str) -> Ident {
    Ident::new(&format!("__memotrace_{name}"), Span::mixed_site())
}

/// A generated static, `__MEMOTRACE_{NAME}`, hygienic.
pub(crate) fn static_item(name: &str) -> Ident {
    Ident::new(
        &format!("__MEMOTRACE_{}", name.to_ascii_uppercase()),
        Span::mixed_site(),
    )
}

/// The flag through which a `#[cached]` fn tells the `#[log_performance]` wrapping it
/// whether the call was a hit. Both expansions name it, so it is not hygienic.
pub(crate) fn cache_hit_flag() -> Ident {
    Ident::new("__memotrace_cache_hit", Span::call_site())
}
