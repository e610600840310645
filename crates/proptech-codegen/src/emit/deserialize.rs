//! The `Deserialize` impl of a struct: objects only, `null` only where the schema allows it, bounds
//! checked, unknown members kept (or rejected if the schema closes the object), and every error
//! naming the member it is about.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::checks::check_tokens;
use super::structs::{Generics, Shape};
use super::{ident, rust_ty};
use crate::model::Ty;

/// Whether a value of `ty` holds an array or a map, whose elements' failures need their own step
/// in the path.
fn has_collection(ty: &Ty) -> bool {
    matches!(ty, Ty::Vec(_) | Ty::Map(_))
}

/// The `DeserializeSeed` that reads a `ty`, noting the index or key of a failing element.
fn seed(ty: &Ty, tag_of: &TokenStream) -> TokenStream {
    match ty {
        Ty::Vec(inner) => {
            let inner = seed(inner, tag_of);
            quote!(crate::__private::Seq(#inner))
        }
        Ty::Map(inner) => {
            let inner = seed(inner, tag_of);
            quote!(crate::__private::MapOf(#inner))
        }
        other => {
            let t = rust_ty(other, tag_of);
            quote!(::std::marker::PhantomData::<#t>)
        }
    }
}

/// The `Deserialize` impl of the struct `shape`.
pub(super) fn impl_deserialize(shape: &Shape) -> TokenStream {
    let n = ident(shape.name);
    let Generics {
        de_params: de_generics,
        tag_of,
        ty_args,
        ..
    } = Generics::of(shape);
    // Deserialize.
    let jsons: Vec<&str> = shape.fields.iter().map(|f| f.json.as_str()).collect();
    let indices: Vec<_> = (0..shape.fields.len())
        .map(proc_macro2::Literal::usize_unsuffixed)
        .collect();
    let locals: Vec<Ident> = (0..shape.fields.len())
        .map(|i| format_ident!("f{}", i))
        .collect();
    let mut reads = Vec::new();
    let mut decls = Vec::new();
    let mut arms = Vec::new();
    let mut inits = Vec::new();
    // How a generic envelope reads its payload: the local it fills and the code that fills it.
    let mut payload = None;
    for (i, (f, local)) in shape.fields.iter().zip(&locals).enumerate() {
        let t = rust_ty(&f.ty, &tag_of);
        let untyped = f.ty == Ty::Value;
        // The type of the member's value as sent (a generic envelope checks its event type
        // member and keeps nothing of it).
        let read = if shape.generic && f.ty == Ty::EventTypeTag {
            quote!(())
        } else if f.nullable && !untyped {
            quote!(Option<#t>)
        } else {
            t.clone()
        };
        decls.push(quote!(let mut #local: Option<#read> = None;));
        reads.push(read.clone());
        let json = &f.json;
        let value = match &f.check {
            // In a generic envelope the members are read by code that does not know `D`.
            None if shape.generic && f.ty == Ty::EventTypeTag => {
                quote!(map.next_value_seed(crate::__private::EventTypeSeed(event_type)))
            }
            // Arrays and maps are read with seeds that name the failing element's index or key.
            None if has_collection(&f.ty) => {
                let seed = seed(&f.ty, &tag_of);
                let seed = if f.nullable && !untyped {
                    quote!(crate::__private::NullOr(#seed))
                } else {
                    seed
                };
                quote!(map.next_value_seed(#seed))
            }
            None => quote!(map.next_value::<#read>()),
            Some(check) => {
                let body = check_tokens(check);
                let body = if f.nullable && !untyped {
                    quote!(if let Some(v) = v { #body })
                } else {
                    body
                };
                quote! {
                    map.next_value_seed(crate::__private::Checked::new(|v: &#read| -> Result<(), String> {
                        #body
                        Ok(())
                    }))
                }
            }
        };
        // A failure inside the value names this member as a step of its path.
        // (A `match`, not `map_err` with a closure: a closure is one more function per member.)
        let value = quote! {
            match #value {
                Ok(value) => value,
                Err(e) => return Err(crate::__private::at_key(e, #json)),
            }
        };
        let i = proc_macro2::Literal::usize_unsuffixed(i);
        if shape.generic && f.ty == Ty::Payload {
            payload = Some((
                local.clone(),
                quote! {
                    if #local.is_some() {
                        return Err(<A::Error as ::serde::de::Error>::duplicate_field(#json));
                    }
                    #local = Some(#value);
                    Ok(())
                },
            ));
            arms.push(quote!(crate::__private::Member::Known(#i) => payload(&mut map)?,));
        } else {
            arms.push(quote! {
                crate::__private::Member::Known(#i) => {
                    if #local.is_some() {
                        return Err(<A::Error as ::serde::de::Error>::duplicate_field(#json));
                    }
                    #local = Some(#value);
                }
            });
        }
        let name = ident(&f.rust);
        inits.push(if f.required {
            quote! {
                #name: match #local {
                    Some(value) => value,
                    None => return Err(<A::Error as ::serde::de::Error>::missing_field(#json)),
                },
            }
        } else {
            quote!(#name: #local,)
        });
    }
    let fields_const = shape
        .closed
        .then(|| quote!(const FIELDS: &[&str] = &[#(#jsons),*];));
    let unknown_arm = if shape.closed {
        quote! {
            crate::__private::Member::Unknown(key) => {
                return Err(<A::Error as ::serde::de::Error>::unknown_field(&key, FIELDS));
            }
        }
    } else {
        quote! {
            crate::__private::Member::Unknown(key) => {
                let value = match map.next_value::<Box<::serde_json::value::RawValue>>() {
                    Ok(value) => value,
                    Err(e) => return Err(crate::__private::at_key(e, &key)),
                };
                unknown_members.insert(key, value);
            }
        }
    };
    let unknown_decl =
        (!shape.closed).then(|| quote!(let mut unknown_members = crate::__private::Extra::new();));
    let unknown_init = (!shape.closed).then(|| quote!(unknown_members,));
    let group_checks: Vec<_> = shape
        .one_of_required
        .iter()
        .map(|group| {
            let members: Vec<_> = group
                .iter()
                .filter_map(|j| shape.fields.iter().position(|f| &f.json == j))
                .map(|i| &locals[i])
                .collect();
            let msg = format!("expected at least one of {}", group.join(", "));
            quote! {
                if #(#members.is_none())&&* {
                    return Err(<A::Error as ::serde::de::Error>::custom(#msg));
                }
            }
        })
        .collect();
    let expecting = format!("a JSON object ({})", shape.name);
    let (visitor_def, visitor_new, visitor_impl_generics, visitor_ty) = if shape.generic {
        (
            quote!(
                struct Visitor<D>(::std::marker::PhantomData<D>);
            ),
            quote!(Visitor(::std::marker::PhantomData)),
            quote!(<'de, D: ::serde::Deserialize<'de> + crate::WebhookEvent>),
            quote!(Visitor<D>),
        )
    } else {
        (
            quote!(
                struct Visitor;
            ),
            quote!(Visitor),
            quote!(<'de>),
            quote!(Visitor),
        )
    };
    // The loop over the members, the same with or without a generic payload.
    let read_members = quote! {
        let lookup = crate::__private::Key(|name| match name {
            #(#jsons => Some(#indices),)*
            _ => None,
        });
        while let Some(key) = map.next_key_seed(lookup)? {
            match key {
                #(#arms)*
                #unknown_arm
                crate::__private::Member::Known(_) => {
                    map.next_value::<::serde::de::IgnoredAny>()?;
                }
            }
        }
    };
    if let Some((payload_local, read_payload)) = payload {
        // Generic over the payload: the loop over the members lives in `visit_head`, which does
        // not know `D` and so is compiled once; only reading `data` and building the value are
        // compiled per payload type.
        let head: Vec<usize> = (0..shape.fields.len())
            .filter(|&i| shape.fields[i].ty != Ty::Payload)
            .collect();
        let head_locals: Vec<_> = head.iter().map(|&i| &locals[i]).collect();
        let head_decls = head.iter().map(|&i| &decls[i]);
        let head_fields = head.iter().map(|&i| {
            let (local, read) = (&locals[i], &reads[i]);
            quote!(#local: Option<#read>,)
        });
        let tags: Vec<_> = head
            .iter()
            .filter(|&&i| shape.fields[i].ty == Ty::EventTypeTag)
            .map(|&i| &locals[i])
            .collect();
        let unknown_field =
            (!shape.closed).then(|| quote!(unknown_members: crate::__private::Extra,));
        quote! {
            impl #de_generics ::serde::Deserialize<'de> for #n #ty_args {
                fn deserialize<De: ::serde::Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
                    /// The members other than the payload, as read.
                    struct Head { #(#head_fields)* #unknown_field }
                    // The event type member is read as `()`: checked, nothing kept.
                    #[allow(clippy::unit_arg)]
                    fn visit_head<'de, A: ::serde::de::MapAccess<'de>>(
                        mut map: A,
                        event_type: &'static str,
                        payload: &mut dyn FnMut(&mut A) -> Result<(), A::Error>,
                    ) -> Result<Head, A::Error> {
                        #fields_const
                        #(#head_decls)*
                        #unknown_decl
                        #read_members
                        Ok(Head { #(#head_locals,)* #unknown_init })
                    }
                    #visitor_def
                    impl #visitor_impl_generics ::serde::de::Visitor<'de> for #visitor_ty {
                        type Value = #n #ty_args;
                        fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                            f.write_str(#expecting)
                        }
                        fn visit_map<A: ::serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                            let mut #payload_local: Option<D> = None;
                            let Head { #(#head_locals,)* #unknown_init } = visit_head(
                                map,
                                <D as crate::WebhookEvent>::EVENT_TYPE,
                                &mut |map: &mut A| { #read_payload },
                            )?;
                            #(let #tags = #tags.map(|()| crate::EventType::default());)*
                            #(#group_checks)*
                            Ok(#n { #(#inits)* #unknown_init })
                        }
                    }
                    d.deserialize_map(#visitor_new)
                }
            }
        }
    } else {
        quote! {
        impl #de_generics ::serde::Deserialize<'de> for #n #ty_args {
            fn deserialize<De: ::serde::Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
                #visitor_def
                impl #visitor_impl_generics ::serde::de::Visitor<'de> for #visitor_ty {
                    type Value = #n #ty_args;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(#expecting)
                    }
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                        #fields_const
                        #(#decls)*
                        #unknown_decl
                        #read_members
                        #(#group_checks)*
                        Ok(#n { #(#inits)* #unknown_init })
                    }
                }
                d.deserialize_map(#visitor_new)
            }
        }
        }
    }
}
