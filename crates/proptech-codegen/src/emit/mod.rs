//! Rust tokens for the model: a module per provider, the shared pattern newtypes, and the derive
//! macro's table of bundled schemas.
//!
//! One module per thing it writes: `event` the provider module and its `Event` enum, `structs`
//! an object's struct (the envelope included) with its constructor, `deserialize` and `debug`
//! the struct's impls, `checks` the checks its `Deserialize` runs, `enums` every enum.

use std::collections::BTreeSet;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

mod checks;
mod debug;
mod deserialize;
mod enums;
mod event;
mod matcher;
mod structs;

use crate::Error;
use crate::config::Config;
use crate::model::{Item, ProviderModel, Ty};
use crate::names;

pub use event::provider_module;

/// An identifier, raw if it is a keyword (`type` → `r#type`). The model gives only names that
/// are identifiers (see [`crate::names`]).
fn ident(name: &str) -> Ident {
    if names::is_raw(name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

/// Doc text made safe for rustdoc: brackets and angle brackets are literal text in schema prose.
fn doc_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '[' | ']' | '<' | '>') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn doc_attr(doc: Option<&str>) -> TokenStream {
    match doc {
        Some(d) if !d.trim().is_empty() => {
            let d = format!(" {}", doc_text(d.trim()));
            quote!(#[doc = #d])
        }
        _ => quote!(),
    }
}

/// The Rust type of `ty`; `tag_of` is the type parameter of an event type tag.
fn rust_ty(ty: &Ty, tag_of: &TokenStream) -> TokenStream {
    match ty {
        Ty::String => quote!(String),
        Ty::I64 => quote!(i64),
        Ty::U64 => quote!(u64),
        Ty::Integer => quote!(crate::Integer),
        Ty::F64 => quote!(::serde_json::Number),
        Ty::Bool => quote!(bool),
        Ty::DateTime => quote!(crate::DateTime),
        Ty::Date => quote!(crate::Date),
        Ty::Uuid => quote!(crate::Uuid),
        Ty::Email => quote!(crate::Email),
        Ty::Uri => quote!(crate::Uri),
        Ty::Value => quote!(::serde_json::Value),
        Ty::Object => quote!(::serde_json::Map<String, ::serde_json::Value>),
        Ty::Named(n) => {
            let n = ident(n);
            quote!(#n)
        }
        Ty::Pattern(n) => {
            let n = ident(n);
            quote!(crate::#n)
        }
        Ty::Vec(inner) => {
            let inner = rust_ty(inner, tag_of);
            quote!(Vec<#inner>)
        }
        Ty::Map(inner) => {
            let inner = rust_ty(inner, tag_of);
            quote!(::std::collections::BTreeMap<String, #inner>)
        }
        Ty::PatternMap(key, inner) => {
            let key = ident(key);
            let inner = rust_ty(inner, tag_of);
            quote!(::std::collections::BTreeMap<crate::#key, #inner>)
        }
        Ty::Nullable(inner) => {
            let inner = rust_ty(inner, tag_of);
            quote!(Option<#inner>)
        }
        Ty::Boxed(inner) => {
            let inner = rust_ty(inner, tag_of);
            quote!(Box<#inner>)
        }
        Ty::EventTypeTag => quote!(crate::EventType<#tag_of>),
        Ty::Payload => quote!(D),
    }
}

/// The tokens of one item of the model.
fn item(model: &ProviderModel, it: &Item) -> Result<TokenStream, Error> {
    Ok(match it {
        Item::Enum { name, doc, values } => enums::open_enum(name, doc, values)?,
        Item::Union {
            name,
            doc,
            variants,
        } => enums::union(name, doc, variants)?,
        Item::Tagged {
            name,
            doc,
            discriminator,
            variants,
        } => enums::tagged(name, doc, discriminator, variants)?,
        Item::Tuple { name, doc, items } => structs::tuple(name, doc, items)?,
        Item::Opaque { name, doc, event } => structs::opaque(model, name, doc, event)?,
        Item::AnyOfString {
            name,
            doc,
            alternatives,
            schema,
        } => enums::any_of_string(name, doc, alternatives, schema)?,
        Item::Struct { .. } => structs::object(model, it)?,
    })
}

/// The shared pattern newtypes used by any provider, each with its pattern compiled into a
/// matcher: its minimal DFA written out as a `match` over (state, byte).
pub fn patterns_module(config: &Config, used: &BTreeSet<String>) -> Result<TokenStream, Error> {
    let mut items = Vec::new();
    let mut table = Vec::new();
    for (pattern, named) in &config.pattern {
        if !used.contains(&named.name) {
            continue;
        }
        let doc = format!(" {}", named.doc);
        let n = ident(&named.name);
        let body = matcher::matcher(pattern, &format!("codegen.toml pattern {}", named.name))?;
        let matches = ident(&format!("matches_{}", crate::model::snake(&named.name)));
        let matches_doc = format!(
            " Whether `s` matches [`{}::PATTERN`]: the pattern's minimal DFA as a `match` over \
             (state, byte).",
            named.name
        );
        items.push(quote! {
            pattern_newtype! {
                #[doc = #doc]
                pub struct #n(#pattern) = #matches;
            }

            #[doc = #matches_doc]
            fn #matches(s: &str) -> bool {
                #body
            }
        });
        table.push(quote! { (#n::PATTERN, #matches) });
    }
    Ok(quote! {
        #![doc = " Checked string newtypes, one per pattern the schemas use."]
        #(#items)*

        #[doc = " Every pattern with its matcher, for the tests that judge the matchers against a JSON"]
        #[doc = " Schema validator."]
        pub(crate) const MATCHERS: &[crate::__private::PatternMatcher] = &[#(#table),*];
    })
}

/// One row of the derive macro's schema table.
pub struct SchemaRow {
    /// The provider.
    pub provider: String,
    /// The event type.
    pub event_type: String,
    /// The catalog category.
    pub category: String,
    /// The documentation status.
    pub documentation_status: String,
    /// The bundled schema, as compact JSON.
    pub schema: String,
    /// The bundled schema with every `$ref` inlined, as compact JSON.
    pub resolved: String,
    /// The members it marks as personal data.
    pub personal: Vec<proptech_catalog::redaction::PersonalPath>,
}

/// The derive macro's table of every event's bundled schema.
pub fn schema_table(rows: &[SchemaRow]) -> TokenStream {
    let entries = rows.iter().map(|row| {
        let (p, t, c, s, j, r) = (
            &row.provider,
            &row.event_type,
            &row.category,
            &row.documentation_status,
            &row.schema,
            &row.resolved,
        );
        // The enum variants the derive names, spelled here so the derive needs no table of its
        // own: `Provider::<variant>`, `DocumentationStatus::<status>`.
        let variant = crate::providers::variant(p).to_string();
        let status = proptech_catalog::names::pascal(s);
        // Each marked member: its path (`None` for any item or value) and the category's variant.
        let personal = row.personal.iter().map(|m| {
            let steps = m.path.iter().map(|step| match step {
                proptech_catalog::redaction::Step::Member(name) => quote!(Some(#name)),
                proptech_catalog::redaction::Step::Any => quote!(None),
            });
            let category = proptech_catalog::names::pascal(&m.category);
            quote!((&[#(#steps),*], #category))
        });
        quote! {
            EventSchema { provider: #p, variant: #variant, event_type: #t, category: #c, status: #status, schema: #j, resolved: #r, personal: &[#(#personal),*] },
        }
    });
    quote! {
        #![doc = " The bundled JSON Schema of every event, by provider and event type."]
        use super::EventSchema;
        /// Every event of every provider.
        pub(crate) const EVENTS: &[EventSchema] = &[ #(#entries)* ];
    }
}
