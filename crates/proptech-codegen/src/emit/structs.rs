//! Structs: an object's struct with its fields, constructor and unknown-member accessors (its
//! `Deserialize` and `Debug` are in their own modules), a tuple struct and an opaque payload.

use proc_macro2::TokenStream;
use quote::quote;

use super::{debug, deserialize};
use super::{doc_attr, ident, rust_ty};
use crate::Error;
use crate::model::{Field, Item, ProviderModel, Ty};

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

/// A tuple struct for a fixed-length array.
pub(super) fn tuple(name: &str, doc: &Option<String>, items: &[Ty]) -> Result<TokenStream, Error> {
    let doc = doc_attr(doc.as_deref());
    let n = ident(name);
    let tys = items.iter().map(|ty| rust_ty(ty, &quote!()));
    let len = items.len();
    let what = format!(" An array of exactly {len} items, each of its own type.");
    Ok(quote! {
        #doc
        ///
        #[doc = #what]
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
        pub struct #n(#(pub #tys),*);
    })
}

/// A payload the docs do not describe: a newtype over `serde_json::Value`.
pub(super) fn opaque(
    model: &ProviderModel,
    name: &str,
    doc: &Option<String>,
    event: &str,
) -> Result<TokenStream, Error> {
    let doc = doc_attr(doc.as_deref());
    let n = ident(name);
    let webhook = webhook_attr(model, event);
    let name_str = name;
    Ok(quote! {
        #doc
        #[derive(Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize, crate::WebhookEvent)]
        #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
        #[serde(transparent)]
        #webhook
        pub struct #n(pub ::serde_json::Value);

        // Nobody has judged what an undescribed payload holds: its member names, not its values.
        impl ::std::fmt::Debug for #n {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_tuple(#name_str)
                    .field(&crate::__private::Undescribed(&self.0))
                    .finish()
            }
        }
    })
}

/// The struct of an object ([`Item::Struct`]): an event's payload or flat body, a nested object,
/// or the envelope, the one struct with a payload member, generic over it.
pub(super) fn object(model: &ProviderModel, it: &Item) -> Result<TokenStream, Error> {
    let Item::Struct {
        name,
        doc,
        fields,
        closed,
        one_of_required,
        event,
    } = it
    else {
        unreachable!("structs::object is called with structs only");
    };
    let (webhook, derive_event) = match event {
        Some(e) => (webhook_attr(model, e), quote!(, crate::WebhookEvent)),
        None => (quote!(), quote!()),
    };
    let generic = fields.iter().any(|f| f.ty == Ty::Payload);
    let shape = Shape {
        name,
        doc: doc.as_deref(),
        note: generic.then_some(
            " `D` is the event's payload; the event type member is [`crate::EventType<D>`].",
        ),
        fields,
        closed: *closed,
        one_of_required,
        generic,
    };
    struct_tokens(&shape, webhook, derive_event)
}

/// A struct to emit: an event's payload or flat body, a nested object, or the envelope.
pub(super) struct Shape<'a> {
    /// The struct's name.
    pub name: &'a str,
    /// Its doc comment, from the schema.
    pub doc: Option<&'a str>,
    /// A paragraph of the struct's doc that is not schema prose.
    pub note: Option<&'a str>,
    /// Its fields, in schema order.
    pub fields: &'a [Field],
    /// Whether unknown members are rejected.
    pub closed: bool,
    /// Groups of members of which at least one must be present.
    pub one_of_required: &'a [Vec<String>],
    /// The envelope, generic over its payload `D`.
    pub generic: bool,
}

/// A struct, with its constructor and the accessors of its unknown members, followed by its
/// `Deserialize` ([`deserialize`]) and `Debug` ([`debug`]).
fn struct_tokens(
    shape: &Shape,
    webhook: TokenStream,
    derive_event: TokenStream,
) -> Result<TokenStream, Error> {
    let n = ident(shape.name);
    let doc = doc_attr(shape.doc);
    let note = shape.note.map(|note| quote!(#[doc = ""] #[doc = #note]));
    let Generics {
        params: generics,
        impl_params: impl_generics,
        tag_of,
        ser_bound,
        ty_args,
        ..
    } = Generics::of(shape);
    let fs: Vec<_> = shape.fields.iter().map(|f| field(f, &tag_of)).collect();
    let deny = shape.closed.then(|| quote!(#[serde(deny_unknown_fields)]));
    let extra_field = (!shape.closed).then(|| {
        quote! {
            #[serde(flatten)]
            #[cfg_attr(feature = "schemars", schemars(skip))]
            unknown_members: crate::__private::Extra,
        }
    });

    let deserialize = deserialize::impl_deserialize(shape);
    let debug = debug::impl_debug(shape);

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

/// The generic parts of a struct's items: none for an object, `D` (the payload) for the envelope.
pub(super) struct Generics {
    /// The struct's parameters: `<D: crate::WebhookEvent>`.
    pub params: TokenStream,
    /// The parameters of its inherent impl.
    pub impl_params: TokenStream,
    /// The parameters of its `Deserialize` impl, with `'de`.
    pub de_params: TokenStream,
    /// The type parameter of its event type tag: the payload, or the struct itself.
    pub tag_of: TokenStream,
    /// The serde bound of its `Serialize`.
    pub ser_bound: TokenStream,
    /// The struct's type arguments: `<D>`.
    pub ty_args: TokenStream,
}

impl Generics {
    /// The generics of `shape`.
    pub fn of(shape: &Shape) -> Self {
        if shape.generic {
            Self {
                params: quote!(<D: crate::WebhookEvent>),
                impl_params: quote!(<D: crate::WebhookEvent>),
                de_params: quote!(<'de, D: ::serde::Deserialize<'de> + crate::WebhookEvent>),
                tag_of: quote!(D),
                ser_bound: quote! {
                    #[serde(bound(serialize = "D: ::serde::Serialize + crate::WebhookEvent"))]
                },
                ty_args: quote!(<D>),
            }
        } else {
            let n = ident(shape.name);
            Self {
                params: quote!(),
                impl_params: quote!(),
                de_params: quote!(<'de>),
                tag_of: quote!(#n),
                ser_bound: quote!(),
                ty_args: quote!(),
            }
        }
    }
}
