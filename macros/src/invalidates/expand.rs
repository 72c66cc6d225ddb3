//! Tokens out: the writer, whose body runs first; when it succeeds (`Ok`, `Some`, or any
//! value of another type) each target's `{fn}_invalidate` companion is called and the
//! tags are dropped — awaited in an async writer, waited for in a sync one.
//!
//! With `transaction = tx` nothing runs then: an invalidation that keeps the targets'
//! arguments (owned, cloned for each run) is queued on `tx`, to run when it commits.
//! With `double_delete`, the same invalidation runs again after the delay, in the
//! background.

use super::args::{Callee, InvalidatesArgs, Target};
use crate::common::FnModel;
use crate::common::args::runtime_path;
use crate::common::naming::local;
use crate::common::signature::{Output, contains_impl_trait};
use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

pub(super) fn expand(args: &InvalidatesArgs, model: &FnModel) -> TokenStream {
    let rt = runtime_path(args.krate.get().cloned());
    let pv = quote!(#rt::__private);
    let asyncness = model.is_async();

    // Target arguments are evaluated before the body, as the reader would have been
    // called with them: the body may consume the writer's arguments.
    let mut bind = Vec::new();
    let mut drops = Vec::new();
    let mut targets = Vec::new();
    for (t, target) in args.targets.iter().enumerate() {
        let locals: Vec<Ident> = target
            .args
            .iter()
            .enumerate()
            .map(|(a, arg)| Ident::new(&format!("__memotrace_target{t}_{a}"), arg.span()))
            .collect();
        for (local, arg) in locals.iter().zip(&target.args) {
            bind.push(quote_spanned!(arg.span()=> let #local = #arg;));
        }
        let call = companion_call(
            target,
            &locals.iter().map(|l| quote!(#l)).collect::<Vec<_>>(),
        );
        targets.push((target, locals));
        let settle = if asyncness {
            quote!(.settled().await)
        } else {
            quote!(.settled_blocking())
        };
        drops.push(quote! {
            #pv::Settle(#call) #settle;
        });
    }
    let tags = local("tags");
    let tagged = args.tags.get().filter(|t| !t.is_empty());
    if let Some(templates) = tagged {
        let renders = templates.iter().map(|t| t.render(&rt));
        bind.push(
            quote!(let #tags: ::std::vec::Vec<::std::string::String> = ::std::vec![#(#renders),*];),
        );
        drops.push(if asyncness {
            quote!(#pv::invalidate_tags(#tags).await;)
        } else {
            quote!(#pv::invalidate_tags_blocking(#tags);)
        });
    }
    let job = local("job");
    let settle = match (
        later(args, &pv, &targets, tagged.is_some()),
        args.transaction.get(),
    ) {
        (None, _) => quote! { #(#drops)* },
        (Some(later), Some(tx)) => {
            let delay = option_ms(args.double_delete.get().copied());
            let defer = quote_spanned!(tx.span()=> #pv::defer(&mut *#tx, #job, #delay););
            quote! { #later #defer }
        }
        (Some(later), None) => {
            let delay = args.double_delete.get().copied().unwrap_or_default();
            quote! { #later #(#drops)* #pv::delete_again(#job, #delay); }
        }
    };

    let out = local("out");
    let ret = model.return_type();
    let typed = !contains_impl_trait(&ret);
    let block = &model.block;
    let run = if asyncness {
        if typed {
            quote!(#pv::body_returning::<#ret, _>(async #block).await)
        } else {
            quote!(async #block.await)
        }
    } else {
        let annot = typed.then(|| quote!(-> #ret));
        quote!((|| #annot #block)())
    };
    let succeeded = match model.output {
        Output::Result => quote!(::core::result::Result::is_ok(&#out)),
        Output::Option => quote!(::core::option::Option::is_some(&#out)),
        Output::Unit | Output::Plain => quote!(true),
    };
    let (attrs, vis, sig) = (&model.attrs, &model.vis, &model.sig);
    quote! {
        #(#attrs)*
        #[allow(clippy::redundant_closure_call)]
        #vis #sig {
            #(#bind)*
            let #out = #run;
            if #succeeded {
                #[allow(unused_imports)]
                use #pv::{SettleLater as _, SettleNow as _};
                #settle
            }
            #out
        }
    }
}

/// With `transaction` or `double_delete`: `let __memotrace_job = ..;`, the invalidation
/// that runs later, keeping the targets' arguments and the rendered tags.
fn later(
    args: &InvalidatesArgs,
    pv: &TokenStream,
    targets: &[(&Target, Vec<Ident>)],
    tagged: bool,
) -> Option<TokenStream> {
    if args.transaction.get().is_none() && args.double_delete.get().is_none() {
        return None;
    }
    let mut keep = Vec::new();
    let mut again = Vec::new();
    let mut calls = Vec::new();
    for (target, locals) in targets {
        let mut kept_args = Vec::new();
        for (local, arg) in locals.iter().zip(&target.args) {
            let kept = Ident::new(&format!("{local}_kept"), arg.span());
            keep.push(quote_spanned!(arg.span()=> let #kept = #pv::Keep(&#local).keep();));
            again.push(quote!(let #kept = ::core::clone::Clone::clone(&#kept);));
            kept_args.push(quote_spanned!(arg.span()=> #kept.arg()));
        }
        let call = companion_call(target, &kept_args);
        calls.push(quote!(#pv::Settle(#call).settled().await;));
    }
    if tagged {
        let tags = local("tags");
        let kept = local("tags_kept");
        keep.push(quote!(let #kept = ::core::clone::Clone::clone(&#tags);));
        again.push(quote!(let #kept = ::core::clone::Clone::clone(&#kept);));
        calls.push(quote!(#pv::invalidate_tags(#kept).await;));
    }
    let job = local("job");
    Some(quote! {
        let #job = {
            #[allow(unused_imports)]
            use #pv::{KeepBorrowed as _, KeepOwned as _};
            #(#keep)*
            #pv::invalidation(move || {
                #(#again)*
                async move {
                    #(#calls)*
                }
            })
        };
    })
}

/// `Some(ms)` or `None`, as the runtime's `Option<u64>` of milliseconds.
fn option_ms(ms: Option<u64>) -> TokenStream {
    match ms {
        Some(ms) => quote!(::core::option::Option::Some(#ms)),
        None => quote!(::core::option::Option::None),
    }
}

/// `get_user_invalidate(args..)` (or `self.get_user_invalidate(args..)`), spanned on the
/// reader's name so that rustc's "cannot find" or "takes 1 argument" points at it.
fn companion_call(target: &Target, args: &[TokenStream]) -> TokenStream {
    let span = target.name.span();
    let companion = Ident::new(&format!("{}_invalidate", target.name.unraw()), span);
    match &target.callee {
        Callee::Path(prefix) => quote_spanned!(span=> #prefix #companion(#(#args),*)),
        Callee::Method(receiver) => quote_spanned!(span=> #receiver.#companion(#(#args),*)),
    }
}
