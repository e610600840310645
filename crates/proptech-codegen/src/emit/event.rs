//! The provider module: its items, the `Event` enum over every event type, and the functions that
//! parse a delivery into it.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::{doc_attr, ident, item};
use crate::Error;
use crate::model::{Event, ProviderModel, pascal};

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
    // The envelope is built like any object: its payload member makes it generic.
    if let Some(envelope) = &model.envelope {
        items.push(item(model, envelope)?);
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
        .map(documentation_status)
        .collect::<Result<_, _>>()?;
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

            /// The delivery as JSON of the same shape with every member its schema marks as
            /// personal data replaced, and every member it does not describe hidden (see
            /// [`crate::personal`]), for logs and support tickets. Of an unknown event type, only
            /// the event type is shown.
            // Inline: serialising each event type to JSON is code a crate that never asks for it
            // should not compile (a third of the provider modules' build time otherwise).
            #[inline]
            pub fn redacted(&self) -> ::serde_json::Value {
                match self {
                    #(Self::#names(e) => crate::__private::redacted_json(
                        e,
                        <#names as crate::WebhookEvent>::PERSONAL_DATA,
                        <#names as crate::WebhookEvent>::JSON_SCHEMA,
                        "",
                    ),)*
                    Self::Unknown(e) => crate::__private::redacted_unknown(e, #type_field),
                }
            }

            /// The delivery kept whole because this version does not know its event type, if it
            /// is one.
            pub fn unknown(&self) -> Option<&crate::UnknownEvent> {
                match self {
                    Self::Unknown(e) => Some(e),
                    _ => None,
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
            #(crate::__private::event_info(
                #types,
                #categories,
                crate::DocumentationStatus::#statuses,
                <#names as crate::WebhookEvent>::JSON_SCHEMA,
                <#names as crate::WebhookEvent>::PERSONAL_DATA,
            ),)*
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
                #(#types => Event::#names(crate::__private::parse_value_as(P, &event_type, value, <#names as crate::WebhookEvent>::PERSONAL_DATA)?),)*
                _ => Event::Unknown(crate::__private::unknown(P, event_type, body)?),
            })
        }

        /// Parses `body` as the event type `event_type`, already read from it (a receiver reads it
        /// together with the envelope members it checks).
        pub fn parse_typed(event_type: String, body: &[u8]) -> Result<Event, crate::ParseError> {
            const P: crate::Provider = crate::Provider::#provider_variant;
            Ok(match event_type.as_str() {
                #(#types => Event::#names(crate::__private::parse_as(P, &event_type, body, <#names as crate::WebhookEvent>::PERSONAL_DATA)?),)*
                _ => Event::Unknown(crate::__private::unknown(P, event_type, body)?),
            })
        }
    });
    Ok(quote! {
        #![doc = #module_doc]
        #(#items)*
    })
}

/// The `DocumentationStatus` variant of a catalog's word.
fn documentation_status(event: &Event) -> Result<Ident, Error> {
    match event.documentation_status.as_str() {
        "complete" => Ok(ident("Complete")),
        "partial" => Ok(ident("Partial")),
        "undocumented" => Ok(ident("Undocumented")),
        other => Err(Error::Schema {
            at: event.schema_path.clone(),
            reason: format!(
                "documentation status {other:?}: expected complete, partial or undocumented"
            ),
        }),
    }
}
