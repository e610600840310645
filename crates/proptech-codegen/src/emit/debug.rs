//! The `Debug` impl of a struct: like the derive, with the unknown members only when there are
//! some, and members marked as personal data redacted.

use proc_macro2::TokenStream;
use quote::quote;

use super::ident;
use super::structs::{Generics, Shape};

/// The `Debug` impl of the struct `shape`.
pub(super) fn impl_debug(shape: &Shape) -> TokenStream {
    let n = ident(shape.name);
    let ty_args = Generics::of(shape).ty_args;
    // Debug: like the derive, with the unknown members only when there are some.
    let name_str = shape.name;
    // A member marked as personal data shows its placeholder, never its text.
    let debug_fields = shape.fields.iter().map(|f| {
        let name = ident(&f.rust);
        let label = &f.rust;
        match f.personal.as_deref() {
            Some(category) => {
                let variant = ident(&proptech_catalog::names::pascal(category));
                quote! {
                    s.field(#label, &crate::__private::Redacted(
                        crate::personal::PersonalData::#variant,
                        &self.#name,
                    ));
                }
            }
            None => quote!(s.field(#label, &self.#name);),
        }
    });
    let debug_extra = (!shape.closed).then(|| {
        quote! {
            if !self.unknown_members.is_empty() {
                s.field("unknown_members", &self.unknown_members);
            }
        }
    });
    let debug_bound = if shape.generic {
        quote!(<D: crate::WebhookEvent + ::std::fmt::Debug>)
    } else {
        quote!()
    };
    quote! {
        impl #debug_bound ::std::fmt::Debug for #n #ty_args {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let mut s = f.debug_struct(#name_str);
                #(#debug_fields)*
                #debug_extra
                s.finish()
            }
        }
    }
}
