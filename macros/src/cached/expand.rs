//! Tokens out: the cached fn, `{fn}_uncached` (the original body), `{fn}_cache()`,
//! `{fn}_invalidate(..)`, `{fn}_put(..)`, `{fn}_with_status(..)` (the fn called in a
//! status scope), and hidden fns rendering the key and the tags. The logic lives in
//! the runtime; the expansion only binds the key, matches on the lookup and calls the
//! body. What is written per fn is kept small, since every fn pays for it at compile
//! time: the cached call is the fn's own body (an async fn is one state machine, not a
//! wrapper awaiting a second one, and `{fn}_with_status` returns the fn's future in a
//! `WithStatus` instead of being an async fn too); the cache's config is a constant; a
//! miss is completed by generic runtime code that takes no closure of the fn's;
//! templates are rendered in one place; and the companions a crate does not call are
//! `#[inline]` (not compiled to machine code).

use super::args::{CachedArgs, KeySpec, StoreKind};
use super::expiry;
use super::timeouts;
use crate::common::FnModel;
use crate::common::args::runtime_path;
use crate::common::naming::cache_hit_flag;
use crate::common::signature::{ArgForm, Output};
use crate::common::template::Template;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Pat, PatIdent, Path};

/// The expansion. For `store = redis | tiered` it goes through the runtime's
/// `require_redis!`, which keeps it when the `redis` feature is on and otherwise
/// replaces it with one error naming the feature and the [`fallback`] companions (so
/// call sites add no errors of their own).
pub(super) fn expand(args: &CachedArgs, model: &FnModel) -> TokenStream {
    let e = Expansion::new(args, model, false);
    let tokens = e.tokens();
    if !e.shared() {
        return tokens;
    }
    let rt = &e.rt;
    let without_redis = fallback(args, model, false);
    quote! {
        #rt::__private::require_redis! { { #tokens } { #without_redis } }
    }
}

/// After a mistake: the fn as written, and its companions with their signatures and
/// `unreachable!()` bodies (as thiserror's fallback impls), so that the mistake is the
/// one error and not one more at each call site. When the fn's types themselves are
/// wrong (`sound` false) the companions' types cannot be written: only `_uncached` and
/// `_invalidate` are emitted.
pub(super) fn fallback(args: &CachedArgs, model: &FnModel, sound: bool) -> TokenStream {
    let e = Expansion::new(args, model, true);
    let FnModel {
        attrs,
        vis,
        sig,
        block,
        ..
    } = model;
    let outer = &args.outer;
    let uncached = e.uncached();
    let invalidate = e.invalidate_fn();
    let typed = sound.then(|| {
        let cache_fn = e.cache_fn();
        let put = e.put_fn();
        let status = e.status_fn();
        quote!(#cache_fn #put #status)
    });
    quote! {
        #(#outer)* #(#attrs)* #vis #sig #block
        #uncached #invalidate #typed
    }
}

struct Expansion<'a> {
    args: &'a CachedArgs,
    model: &'a FnModel,
    rt: Path,
    /// The arguments as the wrapper names them (patterns get a generated name).
    names: Vec<Ident>,
    /// Companions with `unreachable!()` bodies, for [`fallback`].
    stub: bool,
}

impl<'a> Expansion<'a> {
    fn new(args: &'a CachedArgs, model: &'a FnModel, stub: bool) -> Self {
        let names = model
            .args
            .iter()
            .enumerate()
            .map(|(i, a)| {
                a.ident
                    .clone()
                    .unwrap_or_else(|| format_ident!("__memotrace_arg{}", i))
            })
            .collect();
        Self {
            args,
            model,
            rt: runtime_path(args.krate.get().cloned()),
            names,
            stub,
        }
    }

