//! One typed model of the annotated function, shared by all three macros: its receiver,
//! its arguments with their borrowed/owned form, and the shape of what it returns.
//!
//! Only the signature is parsed; the body stays tokens (as tracing-attributes'
//! `MaybeItemFn` and tokio-macros' `ItemFn` keep it), so a mistake inside the body is
//! reported by rustc where it is, not by the macro.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::{
    Attribute, FnArg, GenericArgument, Ident, Pat, PathArguments, Receiver, ReturnType, Signature,
    Type, Visibility,
};

/// The annotated function.
pub(crate) struct FnModel {
    /// Its outer attributes (those below the macro's own).
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: Signature,
    /// The body, braces included, as written.
    pub block: TokenStream,
    pub receiver: Option<Receiver>,
    pub args: Vec<ArgModel>,
    pub output: Output,
}

/// One non-receiver argument.
pub(crate) struct ArgModel {
    /// The binding name; `None` for destructuring patterns.
    pub ident: Option<Ident>,
    pub pat: Pat,
    pub ty: Type,
    pub form: ArgForm,
}

/// How an argument is passed.
pub(crate) enum ArgForm {
    /// By value.
    Owned,
    /// `&T` (including `&str`, `&[T]`): `T` is the referent.
    Shared(Box<Type>),
    /// `&mut T`.
    Exclusive,
    /// `impl Trait`, anywhere in the type.
    ImplTrait,
}

/// What the function returns.
pub(crate) enum Output {
    /// `-> ()` or nothing.
    Unit,
    /// `Result<T, ..>`.
    Result,
    /// `Option<T>`.
    Option,
    /// Anything else.
    Plain,
}

impl FnModel {
    /// Parses the item the attribute is on; anything but a fn with a body is an error that
    /// says where the attribute goes.
    pub(crate) fn parse(item: TokenStream, macro_name: &str) -> syn::Result<Self> {
        let Parts {
            attrs,
            vis,
            sig,
            block,
        } = syn::parse2(item.clone()).map_err(|e| {
            if has_fn_keyword(&item) && has_body(&item) {
                // A fn whose signature does not parse: syn's error is the precise one.
                e
            } else {
                syn::Error::new(
                    first_span(&item),
                    format!("#[{macro_name}] goes on a `fn` with a body (a free fn or a method in an `impl` block)"),
                )
            }
        })?;
        let mut receiver = None;
        let mut args = Vec::new();
        for input in &sig.inputs {
            match input {
                FnArg::Receiver(r) => receiver = Some(r.clone()),
                FnArg::Typed(pt) => {
                    let ident = match &*pt.pat {
                        Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                            Some(pi.ident.clone())
                        }
                        _ => None,
                    };
                    args.push(ArgModel {
                        ident,
                        pat: (*pt.pat).clone(),
                        ty: (*pt.ty).clone(),
                        form: ArgForm::of(&pt.ty),
                    });
                }
            }
        }
        let output = Output::of(&sig.output);
        Ok(Self {
            attrs,
            vis,
            sig,
            block,
            receiver,
            args,
            output,
        })
    }

    pub(crate) fn name(&self) -> &Ident {
        &self.sig.ident
    }

    pub(crate) fn is_async(&self) -> bool {
        self.sig.asyncness.is_some()
    }

    /// The argument called `name`.
    pub(crate) fn arg(&self, name: &str) -> Option<&ArgModel> {
        self.args
            .iter()
            .find(|a| a.ident.as_ref().is_some_and(|i| i == name))
    }

    /// Names of the arguments, for "expected one of" messages.
    pub(crate) fn arg_names(&self) -> String {
        let names: Vec<String> = self
            .args
            .iter()
            .filter_map(|a| a.ident.as_ref())
            .map(|i| format!("`{i}`"))
            .collect();
        if names.is_empty() {
            "the function has no named arguments".to_owned()
        } else {
            format!("the arguments are {}", names.join(", "))
        }
    }

    /// The declared return type, `()` when there is none.
    pub(crate) fn return_type(&self) -> Type {
        match &self.sig.output {
            ReturnType::Default => syn::parse_quote!(()),
            ReturnType::Type(_, ty) => (**ty).clone(),
        }
    }
}

