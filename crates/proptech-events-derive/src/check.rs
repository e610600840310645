//! Checking a struct's fields against the schema of the event (or sub-object) it describes: each
//! field's JSON name must be a property there, and its Rust type must fit the property's schema.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use syn::spanned::Spanned;
use syn::{Field, GenericArgument, PathArguments, Type};

use serde_derive_internals::{Ctxt, ast};

use crate::schema::Node;
use crate::serde_view::{accepted_names, custom_deserializer, has_default};

/// What the check needs to know about the derive.
pub struct Target<'a> {
    pub provider: &'a str,
    pub event: &'a str,
    /// The instance path the struct describes (`""` for the whole event).
    pub path: &'a str,
    /// The bundled schema.
    pub doc: &'a serde_json::Value,
}

/// Whether a field carries `#[webhook(unchecked)]`.
fn unchecked(field: &Field) -> syn::Result<bool> {
    let mut out = false;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("webhook")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("unchecked") {
                out = true;
                Ok(())
            } else {
                Err(meta.error("the only field key of #[webhook] is `unchecked`"))
            }
        })?;
    }
    Ok(out)
}

/// What a Rust type deserialises from, as far as the macro can tell from its path.
enum Kind<'a> {
    Any,
    Str,
    Formatted(&'static str, &'static str),
    Int(&'static str, i128, i128),
    Float,
    Bool,
    Array(&'a Type),
    Map(Option<&'a Type>),
    Option(&'a Type),
    EventTypeTag,
    Unknown,
}

/// The single generic type argument of the last path segment, if any.
fn generic_arg(ty: &Type, n: usize) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
        return None;
    };
    args.args
        .iter()
        .filter_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .nth(n)
}

fn kind(ty: &Type) -> Kind<'_> {
    match ty {
        Type::Reference(r) => return kind(&r.elem),
        Type::Slice(s) => return Kind::Array(&s.elem),
        Type::Array(a) => return Kind::Array(&a.elem),
        Type::Paren(p) => return kind(&p.elem),
        Type::Group(g) => return kind(&g.elem),
        _ => {}
    }
    let Type::Path(p) = ty else {
        return Kind::Unknown;
    };
    let Some(last) = p.path.segments.last() else {
        return Kind::Unknown;
    };
    let full: Vec<String> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let in_crate = |c: &str| full.len() > 1 && full[full.len() - 2] == c;
    match last.ident.to_string().as_str() {
        "String" | "str" => Kind::Str,
        "Cow" | "Box" | "Arc" | "Rc" => generic_arg(ty, 0).map_or(Kind::Unknown, kind),
        "DateTime" | "OffsetDateTime" => Kind::Formatted("date-time", "a date-time"),
        "NaiveDate" => Kind::Formatted("date", "a date"),
        "Date" if in_crate("time") || in_crate("proptech_events") || full.len() == 1 => {
            Kind::Formatted("date", "a date")
        }
        "Uuid" => Kind::Formatted("uuid", "a UUID"),
        "Email" => Kind::Formatted("email", "an email address"),
        "Uri" | "Url" => Kind::Formatted("uri", "a URI"),
        "i8" => Kind::Int("i8", i8::MIN.into(), i8::MAX.into()),
        "i16" => Kind::Int("i16", i16::MIN.into(), i16::MAX.into()),
        "i32" => Kind::Int("i32", i32::MIN.into(), i32::MAX.into()),
        "i64" => Kind::Int("i64", i64::MIN.into(), i64::MAX.into()),
        "i128" => Kind::Int("i128", i128::MIN, i128::MAX),
        "isize" => Kind::Int("isize", i64::MIN.into(), i64::MAX.into()),
        "u8" => Kind::Int("u8", 0, u8::MAX.into()),
        "u16" => Kind::Int("u16", 0, u16::MAX.into()),
        "u32" => Kind::Int("u32", 0, u32::MAX.into()),
        "u64" => Kind::Int("u64", 0, u64::MAX.into()),
        "u128" | "usize" => Kind::Int("u128", 0, i128::MAX),
        "f32" | "f64" => Kind::Float,
        "Number" if in_crate("serde_json") => Kind::Float,
        "bool" => Kind::Bool,
        "Vec" | "VecDeque" | "BTreeSet" | "HashSet" | "IndexSet" => {
            generic_arg(ty, 0).map_or(Kind::Unknown, Kind::Array)
        }
        "HashMap" | "BTreeMap" | "IndexMap" => Kind::Map(generic_arg(ty, 1)),
        "Map" if in_crate("serde_json") => Kind::Map(None),
        "Value" | "RawValue" => Kind::Any,
        "Option" => generic_arg(ty, 0).map_or(Kind::Unknown, Kind::Option),
        "EventType" => Kind::EventTypeTag,
        _ => Kind::Unknown,
    }
}

