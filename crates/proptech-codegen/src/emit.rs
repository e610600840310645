//! Rust tokens for the model: a module per provider, the shared pattern newtypes, and the derive
//! macro's table of bundled schemas.

use std::collections::BTreeSet;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::Error;
use crate::config::Config;
use crate::model::{Alternative, Check, Event, Field, Item, ProviderModel, Ty, pascal};

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
                if variant.is_empty() || !seen.insert(variant.clone()) {
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
        Item::Tagged {
            name,
            doc,
            discriminator,
            variants,
        } => {
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
            quote! {
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
            }
        }
        Item::Tuple { name, doc, items } => {
            let doc = doc_attr(doc.as_deref());
            let n = ident(name);
            let tys = items.iter().map(|ty| rust_ty(ty, &quote!()));
            let len = items.len();
            let what = format!(" An array of exactly {len} items, each of its own type.");
            quote! {
                #doc
                ///
                #[doc = #what]
                #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
                #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
                pub struct #n(#(pub #tys),*);
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
        Item::AnyOfString {
            name,
            doc,
            alternatives,
            schema,
        } => {
            let doc = doc_attr(doc.as_deref());
            let n = ident(name);
            let mut variants = Vec::new();
            let mut as_str = Vec::new();
            let mut parse = Vec::new();
            let mut what = Vec::new();
            let mut seen = BTreeSet::new();
            for alt in alternatives {
                let (variant, t) = match alt {
                    Alternative::Format(ty, _) => {
                        let t = rust_ty(ty, &quote!());
                        let v = match ty {
                            Ty::DateTime => "DateTime",
                            Ty::Date => "Date",
                            Ty::Email => "Email",
                            _ => "Uri",
                        };
                        (v.to_owned(), Some(t))
                    }
                    // A sign is part of the value: `-Infinity` and `+Infinity` stay apart.
                    Alternative::Literal(value) => {
                        let sign = match value.chars().next() {
                            Some('-') => "Minus",
                            Some('+') => "Plus",
                            _ => "",
                        };
                        (format!("{sign}{}", pascal(value)), None)
                    }
                };
                if variant.is_empty() || !seen.insert(variant.clone()) {
                    return Err(Error::Schema(format!(
                        "{}: {name} has two alternatives named {variant:?}",
                        model.provider
                    )));
                }
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
                        parse.push(quote! {
                            if text == #value {
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
                .map_err(|e| Error::Schema(format!("{name}: {e}")))?;
            quote! {
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
            let (webhook, derive_event) = match event {
                Some(e) => (webhook_attr(model, e), quote!(, crate::WebhookEvent)),
                None => (quote!(), quote!()),
            };
            let shape = Shape {
                name,
                doc: doc.as_deref(),
                note: None,
                fields,
                closed: *closed,
                one_of_required,
                generic: false,
            };
            let def = struct_tokens(&shape, quote!(#webhook), derive_event)?;
            quote!(#def)
        }
    })
}

/// A struct to emit: an event's payload or flat body, a nested object, or the envelope.
struct Shape<'a> {
    name: &'a str,
    doc: Option<&'a str>,
    /// A paragraph of the struct's doc that is not schema prose.
    note: Option<&'a str>,
    fields: &'a [Field],
    closed: bool,
    one_of_required: &'a [Vec<String>],
    /// The envelope, generic over its payload `D`.
    generic: bool,
}

/// The check of a value `v: &T` as a block that returns `Err(message)` early.
fn check_tokens(check: &Check) -> TokenStream {
    let opt = |x: &Option<f64>| match x {
        Some(x) => quote!(Some(#x)),
        None => quote!(None),
    };
    match check {
        Check::Bounds {
            minimum,
            maximum,
            exclusive_minimum,
            exclusive_maximum,
            multiple_of,
        } => {
            let multiple = multiple_of
                .as_deref()
                .map(|m| quote!(crate::__private::multiple_of(v, #m)?;));
            if minimum.is_none()
                && maximum.is_none()
                && exclusive_minimum.is_none()
                && exclusive_maximum.is_none()
            {
                return quote!(#multiple);
            }
            let (a, b, c, d) = (
                opt(minimum),
                opt(maximum),
                opt(exclusive_minimum),
                opt(exclusive_maximum),
            );
            quote!(crate::__private::bounds(v, #a, #b, #c, #d)?; #multiple)
        }
        Check::Length {
            min_length,
            max_length,
        } => {
            let opt = |x: &Option<u64>| match x {
                Some(x) => quote!(Some(#x)),
                None => quote!(None),
            };
            let (a, b) = (opt(min_length), opt(max_length));
            quote!(crate::__private::length(v, #a, #b)?;)
        }
        Check::Items(inner) => {
            let inner = check_tokens(inner);
            quote!(for v in v.iter() { #inner })
        }
        Check::Values(inner) => {
            let inner = check_tokens(inner);
            quote!(for v in v.values() { #inner })
        }
    }
}

/// A struct, with its `Deserialize` (objects only; `null` only where the schema allows it; bounds
/// checked; unknown members kept, or rejected if the schema closes the object), its `Debug`, its
/// constructor and the accessors of its unknown members.
fn struct_tokens(
    shape: &Shape,
    webhook: TokenStream,
    derive_event: TokenStream,
) -> Result<TokenStream, Error> {
    let n = ident(shape.name);
    let doc = doc_attr(shape.doc);
    let note = shape.note.map(|note| quote!(#[doc = ""] #[doc = #note]));
    let (generics, impl_generics, de_generics, tag_of, ser_bound) = if shape.generic {
        (
            quote!(<D: crate::WebhookEvent>),
            quote!(<D: crate::WebhookEvent>),
            quote!(<'de, D: ::serde::Deserialize<'de> + crate::WebhookEvent>),
            quote!(D),
            quote! {
                #[serde(bound(serialize = "D: ::serde::Serialize + crate::WebhookEvent"))]
            },
        )
    } else {
        (quote!(), quote!(), quote!(<'de>), quote!(#n), quote!())
    };
    let ty_args = if shape.generic { quote!(<D>) } else { quote!() };
    if shape.fields.iter().any(|f| f.rust == "unknown_members") {
        return Err(Error::Schema(format!(
            "{}: a member named unknown_members clashes with the kept unknown members",
            shape.name
        )));
    }
    let fs: Vec<_> = shape.fields.iter().map(|f| field(f, &tag_of)).collect();
    let deny = shape.closed.then(|| quote!(#[serde(deny_unknown_fields)]));
    let extra_field = (!shape.closed).then(|| {
        quote! {
            #[serde(flatten)]
            #[cfg_attr(feature = "schemars", schemars(skip))]
            unknown_members: crate::__private::Extra,
        }
    });

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
    let deserialize = if let Some((payload_local, read_payload)) = payload {
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
    };

    // Debug: like the derive, with the unknown members only when there are some.
    let name_str = shape.name;
    let debug_fields = shape.fields.iter().map(|f| {
        let name = ident(&f.rust);
        let label = &f.rust;
        quote!(s.field(#label, &self.#name);)
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
    let debug = quote! {
        impl #debug_bound ::std::fmt::Debug for #n #ty_args {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let mut s = f.debug_struct(#name_str);
                #(#debug_fields)*
                #debug_extra
                s.finish()
            }
        }
    };

    // The constructor: the required members as arguments, every optional one absent.
    let mut params = Vec::new();
    let mut values = Vec::new();
    let mut arg_docs = Vec::new();
    for f in shape.fields {
        let name = ident(&f.rust);
        let t = rust_ty(&f.ty, &tag_of);
        if matches!(f.ty, Ty::EventTypeTag) {
            values.push(quote!(#name: crate::EventType::default(),));
        } else if f.required {
            let ty = if f.nullable && f.ty != Ty::Value {
                quote!(Option<#t>)
            } else {
                t
            };
            params.push(quote!(#name: #ty));
            values.push(quote!(#name,));
            arg_docs.push(format!("`{}`", f.rust));
        } else {
            values.push(quote!(#name: None,));
        }
    }
    let new_doc = if arg_docs.is_empty() {
        format!(" A `{}` with every optional member absent.", shape.name)
    } else {
        format!(
            " A `{}` with its required members ({}) and every optional member absent.",
            shape.name,
            arg_docs.join(", ")
        )
    };
    let accessors = (!shape.closed).then(|| {
        quote! {
            /// The members the schema does not list, each as the exact JSON it was sent as, in the
            /// order they came (`serde_json::from_str(raw.get())` reads one).
            pub fn unknown_members(&self) -> &[(String, Box<::serde_json::value::RawValue>)] {
                self.unknown_members.get()
            }

            /// The members the schema does not list, to change before serialising.
            pub fn unknown_members_mut(&mut self) -> &mut Vec<(String, Box<::serde_json::value::RawValue>)> {
                self.unknown_members.get_mut()
            }

            /// The member `name`, as sent, if the schema does not list it and it was sent.
            pub fn unknown_member(&self, name: &str) -> Option<&::serde_json::value::RawValue> {
                self.unknown_members.member(name)
            }
        }
    });
    let extra_new =
        (!shape.closed).then(|| quote!(unknown_members: crate::__private::Extra::new(),));
    let extra_doc = if shape.closed {
        " The schema closes this object: a member it does not list is rejected."
    } else {
        " Members the schema does not list are kept: see [`Self::unknown_members`]."
    };

    Ok(quote! {
        #doc
        #note
        ///
        #[doc = #extra_doc]
        #[derive(Clone, PartialEq, ::serde::Serialize #derive_event)]
        #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
        #ser_bound
        #deny
        #webhook
        #[non_exhaustive]
        pub struct #n #generics { #(#fs)* #extra_field }

        impl #impl_generics #n #ty_args {
            #[doc = #new_doc]
            #[allow(clippy::too_many_arguments, clippy::new_without_default)]
            pub fn new(#(#params),*) -> Self {
                Self { #(#values)* #extra_new }
            }
            #accessors
        }

        #deserialize
        #debug
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
        let shape = Shape {
            name: "Envelope",
            doc: doc.as_deref(),
            note: Some(
                " `D` is the event's payload; the event type member is [`crate::EventType<D>`].",
            ),
            fields,
            closed: *closed,
            one_of_required: &[],
            generic: true,
        };
        items.push(struct_tokens(&shape, quote!(), quote!())?);
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
        .map(|e| documentation_status(&e.documentation_status))
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

/// The `DocumentationStatus` variant of a catalog's word.
fn documentation_status(word: &str) -> Result<Ident, Error> {
    match word {
        "complete" => Ok(ident("Complete")),
        "partial" => Ok(ident("Partial")),
        "undocumented" => Ok(ident("Undocumented")),
        other => Err(Error::Schema(format!(
            "documentation status {other:?}: expected complete, partial or undocumented"
        ))),
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
    /// The bundled schema with every `$ref` inlined, as compact JSON.
    pub resolved: String,
}

/// The derive macro's table of every event's bundled schema.
pub fn schema_table(rows: &[SchemaRow]) -> TokenStream {
    let entries = rows.iter().map(|r| {
        let (p, t, c, s, j, r) = (
            &r.provider,
            &r.event_type,
            &r.category,
            &r.documentation_status,
            &r.schema,
            &r.resolved,
        );
        quote! {
            EventSchema { provider: #p, event_type: #t, category: #c, documentation_status: #s, schema: #j, resolved: #r },
        }
    });
    quote! {
        #![doc = " The bundled JSON Schema of every event, by provider and event type."]
        use super::EventSchema;
        /// Every event of every provider.
        pub(crate) const EVENTS: &[EventSchema] = &[ #(#entries)* ];
    }
}
