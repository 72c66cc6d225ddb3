//! Expands `#[instrument_db]`: the fn keeps its signature, its body runs inside a
//! `__private::DbCall` that opens the `db.query` span and emits the events.

use super::args::Statement;
use super::check::Config;
use crate::common::FnModel;
use crate::common::naming::{local, static_item};
use crate::common::signature::{Output, contains_impl_trait};
use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

pub(super) fn expand(model: &FnModel, config: &Config) -> TokenStream {
    let krate = &config.krate;
    let private = quote!(#krate::__private);
    let call = local("db_call");
    let result = local("db_result");
    let params_var = local("db_params");
    let site = static_item("db_site");

    let opt = |value: Option<&str>| match value {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    };
    let system = &config.system;
    let (static_statement, dynamic_statement) = match &config.statement {
        Statement::Literal(lit) => {
            let lit = LitStr::new(&lit.value(), lit.span());
            (
                quote!(::core::option::Option::Some(#lit)),
                quote!(::core::option::Option::None),
            )
        }
        Statement::Arg(ident) => (
            quote!(::core::option::Option::None),
            quote!(::core::option::Option::Some(::core::convert::AsRef::<str>::as_ref(&#ident))),
        ),
    };
    let operation = opt(config.operation.as_deref());
    let table = opt(config.table.as_deref());
    let slow_ms = config.slow_ms.unwrap_or(0);
    let params = config.params.iter().map(|p| {
        let name = p.to_string();
        quote!(#params_var.param(#name, &#p);)
    });
    let params_closure = if config.params.is_empty() {
        quote!(|_: &mut #private::DbParams| {})
    } else {
        quote!(|#params_var: &mut #private::DbParams| { #(#params)* })
    };

    let ret_ty = model.return_type();
    let annotation = if contains_impl_trait(&ret_ty) {
        quote!()
    } else {
        quote!(: #ret_ty)
    };
    let finish = match model.output {
        Output::Result => quote!(#call.finish_result(&#result);),
        _ => quote!(#call.finish();),
    };
    let block = &model.block;
    let fake = local("fake_return");
    let run = if model.is_async() {
        let fake_return = if contains_impl_trait(&ret_ty) {
            quote!()
        } else {
            // Tells inference the async block returns the fn's type, so `?` and `return`
            // in the body behave as they did.
            quote! {
                #[allow(
                    unknown_lints, unreachable_code, clippy::diverging_sub_expression,
                    clippy::empty_loop, clippy::let_unit_value, clippy::unreachable,
                    clippy::needless_return
                )]
                if false {
                    let #fake: #ret_ty = loop {};
                    return #fake;
                }
            }
        };
        quote! {
            #[allow(clippy::let_unit_value)]
            let #result #annotation = #call.instrument(async move { #fake_return #block }).await;
        }
    } else {
        quote! {
            #[allow(clippy::let_unit_value, clippy::redundant_closure_call)]
            let #result #annotation = #call.in_scope(move || #block);
        }
    };

    let body = quote! {
        {
            #[allow(clippy::declare_interior_mutable_const)]
            static #site: #private::DbSite = #private::DbSite::new(#system, #static_statement, #operation, #table, #slow_ms);
            let #call = #private::DbCall::start(&#site, #dynamic_statement, #params_closure);
            #run
            #finish
            #result
        }
    };
    let (attrs, vis, sig) = (&model.attrs, &model.vis, &model.sig);
    quote!(#(#attrs)* #vis #sig #body)
}
