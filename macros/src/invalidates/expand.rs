//! Tokens out: the writer, whose body runs first; when it succeeds (`Ok`, `Some`, or any
//! value of another type) each target's `{fn}_invalidate` companion is called and the
//! tags are dropped — awaited in an async writer, waited for in a sync one.

use super::args::{Callee, InvalidatesArgs, Target};
use crate::common::args::runtime_path;
use crate::common::naming::local;
use crate::common::signature::{contains_impl_trait, Output};
use crate::common::FnModel;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote, quote_spanned};
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
    for (t, target) in args.targets.iter().enumerate() {
        let locals: Vec<Ident> = (0..target.args.len())
            .map(|a| format_ident!("__memotrace_target{}_{}", t, a))
            .collect();
        for (local, arg) in locals.iter().zip(&target.args) {
            let local = Ident::new(&local.to_string(), arg.span());
            bind.push(quote_spanned!(arg.span()=> let #local = #arg;));
        }
        let call = companion_call(target, &locals);
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
    if let Some(templates) = args.tags.get().filter(|t| !t.is_empty()) {
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
                #(#drops)*
            }
            #out
        }
    }
}

/// `get_user_invalidate(args..)` (or `self.get_user_invalidate(args..)`), spanned on the
/// reader's name so that rustc's "cannot find" or "takes 1 argument" points at it.
fn companion_call(target: &Target, locals: &[Ident]) -> TokenStream {
    let span = target.name.span();
    let companion = Ident::new(&format!("{}_invalidate", target.name.unraw()), span);
    let args = locals
        .iter()
        .zip(&target.args)
        .map(|(local, arg)| Ident::new(&local.to_string(), arg.span()));
    match &target.callee {
        Callee::Path(prefix) => quote_spanned!(span=> #prefix #companion(#(#args),*)),
        Callee::Method(receiver) => quote_spanned!(span=> #receiver.#companion(#(#args),*)),
    }
}
