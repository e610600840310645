//! Expansion of `#[derive(WebhookEvent)]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DataStruct, DeriveInput, Fields, LitStr};

use crate::check;
use crate::schema::Node;

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

    let path = attr.path.as_ref().map(LitStr::value).unwrap_or_default();
    let doc: serde_json::Value = serde_json::from_str(entry.schema)
        .map_err(|e| syn::Error::new(attr.event.span(), format!("embedded schema: {e}")))?;
    let mut assertions = Vec::new();
    if let Some(p) = &attr.path {
        if let Err(e) = Node::at(&doc, &path) {
            return Err(syn::Error::new(
                p.span(),
                format!("path \"{path}\" is not in {provider} {event}: {e}"),
            ));
        }
    }
    if !attr.unchecked {
        if let Data::Struct(DataStruct {
            fields: Fields::Named(named),
            ..
        }) = &input.data
        {
            let target = check::Target {
                provider: entry.provider,
                event: entry.event_type,
                path: &path,
                doc: &doc,
            };
            let (errors, found) = check::fields(&target, named, &input.attrs);
            if let Some(all) = errors.into_iter().reduce(|mut a, e| {
                a.combine(e);
                a
            }) {
                // Still emit the impl, so one mistake does not cascade into "trait not implemented".
                let fallback = impl_tokens(input, entry, &path);
                let errors = all.into_compile_error();
                return Ok(quote!(#errors #fallback));
            }
            assertions = found;
        }
    }
    let imp = impl_tokens(input, entry, &path);
    Ok(quote! {
        #imp
        #(#assertions)*
    })
}

fn impl_tokens(input: &DeriveInput, entry: &schemas::EventSchema, path: &str) -> TokenStream {
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
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics ::proptech_events::__private::WebhookEvent for #ident #ty_generics #where_clause {
                const PROVIDER: ::proptech_events::__private::Provider =
                    ::proptech_events::__private::Provider::#provider_variant;
                const EVENT_TYPE: &'static str = #event_type;
                const CATEGORY: &'static str = #category;
                const DOCUMENTATION_STATUS: &'static str = #status;
                const JSON_SCHEMA: &'static str = #schema;
                const SCHEMA_PATH: &'static str = #path;
            }
        };
    }
}
