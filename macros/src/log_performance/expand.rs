//! Tokens out: the function with its body wrapped in a timed run (inside a span named
//! after the operation unless `span = false`) whose events are emitted from call sites in
//! the user's crate (so `RUST_LOG` targets and interest checks are the user's module's).

use super::args::{Config, Level};
use crate::common::args::runtime_path;
use crate::common::naming::{cache_hit_flag, local, static_item};
use crate::common::signature::{contains_impl_trait, Output};
use crate::common::FnModel;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{Ident, LitStr};

/// A hygienic local named as the event field it fills (`duration_ms`, `error`, ..).
fn field_local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

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
    let (duration_ms, error_type, error, e) = (
        field_local("duration_ms"),
        field_local("error_type"),
        field_local("error"),
        local("e"),
    );

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
    let mut event_fields = Vec::new();
    for (i, field) in config.fields.iter().enumerate() {
        let var = local(&format!("field_{i}"));
        let expr = &field.expr;
        let fname = &field.name;
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
        event_fields.push(quote!(#fname = #var,));
    }
    let capture_flag = (!captures.is_empty())
        .then(|| quote!(let #capture: bool = #active || #pv::perf_errors_on();));

    // Above `#[cached]`: the cached body marks the flag on a hit.
    let hit_flag = cache_hit_flag();
    let (declare_hit, hit_field) = if config.cache_hit {
        (
            Some(quote!(let #hit_flag = &#pv::CacheHit::new();)),
            Some(quote!(cache_hit = #hit_flag.get(),)),
        )
    } else {
        (None, None)
    };
    let f = quote!(#hit_field #(#event_fields)*);
    // The span gets the outcome after the event is written, so the event's line does not
    // repeat the span's copy of its fields.
    let record_span = config.span.then(|| {
        let span = if model.is_async() {
            quote!(#op_span_ref)
        } else {
            quote!(#op_span_ref.span())
        };
        quote!(#pv::perf_span_end(#span, #report);)
    });
    // One `event!` callsite per level (a callsite's level is static): the fn's level for a
    // completion, ERROR for an `Err` or a panic, WARN for a slow completion or a
    // cancellation, whose fields come from the report.
    let (success, slow, event_name) = (
        field_local("success"),
        field_local("slow"),
        local("event_name"),
    );
    let events = quote! {
        match #report {
            #pv::PerfReport::Completed { #duration_ms, slow: false } => {
                #tr::event!(#tr::Level::#level, operation = #name, #duration_ms, success = true, #f "operation_completed");
            }
            #pv::PerfReport::Failed { .. } | #pv::PerfReport::Panicked { .. } => {
                let (#duration_ms, #error_type, #error) = #report.failure();
                #tr::event!(#tr::Level::ERROR, operation = #name, #duration_ms, success = false, #error_type, #error, #f "operation_failed");
            }
            _ => {
                let (#duration_ms, #success, #slow, #event_name) = #report.warning();
                #tr::event!(#tr::Level::WARN, operation = #name, #duration_ms, #success, #slow, #f "{}", #event_name);
            }
        }
    };
    let emit = quote! {
        move |#report: #pv::PerfReport<'_>| {
            #events
            #record_span
        }
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
    let new_span = quote! {
        #tr::span!(
            #tr::Level::#level,
            #name,
            duration_ms = #tr::field::Empty,
            success = #tr::field::Empty,
            error_type = #tr::field::Empty,
            cache.hit = #tr::field::Empty,
            otel.status_code = #tr::field::Empty,
        )
    };
    // Sync: entered for the whole call (declared before the run, so a panic's report is
    // still inside it). Async: entered while polling, and again for the end.
    let open_span = match (config.span, model.is_async()) {
        (false, _) => None,
        (true, false) => Some(quote! {
            let #entered: #pv::PerfSpan =
                if #active && #pv::perf_spans_on() { #pv::PerfSpan::enter(|| #new_span) } else { #pv::PerfSpan::none() };
            let #op_span_ref: &#pv::PerfSpan = &#entered;
        }),
        (true, true) => Some(quote! {
            let #op_span: ::core::option::Option<#tr::Span> =
                if #active && #pv::perf_spans_on() { ::core::option::Option::Some(#new_span) } else { ::core::option::Option::None };
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

    let span = model.name().span();
    let prologue = quote_spanned! {span=>
        static #site: #pv::PerfSite = #pv::PerfSite::new(
            #name,
            #tr::Level::#site_level,
            ::core::module_path!(),
            ::core::file!(),
            ::core::line!(),
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
