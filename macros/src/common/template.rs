//! Key and tag templates: `"user:{id}"`, `"team:{self.team_id}:{id}"`.

use super::{Errors, FnModel};
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Ident, LitStr};

const UNSEPARATED: &str = "separate the fields of a template with `:`, e.g. `\"user:{a}:{b}\"`: values are rendered with `:` escaped, so that two different arguments never render to the same key";

/// A parsed template.
pub(crate) struct Template {
    pub lit: LitStr,
    parts: Vec<Part>,
}

enum Part {
    Text(String),
    /// `{root.field.field}`; `root` is an argument name or `self`.
    Field(Vec<String>),
}

impl Template {
    /// Parses the literal; `{{` and `}}` are literal braces.
    pub(crate) fn parse(lit: &LitStr) -> syn::Result<Self> {
        let text = lit.value();
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        let error = |msg: &str| syn::Error::new(lit.span(), msg);
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut field = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => field.push(c),
                            None => {
                                return Err(error(
                                    "unclosed `{` in template: write `{name}`, or `{{` for a literal brace",
                                ));
                            }
                        }
                    }
                    let path: Vec<String> = field.trim().split('.').map(str::to_owned).collect();
                    let valid = path.iter().all(|p| {
                        !p.is_empty()
                            && p.chars().all(|c| c.is_alphanumeric() || c == '_')
                            && !p.starts_with(|c: char| c.is_ascii_digit())
                    });
                    if !valid {
                        return Err(error(&format!(
                            "`{{{field}}}` in template: write an argument name, e.g. `{{id}}` or `{{self.tenant}}` (no format specs)"
                        )));
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Field(path));
                }
                '}' => {
                    return Err(error(
                        "unmatched `}` in template: write `}}` for a literal brace",
                    ));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        // Values are rendered with `:` escaped: a `:` between every two fields is what
        // makes the rendered key tell `{a}` from `{b}`.
        let mut separated = true;
        for part in &parts {
            match part {
                Part::Field(_) if !separated => return Err(error(UNSEPARATED)),
                Part::Field(_) => separated = false,
                Part::Text(t) => separated |= t.contains(':'),
            }
        }
        Ok(Self {
            lit: lit.clone(),
            parts,
        })
    }

    /// Reports names that are neither arguments nor (for methods) `self`.
    pub(crate) fn check(&self, model: &FnModel, errors: &mut Errors) {
        for root in self.roots() {
            if root == "self" {
                if model.receiver.is_none() {
                    errors.push(
                        self.lit.span(),
                        "`{self...}` in a template needs a method with a `self` receiver",
                    );
                }
            } else if model.arg(root).is_none() {
                errors.push(
                    self.lit.span(),
                    format!(
                        "`{{{root}}}` in the template is not an argument of this fn; {}",
                        model.arg_names()
                    ),
                );
            }
        }
    }

    /// Whether the template reads `name` (an argument or `self`).
    pub(crate) fn mentions(&self, name: &str) -> bool {
        self.roots().any(|r| r == name)
    }

    fn roots(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Field(path) => Some(path[0].as_str()),
            Part::Text(_) => None,
        })
    }

    /// `::std::fmt::format(::std::format_args!("user:{}", KeyPart(&id)))` rendering the
    /// template, every value escaped by `{rt}::__private::KeyPart`.
    pub(crate) fn render(&self, rt: &syn::Path) -> TokenStream {
        let span = self.lit.span();
        let mut fmt = String::new();
        let mut values = Vec::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => fmt.push_str(&t.replace('{', "{{").replace('}', "}}")),
                Part::Field(path) => {
                    fmt.push_str("{}");
                    let idents = path.iter().map(|p| {
                        if p == "self" {
                            quote::quote_spanned!(span=> self)
                        } else {
                            let ident = Ident::new(p, span);
                            quote!(#ident)
                        }
                    });
                    values.push(quote!(#rt::__private::KeyPart(&#(#idents).*)));
                }
            }
        }
        if values.is_empty() {
            return quote::quote_spanned!(span=> ::std::string::String::from(#fmt));
        }
        quote::quote_spanned!(span=> ::std::fmt::format(::std::format_args!(#fmt, #(#values),*)))
    }
}
