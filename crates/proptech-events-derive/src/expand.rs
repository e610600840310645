//! Expansion of `#[derive(WebhookEvent)]`.

use proc_macro2::TokenStream;
use quote::quote;
use serde_derive_internals::Ctxt;
use syn::{Data, DeriveInput, LitStr};

use crate::schema::Node;
use crate::schemas::{self, Miss};
use crate::{attr, check, serde_view};

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Expands the derive: the impl, the const assertions of nested types, and every error found, all
/// collected in one [`Ctxt`] so a user sees every problem of the type at once.
pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let (imp, assertions) = expand(&cx, input);
    match cx.check() {
        Ok(()) => quote!(#imp #(#assertions)*),
        // Still emit the impl, so one mistake does not cascade into "trait not implemented".
        Err(errors) => {
            let errors = errors.into_compile_error();
            quote!(#errors #imp)
        }
    }
}

fn expand(cx: &Ctxt, input: &DeriveInput) -> (Option<TokenStream>, Vec<TokenStream>) {
    let Some(attr) = attr::parse(cx, &input.attrs, &input.ident) else {
        return (None, Vec::new());
    };
    let provider = attr.provider.value();
    let event = attr.event.value();
    let entry = match schemas::find(&provider, &event) {
        Ok(entry) => entry,
        Err(Miss::Provider(close)) => {
            cx.syn_error(syn::Error::new(
                attr.provider.span(),
                format!(
                    "unknown provider \"{provider}\"; did you mean {}?",
                    quoted(&close)
                ),
            ));
            return (None, Vec::new());
        }
        Err(Miss::Event(close)) => {
            cx.syn_error(syn::Error::new(
                attr.event.span(),
                format!(
                    "{provider} has no event \"{event}\"; did you mean {}?",
                    quoted(&close)
                ),
            ));
            return (None, Vec::new());
        }
    };

    let path = attr.path.as_ref().map(LitStr::value).unwrap_or_default();
    let imp = impl_tokens(input, entry, &path);
    let doc: serde_json::Value = match serde_json::from_str(entry.resolved) {
        Ok(doc) => doc,
        Err(e) => {
            cx.syn_error(syn::Error::new(
                attr.event.span(),
                format!("embedded schema: {e}"),
            ));
            return (Some(imp), Vec::new());
        }
    };
    if let Some(p) = &attr.path
        && let Err(e) = Node::at(&doc, &path)
    {
        cx.syn_error(syn::Error::new(
            p.span(),
            format!("path \"{path}\" is not in {provider} {event}: {e}"),
        ));
        return (Some(imp), Vec::new());
    }
    if attr.unchecked || !matches!(input.data, Data::Struct(_)) {
        return (Some(imp), Vec::new());
    }
    // Where serde rejects the type's attributes, serde's derive says why; nothing is checked here.
    let Some(serde) = serde_view::read(input) else {
        return (Some(imp), Vec::new());
    };
    let target = check::Target {
        provider: entry.provider,
        event: entry.event_type,
        path: &path,
        doc: &doc,
    };
    (Some(imp), check::fields(&target, &serde, cx))
}

fn impl_tokens(input: &DeriveInput, entry: &schemas::EventSchema, path: &str) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let provider_variant = syn::Ident::new(entry.variant, proc_macro2::Span::call_site());
    let (event_type, category, schema) = (entry.event_type, entry.category, entry.schema);
    let status = syn::Ident::new(entry.status, proc_macro2::Span::call_site());
    let personal = entry.personal.iter().map(|(path, category)| {
        let steps = path.iter().map(|step| match step {
            Some(name) => quote!(::proptech_events::personal::Step::Member(#name)),
            None => quote!(::proptech_events::personal::Step::Any),
        });
        let category = syn::Ident::new(category, proc_macro2::Span::call_site());
        quote! {
            ::proptech_events::personal::PersonalMember::new(
                &[#(#steps),*],
                ::proptech_events::personal::PersonalData::#category,
            )
        }
    });
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics ::proptech_events::__private::WebhookEvent for #ident #ty_generics #where_clause {
                const PROVIDER: ::proptech_events::__private::Provider =
                    ::proptech_events::__private::Provider::#provider_variant;
                const EVENT_TYPE: &'static str = #event_type;
                const CATEGORY: &'static str = #category;
                const DOCUMENTATION_STATUS: ::proptech_events::__private::DocumentationStatus =
                    ::proptech_events::__private::DocumentationStatus::#status;
                const JSON_SCHEMA: &'static str = #schema;
                const SCHEMA_PATH: &'static str = #path;
                const PERSONAL_DATA: &'static [::proptech_events::personal::PersonalMember] =
                    &[#(#personal),*];
            }
        };
    }
}
