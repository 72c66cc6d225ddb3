//! Tokens out: the function with its body wrapped in a timed run (inside a span named
//! after the operation unless `span = false`). The expansion binds the fields, calls, and
//! hands the outcome to its `PerfSite` static, whose callsites (the events' and the
//! span's, located in the user's module, so `RUST_LOG` targets and interest checks are
//! that module's) the runtime builds and dispatches.

use super::args::{Config, Level};
use crate::common::FnModel;
use crate::common::args::runtime_path;
use crate::common::naming::{cache_hit_flag, local, static_item};
use crate::common::signature::{Output, contains_impl_trait};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::LitStr;

pub(super) fn expand(config: &Config, model: &FnModel) -> TokenStream {
    let path = runtime_path(config.krate.clone());
    let pv = quote!(#path::__private);
    let tr = quote!(#pv::tracing);
    let (attrs, vis, sig, block) = (&model.attrs, &model.vis, &model.sig, &model.block);
    let name = config
        .name
        .clone()
        .unwrap_or_else(|| LitStr::new(&model.name().to_string(), model.name().span()));
    let level = config.level.ident();
    let slow_ms = config.slow_ms.unwrap_or(0);

    let (site, active, capture, run, report, ret) = (
        static_item("perf_site"),
        local("active"),
        local("capture"),
        local("run"),
        local("report"),
        local("ret"),
    );
    let (op_span, op_span_ref, entered) = (local("span"), local("span_ref"), local("entered"));
    let e = local("e");

    // The site's level: the least verbose level an event of a successful call can have.
    // A `slow` threshold can raise it to warn, and filters are thresholds, so the call is
    // timed when that level is on.
    let site_level = if config.slow_ms.is_some()
        && matches!(config.level, Level::Trace | Level::Debug | Level::Info)
    {
        Level::Warn.ident()
    } else {
        level.clone()
    };

    let mut captures = Vec::new();
    let mut values = Vec::new();
    let mut names = Vec::new();
    // Above `#[cached]`: the cached body marks the flag on a hit; it is the first field
    // after the outcome's own.
    let hit_flag = cache_hit_flag();
    let declare_hit = config.cache_hit.then(|| {
        names.push("cache_hit".to_owned());
        values.push(quote!(&#hit_flag.get()));
        quote!(let #hit_flag = &#pv::CacheHit::new();)
    });
    for (i, field) in config.fields.iter().enumerate() {
        let var = local(&format!("field_{i}"));
        let expr = &field.expr;
        captures.push(quote! {
            let #var = if #capture {
                ::core::option::Option::Some({
                    #[allow(unused_imports)]
                    use #pv::{CaptureClone as _, CaptureCopy as _, CaptureDebug as _};
                    (&&&#pv::Capture(&(#expr))).__memotrace_capture()
                })
            } else {
                ::core::option::Option::None
            };
        });
        names.push(field.text.clone());
        values.push(quote!(&#var));
    }
    let capture_flag = (!captures.is_empty())
        .then(|| quote!(let #capture: bool = #active || #pv::perf_errors_on();));

    // The events' field names: the outcome's own, then the flag and `fields(..)`.
    let field_names = |own: &[&str]| {
        let all = ["message", "operation", "duration_ms", "success"]
            .iter()
            .chain(own)
            .map(|n| (*n).to_owned())
            .chain(names.iter().cloned());
        quote!(&[#(#all),*])
    };
    let (completed, failed, warning) = (
        field_names(&[]),
        field_names(&["error_type", "error"]),
        field_names(&["slow"]),
    );
    let span_arg = match (config.span, model.is_async()) {
        (false, _) => quote!(::core::option::Option::None),
        (true, false) => quote!(#op_span_ref.span()),
        (true, true) => quote!(#op_span_ref),
    };
    // The site writes the outcome's event (from callsites in this fn's module) and
    // records it on the span.
    let emit = quote! {
        move |#report: #pv::PerfReport<'_>| #site.report(
            #report,
            #span_arg,
            &[#(::core::option::Option::Some(#values as &dyn #tr::Value)),*],
        )
    };

    let ret_ty = model.return_type();
    let typed = !contains_impl_trait(&ret_ty);
    let finish = match model.output {
        Output::Result => quote! {
            if let ::core::result::Result::Err(#e) = &#ret { #run.err(#e) } else { #run.ok() }
        },
        _ => quote!(#run.ok();),
    };

    // The span, opened only when the call is timed (its level is on, or metrics are) and
    // spans are wanted (OTLP export is on, or `perf::set_spans(true)`): otherwise it is
    // `None`, and nothing more than without spans runs.
    // Sync: entered for the whole call (declared before the run, so a panic's report is
    // still inside it). Async: entered while polling, and again for the end.
    let open_span = match (config.span, model.is_async()) {
        (false, _) => None,
        (true, false) => Some(quote! {
            let #entered: #pv::PerfSpan = #pv::PerfSpan::open(&#site, #active);
            let #op_span_ref: &#pv::PerfSpan = &#entered;
        }),
        (true, true) => Some(quote! {
            let #op_span: ::core::option::Option<#tr::Span> = #site.span_if(#active);
            let #op_span_ref: ::core::option::Option<&#tr::Span> = #op_span.as_ref();
        }),
    };
    let call = if model.is_async() {
        let body = if typed {
            quote!(#pv::perf_typed::<#ret_ty, _>(async move #block))
        } else {
            quote!(async move #block)
        };
        let future = quote!(#pv::PerfFuture::new(#run, #body));
        let future = if config.span {
            quote!(#tr::Instrument::instrument(#future, #op_span.clone().unwrap_or_else(#tr::Span::none)))
        } else {
            future
        };
        quote! {
            let (#ret, #run) = #future.await;
        }
    } else {
        let annot = typed.then(|| quote!(: #ret_ty));
        quote! {
            #[allow(clippy::redundant_closure_call)]
            let #ret #annot = (move || #block)();
        }
    };
    let finish = if config.span && model.is_async() {
        quote!({
            let #entered = #op_span.as_ref().map(#tr::Span::enter);
            #finish
        })
    } else {
        finish
    };

    // The events and the span are located at the attribute, as `event!` written there
    // would be; the operation's own metadata at the fn's name.
    let event_line = quote!(::core::line!());
    let event_name = quote!(::core::concat!(
        "event ",
        ::core::file!(),
        ":",
        ::core::line!()
    ));
    let span = model.name().span();
    let prologue = quote_spanned! {span=>
        static #site: #pv::PerfSite = #pv::PerfSite::new(
            #name,
            #tr::Level::#level,
            #tr::Level::#site_level,
            #pv::PerfLocation {
                target: ::core::module_path!(),
                file: ::core::file!(),
                line: ::core::line!(),
                event_line: #event_line,
                event_name: #event_name,
            },
            #pv::PerfFieldNames { completed: #completed, failed: #failed, warning: #warning },
            &#site,
        );
    };
    quote! {
        #(#attrs)*
        #vis #sig {
            #prologue
            #declare_hit
            let #active: bool = #pv::perf_metrics_on() || #site.enabled();
            #capture_flag
            #(#captures)*
            #open_span
            let #run = #pv::PerfRun::start(&#site, #active, #slow_ms, #emit);
            #call
            #finish
            #ret
        }
    }
}