impl ArgForm {
    fn of(ty: &Type) -> Self {
        if contains_impl_trait(ty) {
            return Self::ImplTrait;
        }
        match ty {
            Type::Reference(r) if r.mutability.is_some() => Self::Exclusive,
            Type::Reference(r) => Self::Shared(r.elem.clone()),
            Type::Paren(p) => Self::of(&p.elem),
            Type::Group(g) => Self::of(&g.elem),
            _ => Self::Owned,
        }
    }
}

impl Output {
    fn of(output: &ReturnType) -> Self {
        let ty = match output {
            ReturnType::Default => return Self::Unit,
            ReturnType::Type(_, ty) => &**ty,
        };
        if let Type::Tuple(t) = ty
            && t.elems.is_empty()
        {
            return Self::Unit;
        }
        if let Type::Path(tp) = ty
            && let Some(last) = tp.path.segments.last()
            && let PathArguments::AngleBracketed(ab) = &last.arguments
        {
            let has_type = ab
                .args
                .iter()
                .any(|a| matches!(a, GenericArgument::Type(_)));
            match last.ident.to_string().as_str() {
                "Result" if has_type => return Self::Result,
                "Option" if has_type && ab.args.len() == 1 => return Self::Option,
                _ => {}
            }
        }
        Self::Plain
    }
}

/// Whether `impl Trait` appears anywhere in the type.
pub(crate) fn contains_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl<'a> syn::visit::Visit<'a> for Finder {
        fn visit_type_impl_trait(&mut self, _: &'a syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    syn::visit::visit_type(&mut finder, ty);
    finder.0
}

/// Whether the tokens mention `Self` (a type or `self` receiver is not counted).
pub(crate) fn mentions_self_type(ty: &Type) -> Option<Span> {
    struct Finder(Option<Span>);
    impl<'a> syn::visit::Visit<'a> for Finder {
        fn visit_ident(&mut self, ident: &'a Ident) {
            if ident == "Self" && self.0.is_none() {
                self.0 = Some(ident.span());
            }
        }
    }
    let mut finder = Finder(None);
    syn::visit::visit_type(&mut finder, ty);
    finder.0
}

/// Whether the type holds a borrow that can dangle: a reference or lifetime other than
/// `'static` (`&'static str` and `Cow<'static, str>` live as long as the cache).
pub(crate) fn borrows_non_static(ty: &Type) -> bool {
    struct Finder(bool);
    impl<'a> syn::visit::Visit<'a> for Finder {
        fn visit_lifetime(&mut self, lifetime: &'a syn::Lifetime) {
            if lifetime.ident != "static" {
                self.0 = true;
            }
        }
        fn visit_type_reference(&mut self, reference: &'a syn::TypeReference) {
            match &reference.lifetime {
                None => self.0 = true,
                Some(lifetime) => self.visit_lifetime(lifetime),
            }
            self.visit_type(&reference.elem);
        }
    }
    let mut finder = Finder(false);
    syn::visit::visit_type(&mut finder, ty);
    finder.0
}

/// A fn item with its body left as tokens.
struct Parts {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    block: TokenStream,
}

impl Parse for Parts {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let block = match input.parse::<TokenTree>()? {
            TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Brace => {
                TokenTree::Group(g).into()
            }
            other => return Err(syn::Error::new(other.span(), "expected the fn's body")),
        };
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the fn's body"));
        }
        Ok(Self {
            attrs,
            vis,
            sig,
            block,
        })
    }
}

fn has_fn_keyword(tokens: &TokenStream) -> bool {
    tokens
        .clone()
        .into_iter()
        .any(|t| matches!(&t, TokenTree::Ident(i) if i == "fn"))
}

fn has_body(tokens: &TokenStream) -> bool {
    matches!(
        tokens.clone().into_iter().last(),
        Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Brace
    )
}

fn first_span(tokens: &TokenStream) -> Span {
    tokens
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}
