//! Rust tokens for the model: a module per provider, the shared pattern newtypes, and the derive
//! macro's table of bundled schemas.

use std::collections::BTreeSet;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::Error;
use crate::config::Config;
use crate::model::{Event, Field, Item, ProviderModel, Ty, pascal};

/// An identifier, raw if it is a keyword (`type` → `r#type`).
fn ident(name: &str) -> Ident {
    if syn::parse_str::<Ident>(name).is_ok() {
        Ident::new(name, Span::call_site())
    } else {
        Ident::new_raw(name, Span::call_site())
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
        Ty::F64 => quote!(::serde_json::Number),
        Ty::Bool => quote!(bool),
        Ty::DateTime => quote!(crate::DateTime),
        Ty::Date => quote!(crate::Date),
        Ty::Uuid => quote!(::uuid::Uuid),
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
        Ty::EventTypeTag => quote!(crate::EventType<#tag_of>),
        Ty::Payload => quote!(D),
    }
}

/// One struct field with its serde attributes. The rule for absent and `null`:
///
/// | schema                 | Rust                | absent    | `null`        |
/// |------------------------|---------------------|-----------|---------------|
/// | required               | `T`                 | error     | error         |
/// | required, nullable     | `Option<T>`         | error     | `None`        |
/// | optional               | `Option<T>`         | `None`    | `None`        |
/// | optional, nullable     | `Option<Option<T>>` | `None`    | `Some(None)`  |
/// | untyped (any value)    | `Value` / `Option<Value>` | error / `None` | `Value::Null` |
fn field(f: &Field, tag_of: &TokenStream) -> TokenStream {
    let doc = doc_attr(f.doc.as_deref());
    let name = ident(&f.rust);
    let json = &f.json;
    let rename = (f.rust != f.json).then(|| quote!(#[serde(rename = #json)]));
    let t = rust_ty(&f.ty, tag_of);
    let untyped = f.ty == Ty::Value;
    let (ty, attrs) = match (f.required, f.nullable, untyped) {
        (true, _, true) | (true, false, false) => (t, quote!()),
        (true, true, false) => {
            let with = format!(
                "crate::__private::Nullable<{}>",
                t.to_string().replace(' ', "")
            );
            (
                quote!(Option<#t>),
                quote! {
                    #[serde(deserialize_with = "crate::__private::required_nullable")]
                    #[cfg_attr(feature = "schemars", schemars(required, with = #with))]
                },
            )
        }
        (false, _, true) => (
            quote!(Option<#t>),
            quote!(#[serde(default, deserialize_with = "crate::__private::present", skip_serializing_if = "Option::is_none")]),
        ),
        (false, false, false) => (
            quote!(Option<#t>),
            quote!(#[serde(default, skip_serializing_if = "Option::is_none")]),
        ),
        (false, true, false) => {
            // schemars cannot see through `with`: describe the member as the nullable inner type.
            let with = format!("Option<{}>", t.to_string().replace(' ', ""));
            (
                quote!(Option<Option<#t>>),
                quote! {
                    #[serde(default, with = "crate::__private::double_option", skip_serializing_if = "Option::is_none")]
                    #[cfg_attr(feature = "schemars", schemars(with = #with))]
                },
            )
        }
    };
    quote! {
        #doc
        #rename
        #attrs
        pub #name: #ty,
    }
}

/// The derive attribute of a generated payload type. Its fields are not checked by the derive:
/// they are generated from the same schema, and the schemars agreement test verifies them.
fn webhook_attr(model: &ProviderModel, event: &str) -> TokenStream {
    let provider = &model.provider;
    let path = if model.envelope.is_some() {
        "/data"
    } else {
        ""
    };
    quote!(#[webhook(provider = #provider, event = #event, path = #path, unchecked)])
}

fn item(model: &ProviderModel, it: &Item) -> Result<TokenStream, Error> {
    Ok(match it {
        Item::Enum { name, doc, values } => {
            let doc = doc_attr(doc.as_deref());
            let n = ident(name);
            let mut seen = BTreeSet::new();
            let mut variants = Vec::new();
            for v in values {
                let variant = pascal(v);
                if variant.is_empty() || variant == "Undocumented" || !seen.insert(variant.clone())
                {
                    return Err(Error::Schema(format!(
                        "{}: enum {name} value {v:?} has no distinct Rust name",
                        model.provider
                    )));
                }
                let variant = ident(&variant);
                variants.push(quote!(#variant = #v,));
            }
            quote! {
                open_enum! {
                    #doc
                    pub enum #n { #(#variants)* }
                }
            }
        }
        Item::Union {
            name,
            doc,
            variants,
        } => {
            let doc = doc_attr(doc.as_deref());
            let n = ident(name);
            let vs = variants.iter().map(|(v, ty)| {
                let v = ident(v);
                let t = rust_ty(ty, &quote!());
                quote!(#[doc = concat!(" A `", stringify!(#v), "` value.")] #v(#t),)
            });
            quote! {
                #doc
                ///
                /// One of several JSON types; a value of any other type is rejected.
                #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
                #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
                #[serde(untagged)]
                #[non_exhaustive]
                pub enum #n { #(#vs)* }
            }
        }
        Item::Opaque { name, doc, event } => {
            let doc = doc_attr(doc.as_deref());
            let n = ident(name);
            let webhook = webhook_attr(model, event);
            quote! {
                #doc
                #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize, crate::WebhookEvent)]
                #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
                #[serde(transparent)]
                #webhook
                pub struct #n(pub ::serde_json::Value);
            }
        }
        Item::Struct {
            name,
            doc,
            fields,
            closed,
            one_of_required,
            event,
        } => {
            let doc = doc_attr(doc.as_deref());
            let n = ident(name);
            let tag_of = quote!(#n);
            let fs: Vec<_> = fields.iter().map(|f| field(f, &tag_of)).collect();
            let deny = closed.then(|| quote!(#[serde(deny_unknown_fields)]));
            let (webhook, derive_event) = match event {
                Some(e) => (webhook_attr(model, e), quote!(, crate::WebhookEvent)),
                None => (quote!(), quote!()),
            };
            if one_of_required.is_empty() {
                quote! {
                    #doc
                    #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize #derive_event)]
                    #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
                    #deny
                    #webhook
                    pub struct #n { #(#fs)* }
                }
            } else {
                // At least one member of each group must be present: parse into an unchecked twin,
                // then check.
                let unchecked = format_ident!("{}Unchecked", name);
                let unchecked_str = unchecked.to_string();
                let names: Vec<_> = fields.iter().map(|f| ident(&f.rust)).collect();
                let checks: Vec<_> = one_of_required
                    .iter()
                    .map(|group| {
                        let members: Vec<_> = group
                            .iter()
                            .filter_map(|j| fields.iter().find(|f| &f.json == j))
                            .map(|f| ident(&f.rust))
                            .collect();
                        let msg = format!("expected at least one of {}", group.join(", "));
                        quote! {
                            if #(u.#members.is_none())&&* {
                                return Err(#msg);
                            }
                        }
                    })
                    .collect();
                quote! {
                    #doc
                    #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize #derive_event)]
                    #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
                    #[serde(try_from = #unchecked_str)]
                    #deny
                    #webhook
                    pub struct #n { #(#fs)* }

                    #[doc(hidden)]
                    #[derive(::serde::Deserialize)]
                    #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
                    #deny
                    pub struct #unchecked { #(#fs)* }

                    impl TryFrom<#unchecked> for #n {
                        type Error = &'static str;
                        fn try_from(u: #unchecked) -> Result<Self, Self::Error> {
                            #(#checks)*
                            Ok(Self { #(#names: u.#names),* })
                        }
                    }
                }
            }
        }
    })
}

/// The module of one provider.
pub fn provider_module(model: &ProviderModel) -> Result<TokenStream, Error> {
    let provider_name = &model.config.name;
    let module_doc = format!(
        " {provider_name} events: one type per documented event type, and [`Event`] over all of them."
    );
    let p = &model.provider;
    let provider_variant = ident(&pascal(p));
    let type_field = &model.config.type_field;
    let mut items = Vec::new();
    if let Some(Item::Struct {
        doc,
        fields,
        closed,
        ..
    }) = &model.envelope
    {
        let doc = doc_attr(doc.as_deref());
        let fs: Vec<_> = fields.iter().map(|f| field(f, &quote!(D))).collect();
        let deny = closed.then(|| quote!(#[serde(deny_unknown_fields)]));
        items.push(quote! {
            #doc
            ///
            /// `D` is the event's payload; the event type member is [`crate::EventType<D>`].
            #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
            #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
            #[serde(bound(
                serialize = "D: ::serde::Serialize + crate::WebhookEvent",
                deserialize = "D: ::serde::Deserialize<'de> + crate::WebhookEvent"
            ))]
            #deny
            pub struct Envelope<D: crate::WebhookEvent> { #(#fs)* }
        });
    }
    for it in model.items.values() {
        items.push(item(model, it)?);
    }

    let has_envelope = model.envelope.is_some();
    let event_variant = |e: &Event| -> TokenStream {
        let v = ident(&e.name);
        let doc = doc_attr(Some(&format!("`{}`: {}", e.event_type, e.doc)));
        if has_envelope {
            quote!(#doc #v(Envelope<#v>),)
        } else {
            quote!(#doc #v(#v),)
        }
    };
    let variants: Vec<_> = model.events.iter().map(event_variant).collect();
    let names: Vec<_> = model.events.iter().map(|e| ident(&e.name)).collect();
    let types: Vec<_> = model.events.iter().map(|e| e.event_type.as_str()).collect();
    let categories: Vec<_> = model.events.iter().map(|e| e.category.as_str()).collect();
    let statuses: Vec<_> = model
        .events
        .iter()
        .map(|e| e.documentation_status.as_str())
        .collect();
    let schema_types: Vec<TokenStream> = model
        .events
        .iter()
        .map(|e| {
            let v = ident(&e.name);
            if has_envelope {
                quote!(Envelope<#v>)
            } else {
                quote!(#v)
            }
        })
        .collect();
    let event_doc = format!(" Every {provider_name} event, by its event type (`{type_field}`).");
    let parse_doc = format!(
        " Parses a {provider_name} delivery body: an event type this version does not know parses as [`Event::Unknown`]."
    );
    items.push(quote! {
        #[doc = #event_doc]
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        // An event is parsed once and handed over: boxing the large variants would cost an
        // allocation per delivery and make matching clumsier.
        #[allow(clippy::large_enum_variant)]
        pub enum Event {
            #(#variants)*
            /// An event type this version does not know, kept whole.
            Unknown(crate::UnknownEvent),
        }

        impl Event {
            /// The event type, as sent.
            pub fn event_type(&self) -> &str {
                match self {
                    #(Self::#names(_) => #types,)*
                    Self::Unknown(e) => &e.event_type,
                }
            }
        }

        impl ::serde::Serialize for Event {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    #(Self::#names(e) => e.serialize(s),)*
                    Self::Unknown(e) => e.serialize(s),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for Event {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <Box<::serde_json::value::RawValue>>::deserialize(d)?;
                parse(raw.get().as_bytes()).map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }

        /// The JSON Schema schemars derives from the Rust type of each event, by event type: what
        /// these types accept, to compare with the published schemas.
        #[cfg(feature = "schemars")]
        pub fn derived_schemas() -> Vec<(&'static str, ::schemars::Schema)> {
            vec![ #((#types, ::schemars::schema_for!(#schema_types)),)* ]
        }

        /// The event types this version knows, with their catalog entries.
        pub const EVENTS: &[crate::EventInfo] = &[
            #(crate::EventInfo {
                event_type: #types,
                category: #categories,
                documentation_status: #statuses,
                json_schema: <#names as crate::WebhookEvent>::JSON_SCHEMA,
            },)*
        ];

        #[doc = #parse_doc]
        pub fn parse(body: &[u8]) -> Result<Event, crate::ParseError> {
            let event_type = crate::__private::probe(crate::Provider::#provider_variant, body, #type_field)?;
            parse_typed(event_type, body)
        }

        /// Builds the event of type `event_type` from `value`, the already parsed `body` (used when
        /// the delivery was parsed once to validate it against its schema). The value is consumed:
        /// its strings move into the event instead of being copied.
        #[cfg(feature = "validate")]
        pub fn parse_value_typed(
            event_type: String,
            value: ::serde_json::Value,
            body: &[u8],
        ) -> Result<Event, crate::ParseError> {
            const P: crate::Provider = crate::Provider::#provider_variant;
            Ok(match event_type.as_str() {
                #(#types => Event::#names(crate::__private::parse_value_as(P, &event_type, value)?),)*
                _ => Event::Unknown(crate::__private::unknown(P, event_type, body)?),
            })
        }

        /// Parses `body` as the event type `event_type`, already read from it (a receiver reads it
        /// together with the envelope members it checks).
        pub fn parse_typed(event_type: String, body: &[u8]) -> Result<Event, crate::ParseError> {
            const P: crate::Provider = crate::Provider::#provider_variant;
            Ok(match event_type.as_str() {
                #(#types => Event::#names(crate::__private::parse_as(P, &event_type, body)?),)*
                _ => Event::Unknown(crate::__private::unknown(P, event_type, body)?),
            })
        }
    });
    Ok(quote! {
        #![doc = #module_doc]
        #(#items)*
    })
}

/// The shared pattern newtypes used by any provider.
pub fn patterns_module(config: &Config, used: &BTreeSet<String>) -> TokenStream {
    let mut items = Vec::new();
    for (pattern, named) in &config.pattern {
        if !used.contains(&named.name) {
            continue;
        }
        let doc = format!(" {}", named.doc);
        let n = ident(&named.name);
        items.push(quote! {
            pattern_newtype! {
                #[doc = #doc]
                pub struct #n(#pattern);
            }
        });
    }
    quote! {
        #![doc = " Checked string newtypes, one per pattern the schemas use."]
        #(#items)*
    }
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
}

/// The derive macro's table of every event's bundled schema.
pub fn schema_table(rows: &[SchemaRow]) -> TokenStream {
    let entries = rows.iter().map(|r| {
        let (p, t, c, s, j) = (
            &r.provider,
            &r.event_type,
            &r.category,
            &r.documentation_status,
            &r.schema,
        );
        quote! {
            EventSchema { provider: #p, event_type: #t, category: #c, documentation_status: #s, schema: #j },
        }
    });
    quote! {
        #![doc = " The bundled JSON Schema of every event, by provider and event type."]
        use super::EventSchema;
        /// Every event of every provider.
        pub(crate) const EVENTS: &[EventSchema] = &[ #(#entries)* ];
    }
}
