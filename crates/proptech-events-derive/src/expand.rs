//! Expansion of `#[derive(WebhookEvent)]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::attr;
use crate::schemas::{self, Miss};

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let attr = attr::parse(&input.attrs, &input.ident)?;
    let provider = attr.provider.value();
    let event = attr.event.value();
    let entry = schemas::find(&provider, &event).map_err(|miss| match miss {
        Miss::Provider(close) => syn::Error::new(
            attr.provider.span(),
            format!(
                "unknown provider \"{provider}\"; did you mean {}?",
                quoted(&close)
            ),
        ),
        Miss::Event(close) => syn::Error::new(
            attr.event.span(),
            format!(
                "{provider} has no event \"{event}\"; did you mean {}?",
                quoted(&close)
            ),
        ),
    })?;

    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let provider_variant = syn::Ident::new(
        match entry.provider {
            "valara" => "Valara",
            "repull" => "Repull",
            "lavanda" => "Lavanda",
            _ => "Everreal",
        },
        proc_macro2::Span::call_site(),
    );
    let (event_type, category, status, schema) = (
        entry.event_type,
        entry.category,
        entry.documentation_status,
        entry.schema,
    );
    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics ::proptech_events::__private::WebhookEvent for #ident #ty_generics #where_clause {
                const PROVIDER: ::proptech_events::__private::Provider =
                    ::proptech_events::__private::Provider::#provider_variant;
                const EVENT_TYPE: &'static str = #event_type;
                const CATEGORY: &'static str = #category;
                const DOCUMENTATION_STATUS: &'static str = #status;
                const JSON_SCHEMA: &'static str = #schema;
            }
        };
    })
}
