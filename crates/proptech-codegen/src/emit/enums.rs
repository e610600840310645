//! The enums of the model: open string enums, unions of JSON types, discriminated `oneOf`s and
//! string `anyOf`s, each with the impls it needs.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc_attr, ident, rust_ty};
use crate::Error;
use crate::model::{Alternative, Ty};
use crate::names;

/// An open string enum (`open_enum!`): one variant per documented value.
pub(super) fn open_enum(
    name: &str,
    doc: &Option<String>,
    values: &[(String, String)],
) -> Result<TokenStream, Error> {
    let doc = doc_attr(doc.as_deref());
    let n = ident(name);
    let variants = values.iter().map(|(v, variant)| {
        let variant = ident(variant);
        quote!(#variant = #v,)
    });
    Ok(quote! {
        open_enum! {
            #doc
            pub enum #n { #(#variants)* }
        }
    })
}

/// A value of one of several JSON types: an untagged enum, one variant per type.
pub(super) fn union(
    name: &str,
    doc: &Option<String>,
    variants: &[(String, Ty)],
) -> Result<TokenStream, Error> {
    let doc = doc_attr(doc.as_deref());
    let n = ident(name);
    let vs = variants.iter().map(|(v, ty)| {
        let v = ident(v);
        let t = rust_ty(ty, &quote!());
        quote!(#[doc = concat!(" A `", stringify!(#v), "` value.")] #v(#t),)
    });
    Ok(quote! {
        #doc
        ///
        /// One of several JSON types; a value of any other type is rejected.
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
        #[serde(untagged)]
        #[non_exhaustive]
        pub enum #n { #(#vs)* }
    })
}

/// Objects told apart by a discriminating member: an enum with its own `Deserialize`.
pub(super) fn tagged(
    name: &str,
    doc: &Option<String>,
    discriminator: &str,
    variants: &[(String, String, Ty)],
) -> Result<TokenStream, Error> {
    let doc = doc_attr(doc.as_deref());
    let n = ident(name);
    let vs = variants.iter().map(|(value, v, ty)| {
        let v = ident(v);
        let t = rust_ty(ty, &quote!());
        let d = format!(" `{discriminator}` is `{value}`.");
        quote!(#[doc = #d] #v(#t),)
    });
    let arms = variants.iter().map(|(value, v, ty)| {
        let v = ident(v);
        let t = rust_ty(ty, &quote!());
        quote! {
            Some(#value) => <#t as ::serde::Deserialize>::deserialize(value)
                .map(Self::#v)
                .map_err(<D::Error as ::serde::de::Error>::custom),
        }
    });
    let listed = variants
        .iter()
        .map(|(value, _, _)| format!("`{value}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let expected = format!("an object whose `{discriminator}` is one of {listed}");
    Ok(quote! {
        #doc
        ///
        /// One variant per shape, told apart by the member named in each variant; any
        /// other value of that member is rejected, as the schema rejects it.
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize)]
        #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
        #[serde(untagged)]
        #[non_exhaustive]
        pub enum #n { #(#vs)* }
        impl<'de> ::serde::Deserialize<'de> for #n {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(d)?;
                let tag = value.get(#discriminator).and_then(::serde_json::Value::as_str).map(str::to_owned);
                match tag.as_deref() {
                    #(#arms)*
                    _ => Err(<D::Error as ::serde::de::Error>::custom(#expected)),
                }
            }
        }
    })
}

/// A string matching one of several alternatives: an enum with `as_str`, its serde impls and its
/// schemars description.
pub(super) fn any_of_string(
    name: &str,
    doc: &Option<String>,
    alternatives: &[Alternative],
    schema: &serde_json::Value,
) -> Result<TokenStream, Error> {
    let doc = doc_attr(doc.as_deref());
    let n = ident(name);
    let mut variants = Vec::new();
    let mut as_str = Vec::new();
    let mut parse = Vec::new();
    let mut what = Vec::new();
    // A format's variant is named after it and keeps that name; a value's by the rule of
    // `names` (a sign is part of the value: `-Infinity` and `+Infinity` stay apart).
    let mut unique: Vec<&Alternative> = Vec::new();
    for alt in alternatives {
        if !unique.contains(&alt) {
            unique.push(alt);
        }
    }
    let wanted: Vec<(bool, String)> = unique
        .iter()
        .map(|alt| match alt {
            Alternative::Format(ty, _) => {
                let v = match ty {
                    Ty::DateTime => "DateTime",
                    Ty::Date => "Date",
                    Ty::Email => "Email",
                    _ => "Uri",
                };
                (true, v.to_owned())
            }
            Alternative::Literal(value) => {
                let candidate = names::variant_candidate(value);
                (*value == candidate, candidate)
            }
        })
        .collect();
    let variant_names = names::distinct(&wanted, &[], names::Case::Pascal);
    for (alt, variant) in unique.into_iter().zip(variant_names) {
        let t = match alt {
            Alternative::Format(ty, _) => Some(rust_ty(ty, &quote!())),
            Alternative::Literal(_) => None,
        };
        let v = ident(&variant);
        match (alt, t) {
            (Alternative::Format(_, pattern), Some(t)) => {
                let d = format!(" A `{}`.", variant);
                variants.push(quote!(#[doc = #d] #v(#t),));
                as_str.push(quote!(Self::#v(v) => v.as_str(),));
                // A pattern beside the format must match too.
                let shaped = match pattern {
                    Some(p) => {
                        let p = ident(p);
                        quote!(crate::#p::new(&*text).is_ok())
                    }
                    None => quote!(true),
                };
                parse.push(quote! {
                    if let Ok(v) = #t::parse(&text) && #shaped {
                        return Ok(Self::#v(v));
                    }
                });
                what.push(variant.clone());
            }
            (Alternative::Literal(value), _) => {
                let d = format!(" `{value}`");
                variants.push(quote!(#[doc = #d] #v,));
                as_str.push(quote!(Self::#v => #value,));
                // The empty value as clippy would have it written by hand.
                let is_value = if value.is_empty() {
                    quote!(text.is_empty())
                } else {
                    quote!(text == #value)
                };
                parse.push(quote! {
                    if #is_value {
                        return Ok(Self::#v);
                    }
                });
                what.push(format!("{value:?}"));
            }
            _ => {}
        }
    }
    let expected = format!("{{:?}} is none of: {}", what.join(", "));
    let schema: TokenStream = schema
        .to_string()
        .parse()
        .map_err(|e: proc_macro2::LexError| Error::Schema {
            at: format!("type {name}"),
            reason: e.to_string(),
        })?;
    Ok(quote! {
        #doc
        ///
        /// A string matching at least one of the alternatives; anything else is rejected.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #n { #(#variants)* }

        impl #n {
            /// The value as sent.
            pub fn as_str(&self) -> &str {
                match self { #(#as_str)* }
            }
        }

        impl ::serde::Serialize for #n {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #n {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str>>::deserialize(d)?;
                #(#parse)*
                Err(<D::Error as ::serde::de::Error>::custom(format_args!(#expected, text)))
            }
        }

        #[cfg(feature = "schemars")]
        impl ::schemars::JsonSchema for #n {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!(#n).into()
            }
            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!(#schema)
            }
        }
    })
}