/// The problems of one Rust type against one schema, and the const assertions it needs.
struct Checker<'a> {
    target: &'a Target<'a>,
    cx: &'a Ctxt,
    assertions: Vec<TokenStream>,
}

impl Checker<'_> {
    fn error(&mut self, span: Span, message: String) {
        self.cx.syn_error(syn::Error::new(span, message));
    }

    /// Checks `ty` against `node` at the instance path `at`.
    fn ty(&mut self, ty: &Type, node: &Node, at: &str, name: &str) {
        let span = ty.span();
        let types = node.types();
        // An untyped schema allows any value, which only a `Value`-like type can hold.
        let allows = |t: &str| types.contains(t);
        let here = format!("`{name}` ({at}): the schema has {}", node.describe());
        match kind(ty) {
            Kind::Any => {}
            Kind::Option(inner) => self.ty(inner, node, at, name),
            Kind::Str => {
                if !allows("string") {
                    self.error(
                        span,
                        format!(
                            "{here}, which a string type cannot hold; use a type for {}",
                            node.describe()
                        ),
                    );
                }
            }
            Kind::Formatted(format, what) => {
                if !allows("string") || node.format() != Some(format) {
                    self.error(
                        span,
                        format!("{here}, not {what} (format {format}); use String, or a type for what is there"),
                    );
                }
            }
            Kind::Int(rust, min, max) => {
                if !allows("integer") || allows("number") {
                    self.error(
                        span,
                        format!(
                            "{here}, which `{rust}` cannot hold; use a type for {}",
                            node.describe()
                        ),
                    );
                    return;
                }
                // An integer with no bound is taken to fit in 64 bits.
                let lo = node
                    .bound("minimum")
                    .map_or(i128::from(i64::MIN), |m| m.ceil() as i128);
                let hi = node
                    .bound("maximum")
                    .map_or(i128::from(i64::MAX), |m| m.floor() as i128);
                if lo < min || hi > max {
                    self.error(
                        span,
                        format!(
                            "{here}: values from {} to {} are allowed, and `{rust}` holds {min} to {max}; use a wider integer type{}",
                            node.bound("minimum").map_or("-2^63".to_owned(), |m| m.to_string()),
                            node.bound("maximum").map_or("2^63-1".to_owned(), |m| m.to_string()),
                            if lo < 0 && min == 0 { " that is signed" } else { "" },
                        ),
                    );
                }
            }
            Kind::Float => {
                if !(allows("number") || allows("integer")) {
                    self.error(span, format!("{here}, which a number type cannot hold"));
                }
            }
            Kind::Bool => {
                if !allows("boolean") {
                    self.error(span, format!("{here}, which `bool` cannot hold"));
                }
            }
            Kind::Array(item) => {
                if !allows("array") {
                    self.error(span, format!("{here}, not an array"));
                    return;
                }
                if let Some(items) = node.get("items") {
                    let items = Node::new(items);
                    self.ty(item, &items, &format!("{at}/0"), name);
                }
            }
            Kind::Map(value) => {
                if !allows("object") {
                    self.error(span, format!("{here}, not an object"));
                    return;
                }
                if let (Some(value), Some(extra @ serde_json::Value::Object(_))) =
                    (value, node.get("additionalProperties"))
                {
                    let extra = Node::new(extra);
                    self.ty(value, &extra, &format!("{at}/*"), name);
                }
            }
            Kind::EventTypeTag => {
                if node
                    .get("const")
                    .and_then(serde_json::Value::as_str)
                    .is_none()
                {
                    self.error(
                        span,
                        format!("{here}; EventType<_> only fits the event type member"),
                    );
                }
            }
            Kind::Unknown => {
                if types.len() == 1 && types.contains("object") || node.get("properties").is_some()
                {
                    // A nested struct: it must derive the same check for this very place.
                    let (provider, event) = (self.target.provider, self.target.event);
                    let message = format!(
                        "`{name}`: this type must #[derive(WebhookEvent)] with #[webhook(provider = \"{provider}\", event = \"{event}\", path = \"{at}\")]"
                    );
                    self.assertions.push(quote_spanned! {span=>
                        const _: () = {
                            use ::proptech_events::__private::{WebhookEvent, str_eq};
                            if !(str_eq(<#ty as WebhookEvent>::PROVIDER.as_str(), #provider)
                                && str_eq(<#ty as WebhookEvent>::EVENT_TYPE, #event)
                                && str_eq(<#ty as WebhookEvent>::SCHEMA_PATH, #at))
                            {
                                panic!(#message);
                            }
                        };
                    });
                } else if !allows("string") || types.len() > 1 && !types.contains("null") {
                    self.error(
                        span,
                        format!("{here}; the macro cannot tell what this type holds: use a std type, or mark the field #[webhook(unchecked)]"),
                    );
                }
                // Where the schema has a string, an unknown type is taken to be a string enum.
            }
        }
    }
}

/// Checks the fields of a struct as serde reads them, reporting every problem to `cx`; returns the
/// const assertions to emit.
pub fn fields(target: &Target, serde: &ast::Container, cx: &Ctxt) -> Vec<TokenStream> {
    let mut checker = Checker {
        target,
        cx,
        assertions: Vec::new(),
    };
    let node = match Node::at(target.doc, target.path) {
        Ok(n) => n,
        Err(e) => {
            checker.error(Span::call_site(), e);
            return checker.assertions;
        }
    };
    let ast::Data::Struct(style, fields) = &serde.data else {
        return checker.assertions;
    };
    if !matches!(style, ast::Style::Struct) && !serde.attrs.transparent() {
        return checker.assertions; // tuple and unit structs are not objects with members
    }
    if serde.attrs.type_from().is_some() || serde.attrs.type_try_from().is_some() {
        // `#[serde(from = "...")]`: the delivery is read as another type, which is checked where
        // it derives `WebhookEvent`.
        return checker.assertions;
    }
    let where_ = if target.path.is_empty() {
        format!("{} {}", target.provider, target.event)
    } else {
        format!("{} {} at {}", target.provider, target.event, target.path)
    };
    if serde.attrs.transparent() {
        // The struct reads as its one non-skipped field: that field's type meets the schema here.
        for field in fields.iter().filter(|f| f.attrs.transparent()) {
            match unchecked(field.original) {
                Ok(true) => {}
                Ok(false) if custom_deserializer(field) => {}
                Ok(false) => {
                    let name = format!("{}.{}", serde.ident, field_name(field));
                    checker.ty(field.ty, &node, target.path, &name);
                }
                Err(e) => cx.syn_error(e),
            }
        }
        return checker.assertions;
    }
    let props = node.property_names();
    let required = node.required();
    for field in fields {
        match unchecked(field.original) {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => {
                cx.syn_error(e);
                continue;
            }
        }
        if field.attrs.skip_deserializing() || field.attrs.flatten() {
            continue;
        }
        let span = field
            .original
            .ident
            .as_ref()
            .map_or_else(|| field.ty.span(), |i| i.span());
        let names = accepted_names(field);
        let Some(json) = names.iter().copied().find(|n| props.contains(*n)) else {
            let json = names[0];
            let listed: Vec<&str> = props.iter().map(String::as_str).collect();
            let close = crate::schemas::closest(json, &listed);
            let aliases = if names.len() > 1 {
                " (nor is any of its aliases)"
            } else {
                ""
            };
            checker.error(
                span,
                format!(
                    "`{json}` is not a property of {where_}{aliases}; did you mean {}? Rename the field or add #[serde(rename = \"...\")]",
                    close.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
                ),
            );
            continue;
        };
        let Some(prop) = node.get("properties").and_then(|p| p.get(json)) else {
            continue; // `props` lists exactly the keys of `properties`
        };
        let prop = Node::new(prop);
        let at = format!("{}/{json}", target.path);
        let is_option = matches!(kind(field.ty), Kind::Option(_));
        if !is_option && !required.contains(json) && !has_default(serde, field) {
            checker.error(
                field.ty.span(),
                format!(
                    "`{json}` ({at}) is optional in the schema (not in `required`), so a delivery may leave it out: make the field Option<_> or add #[serde(default)]"
                ),
            );
        }
        if prop.types().contains("null") && !is_option && !matches!(kind(field.ty), Kind::Any) {
            checker.error(
                field.ty.span(),
                format!("`{json}` ({at}) may be null in the schema: make the field Option<_>"),
            );
        }
        if custom_deserializer(field) {
            continue; // the field deserialises through its own function: only the name is checked
        }
        checker.ty(field.ty, &prop, &at, json);
    }
    checker.assertions
}

/// The field's Rust name (its index for a tuple field), for messages.
fn field_name(field: &ast::Field) -> String {
    match &field.member {
        syn::Member::Named(i) => i.to_string().trim_start_matches("r#").to_owned(),
        syn::Member::Unnamed(i) => i.index.to_string(),
    }
}