    fn tokens(&self) -> TokenStream {
        let wrapper = self.wrapper();
        let uncached = self.uncached();
        let cache_fn = self.cache_fn();
        let invalidate = self.invalidate_fn();
        let put = self.put_fn();
        let status = self.status_fn();
        let kind_fn = self.kind_fn();
        let key_fn = self.key_fn();
        let tags_fn = self.tags_fn();
        quote! { #wrapper #uncached #cache_fn #invalidate #put #status #kind_fn #key_fn #tags_fn }
    }

    fn ident(&self, suffix: &str) -> Ident {
        let name = self.model.name();
        Ident::new(&format!("{}_{suffix}", name.unraw()), name.span())
    }

    fn prefix(&self) -> TokenStream {
        if self.model.receiver.is_some() {
            quote!(Self::)
        } else {
            TokenStream::new()
        }
    }

    fn store(&self) -> StoreKind {
        self.args.store.get().copied().unwrap_or(StoreKind::Memory)
    }

    /// Whether the cache is shared over the network (Redis or tiered): keys are strings,
    /// and completing a load and the companions are async.
    fn shared(&self) -> bool {
        self.store() != StoreKind::Memory
    }

    /// `.await` after calls that reach a shared store.
    fn store_await(&self) -> Option<TokenStream> {
        self.shared().then(|| quote!(.await))
    }

    /// `OkOnly` / `ResultAll` / `SomeOnly` / `OptionAll` / `Plain`.
    fn kind(&self) -> TokenStream {
        let rt = &self.rt;
        let kind = Ident::new(self.kind_name(), Span::call_site());
        quote!(#rt::__private::#kind)
    }

    fn kind_name(&self) -> &'static str {
        match &self.model.output {
            Output::Result if self.args.expiry.caches_err() => "ResultAll",
            Output::Result => "OkOnly",
            Output::Option if self.args.cache_none.get() == Some(&true) => "OptionAll",
            Output::Option => "SomeOnly",
            Output::Plain | Output::Unit => "Plain",
        }
    }

    /// The return kind handed to the store with a value to store: [`Self::kind`], or,
    /// with a per-entry lifetime rule, a call of [`Self::kind_fn`].
    fn load_kind(&self) -> TokenStream {
        if !self.args.expiry.has_rule() {
            return self.kind();
        }
        let prefix = self.prefix();
        let ident = self.kind_fn_ident();
        quote!(#prefix #ident())
    }

    fn kind_fn_ident(&self) -> Ident {
        let name = self.model.name();
        Ident::new(&format!("__memotrace_kind_{}", name.unraw()), name.span())
    }

    /// With a per-entry lifetime rule: a hidden fn answering the return kind with the
    /// rule, so that the rule is written (and a mistake in it reported) once, however
    /// many places store values (the load, a refresh, `{fn}_put`).
    fn kind_fn(&self) -> Option<TokenStream> {
        let rt = &self.rt;
        let kind = self.kind();
        let ret = self.model.return_type();
        let (rule, span) =
            expiry::kind_value(&self.args.expiry, rt, kind.clone(), &ret.to_token_stream())?;
        let ident = self.kind_fn_ident();
        let shared = split_attrs(&self.model.attrs).shared;
        // A mistake in the rule (a closure returning the wrong type) is reported here,
        // where the kind must be a `ReturnKind`, spanned on the rule.
        let returns = quote_spanned! {span=>
            impl #rt::__private::ReturnKind<#ret, Value = #rt::__private::ValueOf<#kind, #ret>>
        };
        Some(quote! {
            #[doc(hidden)]
            #[inline]
            #(#shared)*
            fn #ident() -> #returns {
                #rule
            }
        })
    }

    fn key_type(&self) -> TokenStream {
        if self.args.key.get().is_some() {
            return quote!(::std::string::String);
        }
        let types: Vec<TokenStream> = self
            .model
            .args
            .iter()
            .map(|a| match &a.form {
                ArgForm::Shared(referent) => quote!(<#referent as ::std::borrow::ToOwned>::Owned),
                _ => a.ty.to_token_stream(),
            })
            .collect();
        match types.as_slice() {
            [single] => single.clone(),
            many => quote!((#(#many,)*)),
        }
    }

    /// The value the cache holds (`ValueOf<kind, R>`), written out: the return type, or
    /// for `Ok` / `Some` values only its first type argument. A projection would be
    /// normalized by the type checker at every use.
    fn value_type(&self) -> TokenStream {
        let ret = self.model.return_type();
        if !matches!(self.kind_name(), "OkOnly" | "SomeOnly") {
            return ret.to_token_stream();
        }
        first_type_arg(&ret).unwrap_or_else(|| {
            let (rt, kind) = (&self.rt, self.kind());
            quote!(#rt::__private::ValueOf<#kind, #ret>)
        })
    }

    fn cache_type(&self) -> TokenStream {
        let rt = &self.rt;
        let value = self.value_type();
        match self.store() {
            StoreKind::Memory => {
                let key = self.key_type();
                let engine = if self.args.tti.get().is_some() {
                    quote!(#rt::__private::MokaStore<#key, #value>)
                } else {
                    super::weight::engine(self.args, rt, &key, &value)
                        .unwrap_or_else(|| quote!(#rt::__private::QuickStore<#key, #value>))
                };
                quote!(#rt::__private::MemoryCache<#key, #value, #engine>)
            }
            StoreKind::Redis => quote!(#rt::__private::RedisCache<#value>),
            StoreKind::Tiered => quote!(#rt::__private::TieredCache<#value>),
        }
    }

    /// Statements binding `__memotrace_key` (when the key is owned), and the borrowed form to
    /// look up with.
    fn key_binding(&self) -> (TokenStream, TokenStream) {
        match self.args.key.get() {
            Some(KeySpec::Template(t)) => {
                let render = if self.renders_once() {
                    self.render_call("key", self.key_reads_self())
                } else {
                    t.render(&self.rt)
                };
                (
                    quote!(let __memotrace_key: ::std::string::String = #render;),
                    quote!(::std::string::String::as_str(&__memotrace_key)),
                )
            }
            Some(KeySpec::Expr(e)) => (
                quote!(let __memotrace_key: ::std::string::String = ::std::string::ToString::to_string(&(#e));),
                quote!(::std::string::String::as_str(&__memotrace_key)),
            ),
            None if self.shared() => {
                let rt = &self.rt;
                let args = match self.names.as_slice() {
                    [single] => quote!(&#single),
                    names => quote!(&(#(&#names,)*)),
                };
                (
                    quote!(let __memotrace_key: ::std::string::String = #rt::__private::args_key(#args);),
                    quote!(::std::string::String::as_str(&__memotrace_key)),
                )
            }
            None => match (self.model.args.as_slice(), self.names.as_slice()) {
                ([], _) => (TokenStream::new(), quote!(&())),
                ([arg], [name]) => match arg.form {
                    ArgForm::Shared(_) => (TokenStream::new(), quote!(#name)),
                    _ => (TokenStream::new(), quote!(&#name)),
                },
                (args, names) => {
                    let owned = args.iter().zip(names).map(|(a, n)| match a.form {
                        ArgForm::Shared(_) => quote!(::std::borrow::ToOwned::to_owned(#n)),
                        _ => quote!(::std::clone::Clone::clone(&#n)),
                    });
                    (
                        quote!(let __memotrace_key = (#(#owned,)*);),
                        quote!(&__memotrace_key),
                    )
                }
            },
        }
    }

    /// Whether templates (the key's, the tags') are rendered by hidden fns
    /// ([`Self::render_fn`]): when the fn has no generic parameters, which a call of the
    /// hidden fn could not infer.
    fn renders_once(&self) -> bool {
        self.model.sig.generics.params.is_empty() && self.model.sig.generics.where_clause.is_none()
    }

    /// A call of the hidden fn `__memotrace_{what}_{fn}` with references to the arguments.
    fn render_call(&self, what: &str, reads_self: bool) -> TokenStream {
        let prefix = self.prefix();
        let ident = self.render_fn_ident(what);
        let receiver = reads_self.then(|| quote!(&self,));
        let names = &self.names;
        quote!(#prefix #ident(#receiver #(&#names,)*))
    }

    fn render_fn_ident(&self, what: &str) -> Ident {
        let name = self.model.name();
        Ident::new(&format!("__memotrace_{what}_{}", name.unraw()), name.span())
    }

    /// A hidden fn `__memotrace_{what}_{fn}` rendering templates (`render`, of type `ret`)
    /// from references to the arguments, which every place needing them calls: the
    /// templates are type-checked once, not at each place.
    fn render_fn(
        &self,
        what: &str,
        reads_self: bool,
        ret: &TokenStream,
        render: &TokenStream,
    ) -> TokenStream {
        let ident = self.render_fn_ident(what);
        let receiver = reads_self.then(|| quote!(&self,));
        let inputs = self.model.args.iter().zip(&self.names).map(|(arg, name)| {
            let ty = &arg.ty;
            quote!(#name: &#ty)
        });
        let shared = split_attrs(&self.model.attrs).shared;
        quote! {
            #[doc(hidden)]
            #[allow(unused_variables, clippy::trivially_copy_pass_by_ref, clippy::ref_option_ref)]
            #(#shared)*
            fn #ident(#receiver #(#inputs,)*) -> #ret {
                #render
            }
        }
    }

    /// The key template rendered in a hidden fn that the call, `{fn}_invalidate` and
    /// `{fn}_put` call.
    fn key_fn(&self) -> Option<TokenStream> {
        let Some(KeySpec::Template(t)) = self.args.key.get() else {
            return None;
        };
        if !self.renders_once() {
            return None;
        }
        let ret = quote!(::std::string::String);
        Some(self.render_fn("key", self.key_reads_self(), &ret, &t.render(&self.rt)))
    }

    /// The tag templates, when there are any.
    fn tag_templates(&self) -> Option<&[Template]> {
        self.args
            .tags
            .get()
            .map(Vec::as_slice)
            .filter(|tags| !tags.is_empty())
    }

    fn tags_read_self(&self) -> bool {
        self.tag_templates()
            .is_some_and(|tags| tags.iter().any(|t| t.mentions("self")))
    }

    /// The tags rendered in a hidden fn that a load, a refresh and `{fn}_put` call.
    fn tags_fn(&self) -> Option<TokenStream> {
        let tags = self.tag_templates()?;
        if !self.renders_once() {
            return None;
        }
        let rt = &self.rt;
        let renders = tags.iter().map(|t| t.render(rt));
        let render = quote!(::std::vec::Vec::from([#(#renders),*]));
        let ret = quote!(::std::vec::Vec<::std::string::String>);
        Some(self.render_fn("tags", self.tags_read_self(), &ret, &render))
    }

    fn tags(&self) -> TokenStream {
        let rt = &self.rt;
        match self.tag_templates() {
            Some(_) if self.renders_once() => self.render_call("tags", self.tags_read_self()),
            Some(tags) => {
                let renders = tags.iter().map(|t| t.render(rt));
                quote!(::std::vec::Vec::from([#(#renders),*]))
            }
            None => quote!(#rt::__private::no_tags()),
        }
    }

    fn unless(&self) -> TokenStream {
        let rt = &self.rt;
        self.args.unless.get().map_or_else(
            || quote!(#rt::__private::store_all),
            ToTokens::to_token_stream,
        )
    }

    /// `.await` after calls of the fn's companions and of the runtime when the fn is async.
    fn fn_await(&self) -> Option<TokenStream> {
        self.model.is_async().then(|| quote!(.await))
    }

    fn call_uncached(&self) -> TokenStream {
        let prefix = self.prefix();
        let uncached = self.ident("uncached");
        let names = &self.names;
        let receiver = self.model.receiver.as_ref().map(|_| quote!(self,));
        let awaiting = self.fn_await();
        quote!(#prefix #uncached(#receiver #(#names),*) #awaiting)
    }

    /// The arms of the lookup's match answering a fresh value. A hit that claimed a
    /// background refresh drops it, unless the fn refreshes entries (`refresh_ahead`,
    /// `stale_while_revalidate`): then the body runs on copies of the arguments in the
    /// background.
    fn fresh_arms(&self, hit: &TokenStream) -> TokenStream {
        let rt = &self.rt;
        if self.args.refresh_ahead.get().is_none() && !self.args.expiry.revalidates() {
            return quote! {
                #rt::__private::Lookup::Hit(__memotrace_value)
                | #rt::__private::Lookup::Refresh(__memotrace_value, _) => #hit,
            };
        }
        let (owned, call) = self.owned_call();
        let (refresh, job) = if self.model.is_async() {
            (quote!(refresh_async), quote!(async move { #call.await }))
        } else {
            (quote!(refresh), quote!(move || #call))
        };
        let tags = self.tags();
        let unless = self.unless();
        quote! {
            #rt::__private::Lookup::Hit(__memotrace_value) => #hit,
            #rt::__private::Lookup::Refresh(__memotrace_value, __memotrace_refresh) => {
                #(#owned)*
                #rt::__private::CacheStore::#refresh(
                    __memotrace_cache, __memotrace_refresh, __memotrace_kind, #job, #unless, #tags,
                );
                #hit
            }
        }
    }

    /// After a miss: the fn's call, completed by the runtime with the entry's tags
    /// (rendered before the call, which may move the arguments). Under a soft `timeout`
    /// the call runs on copies of the arguments, so that it can go on in the background
    /// once the call has answered the stale value.
    fn miss(&self) -> TokenStream {
        let rt = &self.rt;
        let tags = self.tags();
        let unless = self.unless();
        if self.args.timeouts.soft.get().is_some() {
            let (owned, call) = self.owned_call();
            return quote! {{
                #(#owned)*
                let (__memotrace_answer, __memotrace_answered) = #rt::__private::CacheStore::load_or_stale(
                    __memotrace_cache, __memotrace_load, __memotrace_kind, async move { #call.await }, #unless, #tags,
                ).await;
                #rt::__private::answered(__memotrace_answered);
                __memotrace_answer
            }};
        }
        let finish = if self.model.is_async() {
            quote!(finish_async)
        } else {
            quote!(finish)
        };
        let call = self.call_uncached();
        let awaiting = self.fn_await();
        quote! {
            #rt::__private::#finish(
                __memotrace_cache, __memotrace_load, __memotrace_kind, #tags, #call, #unless,
            ) #awaiting
        }
    }

    /// A call of the body that owns its arguments (and a clone of `self`), to run in the
    /// background: the statements making the copies, and the call.
    fn owned_call(&self) -> (Vec<TokenStream>, TokenStream) {
        let mut owned = Vec::new();
        let mut passed = Vec::new();
        for (i, (arg, name)) in self.model.args.iter().zip(&self.names).enumerate() {
            let copy = format_ident!("__memotrace_a{}", i);
            // Spanned on the argument's type: "`Conn: Clone` is not satisfied" points at
            // the argument the background refresh cannot own.
            let span = arg.ty.span();
            match arg.form {
                ArgForm::Shared(_) => {
                    owned.push(
                        quote_spanned!(span=> let #copy = ::std::borrow::ToOwned::to_owned(#name);),
                    );
                    passed.push(quote!(&#copy));
                }
                _ => {
                    owned.push(
                        quote_spanned!(span=> let #copy = ::std::clone::Clone::clone(&#name);),
                    );
                    passed.push(quote!(#copy));
                }
            }
        }
        let receiver = self.model.receiver.as_ref().map(|r| {
            if r.reference.is_some() {
                owned.push(
                    quote!(let __memotrace_this = <Self as ::std::clone::Clone>::clone(self);),
                );
                quote!(&__memotrace_this,)
            } else {
                owned.push(
                    quote!(let __memotrace_this = <Self as ::std::clone::Clone>::clone(&self);),
                );
                quote!(__memotrace_this,)
            }
        });
        let prefix = self.prefix();
        let uncached = self.ident("uncached");
        (owned, quote!(#prefix #uncached(#receiver #(#passed),*)))
    }

    /// The cached call, the fn's body: with `when`, the bypass; then the lookup, and a
    /// fresh value answered, or the fn called and its value handed to the runtime
    /// (`cache::call`). Every answer but a hit is reported to the `{fn}_with_status`
    /// around the call (if any) once the call has it, after cached calls the body made.
    fn body(&self) -> TokenStream {
        let rt = &self.rt;
        let prefix = self.prefix();
        let cache_fn = self.ident("cache");
        let (bind_key, key_ref) = self.key_binding();
        let awaiting = self.fn_await();
        // Through the runtime's store contract: async fns await the store, sync fns
        // block on it (memory: while another thread loads; shared: the round trip).
        let lookup = if self.model.is_async() {
            quote!(lookup_async)
        } else {
            quote!(lookup)
        };
        let when = self.args.when.get().map(|when| {
            let call = self.call_uncached();
            quote! {
                if !(#when) {
                    #rt::__private::CacheStore::record_bypass(__memotrace_cache);
                    let __memotrace_value = #call;
                    #rt::__private::answered(#rt::cache::CacheStatus::Bypassed);
                    return __memotrace_value;
                }
            }
        });
        // User code run before the lookup (`when`, a key expression) may make cached
        // calls that report: a hit, which reports nothing, must not answer theirs.
        let reset = (self.args.when.get().is_some()
            || matches!(self.args.key.get(), Some(KeySpec::Expr(_))))
        .then(|| quote!(#rt::__private::answered(#rt::cache::CacheStatus::Hit);));
        let load_kind = self.load_kind();
        let wrap = quote!(#rt::__private::ReturnKind::wrap(__memotrace_kind, __memotrace_value));
        let hit = if self.args.report_hit {
            // Under an outer `#[log_performance]`: tells it the call was a hit.
            let flag = cache_hit_flag();
            quote!({ #flag.mark(); #wrap })
        } else {
            wrap
        };
        let fresh = self.fresh_arms(&hit);
        let miss = self.miss();
        quote! {
            let __memotrace_cache = #prefix #cache_fn();
            #when
            #bind_key
            #reset
            let __memotrace_kind = #load_kind;
            let __memotrace_lookup = #rt::__private::CacheLookup::#lookup(__memotrace_cache, #key_ref) #awaiting;
            match __memotrace_lookup {
                #fresh
                #rt::__private::Lookup::Load(__memotrace_load) => #miss,
            }
        }
    }

    /// `{fn}_with_status(args..)`: the call, with how it was answered.
    fn status_fn(&self) -> TokenStream {
        let rt = &self.rt;
        let mut sig = self.model.sig.clone();
        sig.ident = self.ident("with_status");
        sig.inputs = self.plain_inputs().into_iter().collect();
        let ret = self.model.return_type();
        // A stub (after a mistake) stays an `async fn`: its `unreachable!()` body is no
        // future.
        sig.output = if self.model.is_async() && !self.stub {
            // A fn returning the fn's future in a `WithStatus`, not an `async fn` awaiting
            // it: a second state machine per fn cost rustc ~20 M instructions (its
            // layout, drop glue and MIR, encoded even when the fn is never called). The
            // `impl Future` captures every lifetime of the arguments, as the async fn's
            // future does (this crate's edition, 2024, is the edition of these tokens).
            sig.asyncness = None;
            syn::parse_quote!(-> impl ::core::future::Future<Output = (#ret, #rt::cache::CacheStatus)>)
        } else {
            syn::parse_quote!(-> (#ret, #rt::cache::CacheStatus))
        };
        let body = if self.stub {
            quote!(::core::unreachable!())
        } else {
            let prefix = self.prefix();
            let name = self.model.name();
            let names = &self.names;
            let receiver = self.model.receiver.as_ref().map(|_| quote!(self,));
            let call = quote!(#prefix #name(#receiver #(#names),*));
            if self.model.is_async() {
                quote!(#rt::__private::WithStatus::new(#call))
            } else {
                quote! {
                    let __memotrace_scope = #rt::__private::StatusScope::enter();
                    let __memotrace_value = #call;
                    (__memotrace_value, __memotrace_scope.exit())
                }
            }
        };
        let shared = split_attrs(&self.model.attrs).shared;
        let vis = &self.model.vis;
        let doc = format!(
            "Calls `{}` and tells how the call was answered (hit, miss, stale, bypassed).",
            self.model.name()
        );
        quote! {
            #[doc = #doc]
            // It calls the fn, which may be `#[deprecated]` (the attribute is the fn's).
            #[allow(unused_variables, clippy::needless_pass_by_value, deprecated)]
            // Like `_put` and `_invalidate`: compiled only where it is called.
            #[inline]
            #(#shared)*
            #vis #sig {
                #body
            }
        }
    }

    /// A `Plain` return type that is a `Result` or `Option` behind a type alias would
    /// cache `Err` / `None`: the type checker sees through the alias, and this
    /// assertion makes that a compile error on the return type that says what to write.
    fn spelled_out_check(&self) -> Option<TokenStream> {
        if !matches!(self.model.output, Output::Plain) {
            return None;
        }
        let rt = &self.rt;
        let ret = self.model.return_type();
        let span = ret.span();
        Some(quote_spanned! {span=>
            const _: () = {
                #[allow(unused_imports)]
                use #rt::__private::PlainShape as _;
                ::core::assert!(
                    !#rt::__private::Shape::<#ret>::WRAPPED,
                    "#[cached]: this return type is a `Result` or an `Option` behind a type alias, so `Err` / `None` would be cached: write `Result<T, E>` or `Option<T>` in the signature"
                );
            };
        })
    }

    /// The wrapper's inputs: arguments bound to plain names (`mut` dropped, patterns
    /// renamed) so they can be passed on.
    fn plain_inputs(&self) -> Vec<FnArg> {
        let mut names = self.names.iter();
        self.model
            .sig
            .inputs
            .iter()
            .map(|input| match input {
                FnArg::Receiver(_) => input.clone(),
                FnArg::Typed(pt) => {
                    let mut pt = pt.clone();
                    let ident = names.next().expect("one name per typed argument").clone();
                    pt.pat = Box::new(Pat::Ident(PatIdent {
                        attrs: Vec::new(),
                        by_ref: None,
                        mutability: None,
                        ident,
                        subpat: None,
                    }));
                    FnArg::Typed(pt)
                }
            })
            .collect()
    }

    fn wrapper(&self) -> TokenStream {
        let Attrs {
            public,
            returns,
            shared,
            ..
        } = split_attrs(&self.model.attrs);
        let vis = &self.model.vis;
        let mut sig = self.model.sig.clone();
        sig.inputs = self.plain_inputs().into_iter().collect();
        let spelled_out = self.spelled_out_check();
        let answer = self.body();
        let body = timeouts::bound(&self.args.timeouts, &self.rt, quote!(#spelled_out #answer));
        let outer = &self.args.outer;
        quote! {
            #(#outer)*
            #(#public)* #(#returns)* #(#shared)*
            #vis #sig {
                #body
            }
        }
    }

    fn uncached(&self) -> TokenStream {
        let Attrs {
            returns,
            shared,
            body,
            ..
        } = split_attrs(&self.model.attrs);
        let vis = &self.model.vis;
        let mut sig = self.model.sig.clone();
        sig.ident = self.ident("uncached");
        let (block, body, allow) = if self.stub {
            let allow = quote!(#[allow(unused_variables)]);
            (quote!({ ::core::unreachable!() }), Vec::new(), Some(allow))
        } else {
            (self.model.block.clone(), body, None)
        };
        let doc = format!("Calls `{}` without its cache.", self.model.name());
        quote! {
            #[doc = #doc]
            #[allow(clippy::missing_errors_doc, clippy::missing_panics_doc)]
            #allow
            #(#returns)* #(#shared)* #(#body)*
            #vis #sig #block
        }
    }

    fn config(&self) -> TokenStream {
        let rt = &self.rt;
        let a = self.args;
        let name = match a.name.get() {
            Some(n) => n.to_token_stream(),
            None => {
                let fn_name = self.model.name().to_string();
                quote!(::std::concat!(::std::module_path!(), "::", #fn_name))
            }
        };
        let ms = |v: Option<&u64>, setter: &str| {
            v.map(|ms| {
                let setter = Ident::new(setter, Span::call_site());
                quote!(.#setter(#rt::__private::Duration::from_millis(#ms)))
            })
        };
        let ttl = ms(a.ttl.get(), "ttl");
        let tti = ms(a.tti.get(), "tti");
        let stale = ms(a.stale_if_error.get(), "stale_if_error");
        let capacity = a.max_capacity.get().map(|c| quote!(.max_capacity(#c)));
        let refresh = a.refresh_ahead.get().map(|r| quote!(.refresh_ahead(#r)));
        let namespace = a.namespace.get().map(|n| quote!(.namespace(#n)));
        let version = a.version.get().map(|v| quote!(.version(#v)));
        let tagged = a
            .tags
            .get()
            .is_some_and(|t| !t.is_empty())
            .then(|| quote!(.tagged()));
        let expiry = expiry::config(&a.expiry, rt);
        let timeout = timeouts::config(&a.timeouts, rt);
        quote!(#rt::__private::CacheConfig::new(#name) #ttl #tti #stale #capacity #refresh #namespace #version #tagged #expiry #timeout)
    }

    fn cache_fn(&self) -> TokenStream {
        let rt = &self.rt;
        let vis = &self.model.vis;
        let ident = self.ident("cache");
        let ty = self.cache_type();
        let config = self.config();
        let lock_timeout = self
            .args
            .lock_timeout
            .get()
            .map(|ms| quote!(.lock_timeout(#rt::__private::Duration::from_millis(#ms))));
        let on_evict = self.args.on_evict.get().map(|hook| {
            // Spanned on the hook: a signature that does not fit is reported there.
            let span = hook.span();
            quote_spanned!(span=> .on_evict(#hook))
        });
        let shared = split_attrs(&self.model.attrs).shared;
        let doc = format!(
            "The cache of `{}`: its statistics, and `clear()`.",
            self.model.name()
        );
        let weighed = self.weighed_build();
        let body = if self.stub {
            quote!(::core::unreachable!())
        } else if weighed.is_none() && on_evict.is_none() && lock_timeout.is_none() {
            // The config is a constant: the cache is built by the runtime's generic code.
            quote! {
                static __MEMOTRACE_CACHE: #rt::__private::CacheCell<#ty> =
                    #rt::__private::CacheCell::new(#config);
                __MEMOTRACE_CACHE.get()
            }
        } else {
            let build = match weighed {
                None => quote!(<#ty>::new(#config)),
                Some(engine) if self.store() == StoreKind::Tiered => {
                    quote!(#rt::__private::tiered_with_store(#config, #engine))
                }
                Some(engine) => quote!(({
                    let cache: #ty = #rt::__private::memory_with_store(#config, #engine);
                    cache
                })),
            };
            quote! {
                static __MEMOTRACE_CACHE: #rt::__private::LazyLock<&'static #ty> =
                    #rt::__private::LazyLock::new(|| #build #on_evict #lock_timeout .register());
                *__MEMOTRACE_CACHE
            }
        };
        quote! {
            #[doc = #doc]
            #[must_use]
            #(#shared)*
            #vis fn #ident() -> &'static #ty {
                #body
            }
        }
    }

    /// A companion that takes the wrapper's arguments (and `&self` when the key reads
    /// it), binds the key as the call does, then runs `body` with `cache` in scope.
    fn keyed_companion(
        &self,
        suffix: &str,
        doc: &str,
        extra: &TokenStream,
        ret: &TokenStream,
        body: &TokenStream,
    ) -> TokenStream {
        let vis = &self.model.vis;
        let ident = self.ident(suffix);
        let prefix = self.prefix();
        let cache_fn = self.ident("cache");
        let body = if self.stub {
            quote!(::core::unreachable!())
        } else {
            let (bind_key, _) = self.key_binding();
            quote! {
                let __memotrace_cache = #prefix #cache_fn();
                #bind_key
                #body
            }
        };
        let receiver = self.key_reads_self().then(|| quote!(&self,));
        let inputs = self
            .plain_inputs()
            .into_iter()
            .filter(|i| matches!(i, FnArg::Typed(_)));
        let generics = &self.model.sig.generics;
        let shared = split_attrs(&self.model.attrs).shared;
        let asyncness = self.shared().then(|| quote!(async));
        quote! {
            #[doc = #doc]
            #[allow(unused_variables, clippy::needless_pass_by_value, clippy::must_use_candidate)]
            // Not compiled (to machine code) unless a crate calls it.
            #[inline]
            #(#shared)*
            #vis #asyncness fn #ident #generics(#receiver #(#inputs,)* #extra) #ret {
                #body
            }
        }
    }

    fn invalidate_fn(&self) -> TokenStream {
        let (_, key_ref) = self.key_binding();
        let doc = format!(
            "Drops the cached result of `{}` for these arguments; true when there was one.",
            self.model.name()
        );
        self.keyed_companion(
            "invalidate",
            &doc,
            &TokenStream::new(),
            &quote!(-> bool),
            &{
                let store_await = self.store_await();
                quote!(__memotrace_cache.invalidate(#key_ref) #store_await)
            },
        )
    }

    /// `{fn}_put(args.., value)`: write-through, storing `value` as the result of the call
    /// with these arguments (with its lifetime as a load's value would get it, and the
    /// tags).
    fn put_fn(&self) -> TokenStream {
        let rt = &self.rt;
        let (_, key_ref) = self.key_binding();
        let load_kind = self.load_kind();
        let ret = self.model.return_type();
        let value = if self.model.arg("value").is_some() {
            format_ident!("__memotrace_value")
        } else {
            format_ident!("value")
        };
        let tags = self.tags();
        let doc = format!(
            "Stores `{value}` as the cached result of `{}` for these arguments (write-through).",
            self.model.name()
        );
        let value_type = self.value_type();
        let extra = quote!(#value: #value_type);
        if self.shared() {
            // True when the shared store took the value (a failure is counted, not raised).
            let body = quote! {
                #rt::__private::CacheLookup::put_async::<_, #ret>(
                    __memotrace_cache, #load_kind, #key_ref, #value, #tags,
                ).await
            };
            return self.keyed_companion("put", &doc, &extra, &quote!(-> bool), &body);
        }
        let body = quote! {
            #rt::__private::CacheLookup::put::<_, #ret>(
                __memotrace_cache, #load_kind, #key_ref, #value, #tags,
            );
        };
        self.keyed_companion("put", &doc, &extra, &TokenStream::new(), &body)
    }

    /// The engine builder of a memory cache (or a tiered cache's L1) with `max_weight`.
    fn weighed_build(&self) -> Option<TokenStream> {
        let key = match self.store() {
            StoreKind::Memory => self.key_type(),
            StoreKind::Tiered => quote!(::std::string::String),
            StoreKind::Redis => return None,
        };
        let value = self.value_type();
        super::weight::build(self.args, &self.rt, &key, &value)
    }

    fn key_reads_self(&self) -> bool {
        match self.args.key.get() {
            Some(KeySpec::Template(t)) => t.mentions("self"),
            Some(KeySpec::Expr(e)) => mentions_self(e.to_token_stream()),
            None => false,
        }
    }
}

/// The first type argument of the type's last path segment: `T` in `Result<T, E>`,
/// `io::Result<T>` and `Option<T>`.
fn first_type_arg(ty: &syn::Type) -> Option<TokenStream> {
    let syn::Type::Path(tp) = ty else {
        return None;
    };
    let syn::PathArguments::AngleBracketed(ab) = &tp.path.segments.last()?.arguments else {
        return None;
    };
    ab.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t.to_token_stream()),
        _ => None,
    })
}

fn mentions_self(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => i == "self",
        proc_macro2::TokenTree::Group(g) => mentions_self(g.stream()),
        _ => false,
    })
}

/// The user's attributes, by the generated fn they belong on.
struct Attrs<'a> {
    /// Docs and `deprecated`: the public, cached fn only.
    public: Vec<&'a Attribute>,
    /// `must_use`: the cached fn and `{fn}_uncached`, which return the same value.
    returns: Vec<&'a Attribute>,
    /// `cfg`, `cfg_attr` and lint levels (except `expect`): every generated fn.
    shared: Vec<&'a Attribute>,
    /// The rest (other attribute macros, `#[inline]`, `#[expect]`, ...): the body's fn,
    /// so e.g. `#[log_performance]` under `#[cached]` times loads, not hits.
    body: Vec<&'a Attribute>,
}

fn split_attrs(attrs: &[Attribute]) -> Attrs<'_> {
    let mut split = Attrs {
        public: Vec::new(),
        returns: Vec::new(),
        shared: Vec::new(),
        body: Vec::new(),
    };
    for attr in attrs {
        let path = attr.path();
        let is = |names: &[&str]| names.iter().any(|n| path.is_ident(n));
        if is(&["doc", "deprecated"]) {
            split.public.push(attr);
        } else if is(&["must_use"]) {
            split.returns.push(attr);
        } else if is(&["allow", "warn", "deny", "forbid", "cfg", "cfg_attr"]) {
            split.shared.push(attr);
        } else {
            split.body.push(attr);
        }
    }
    split
}
