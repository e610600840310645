//! Checking a struct's fields against the schema of the event (or sub-object) it describes: each
//! field's JSON name must be a property there, and its Rust type must fit the property's schema.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use syn::spanned::Spanned;
use syn::{Field, GenericArgument, PathArguments, Type};

use crate::schema::Node;

/// What the check needs to know about the derive.
pub struct Target<'a> {
    pub provider: &'a str,
    pub event: &'a str,
    /// The instance path the struct describes (`""` for the whole event).
    pub path: &'a str,
    /// The bundled schema.
    pub doc: &'a serde_json::Value,
}

/// Serde's view of a field, as far as the check needs it.
#[derive(Default)]
struct SerdeField {
    rename: Option<String>,
    skip: bool,
    flatten: bool,
    default: bool,
    custom: bool,
}

fn serde_field(field: &Field) -> SerdeField {
    let mut out = SerdeField::default();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            match key.as_str() {
                "rename" => {
                    if meta.input.peek(syn::Token![=]) {
                        let lit: syn::LitStr = meta.value()?.parse()?;
                        out.rename = Some(lit.value());
                    } else {
                        // rename(deserialize = "...", serialize = "...")
                        meta.parse_nested_meta(|inner| {
                            let lit: syn::LitStr = inner.value()?.parse()?;
                            if inner.path.is_ident("deserialize") {
                                out.rename = Some(lit.value());
                            }
                            Ok(())
                        })?;
                    }
                }
                "skip" | "skip_deserializing" => out.skip = true,
                "flatten" => out.flatten = true,
                "default" => {
                    out.default = true;
                    if meta.input.peek(syn::Token![=]) {
                        let _: syn::LitStr = meta.value()?.parse()?;
                    }
                }
                "with" | "deserialize_with" => {
                    out.custom = true;
                    let _: syn::LitStr = meta.value()?.parse()?;
                }
                _ => {
                    if meta.input.peek(syn::Token![=]) {
                        let _: syn::Expr = meta.value()?.parse()?;
                    } else if meta.input.peek(syn::token::Paren) {
                        let _ = meta.parse_nested_meta(|_| Ok(()));
                    }
                }
            }
            Ok(())
        });
    }
    out
}

/// The container's `#[serde(rename_all = "...")]` and `#[serde(default)]`.
pub fn serde_container(attrs: &[syn::Attribute]) -> (Option<String>, bool) {
    let mut rename_all = None;
    let mut default = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename_all") {
                if meta.input.peek(syn::Token![=]) {
                    let lit: syn::LitStr = meta.value()?.parse()?;
                    rename_all = Some(lit.value());
                } else {
                    meta.parse_nested_meta(|inner| {
                        let lit: syn::LitStr = inner.value()?.parse()?;
                        if inner.path.is_ident("deserialize") {
                            rename_all = Some(lit.value());
                        }
                        Ok(())
                    })?;
                }
            } else if meta.path.is_ident("default") {
                default = true;
                if meta.input.peek(syn::Token![=]) {
                    let _: syn::LitStr = meta.value()?.parse()?;
                }
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            } else if meta.input.peek(syn::token::Paren) {
                let _ = meta.parse_nested_meta(|_| Ok(()));
            }
            Ok(())
        });
    }
    (rename_all, default)
}

/// Applies a serde `rename_all` rule to a snake_case Rust field name.
fn apply_rename_all(rule: &str, name: &str) -> String {
    let words: Vec<&str> = name.split('_').filter(|w| !w.is_empty()).collect();
    let cap = |w: &str| {
        let mut c = w.chars();
        c.next()
            .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
            .unwrap_or_default()
    };
    match rule {
        "camelCase" => words
            .iter()
            .enumerate()
            .map(|(i, w)| if i == 0 { (*w).to_owned() } else { cap(w) })
            .collect(),
        "PascalCase" => words.iter().map(|w| cap(w)).collect(),
        "SCREAMING_SNAKE_CASE" => name.to_ascii_uppercase(),
        "kebab-case" => words.join("-"),
        "SCREAMING-KEBAB-CASE" => words.join("-").to_ascii_uppercase(),
        "lowercase" => name.replace('_', "").to_ascii_lowercase(),
        "UPPERCASE" => name.replace('_', "").to_ascii_uppercase(),
        _ => name.to_owned(),
    }
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
    errors: Vec<syn::Error>,
    assertions: Vec<TokenStream>,
}

impl Checker<'_> {
    fn error(&mut self, span: Span, message: String) {
        self.errors.push(syn::Error::new(span, message));
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
                    let items = Node::new(self.target.doc, &items.clone());
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
                    let extra = Node::new(self.target.doc, &extra.clone());
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

/// Checks every named field; returns the errors and the const assertions to emit.
pub fn fields(
    target: &Target,
    fields: &syn::FieldsNamed,
    container: &[syn::Attribute],
) -> (Vec<syn::Error>, Vec<TokenStream>) {
    let mut checker = Checker {
        target,
        errors: Vec::new(),
        assertions: Vec::new(),
    };
    let node = match Node::at(target.doc, target.path) {
        Ok(n) => n,
        Err(e) => {
            checker.error(Span::call_site(), e);
            return (checker.errors, checker.assertions);
        }
    };
    let (rename_all, container_default) = serde_container(container);
    let props = node.property_names();
    let required = node.required();
    let where_ = if target.path.is_empty() {
        format!("{} {}", target.provider, target.event)
    } else {
        format!("{} {} at {}", target.provider, target.event, target.path)
    };
    for field in &fields.named {
        let Some(ident) = &field.ident else { continue };
        match unchecked(field) {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => {
                checker.errors.push(e);
                continue;
            }
        }
        let serde = serde_field(field);
        if serde.skip || serde.flatten {
            continue;
        }
        let rust_name = ident.to_string().trim_start_matches("r#").to_owned();
        let json = serde.rename.clone().unwrap_or_else(|| match &rename_all {
            Some(rule) => apply_rename_all(rule, &rust_name),
            None => rust_name.clone(),
        });
        let Some(prop) = node.get("properties").and_then(|p| p.get(&json)).cloned() else {
            let listed: Vec<&str> = props.iter().map(String::as_str).collect();
            let close = crate::schemas::closest(&json, &listed);
            checker.error(
                ident.span(),
                format!(
                    "`{json}` is not a property of {where_}; did you mean {}? Rename the field or add #[serde(rename = \"...\")]",
                    close.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
                ),
            );
            continue;
        };
        let prop = Node::new(target.doc, &prop);
        let at = format!("{}/{json}", target.path);
        let is_option = matches!(kind(&field.ty), Kind::Option(_));
        if !is_option && !required.contains(&json) && !serde.default && !container_default {
            checker.error(
                field.ty.span(),
                format!(
                    "`{json}` ({at}) is optional in the schema (not in `required`), so a delivery may leave it out: make the field Option<_> or add #[serde(default)]"
                ),
            );
        }
        if prop.types().contains("null") && !is_option && !matches!(kind(&field.ty), Kind::Any) {
            checker.error(
                field.ty.span(),
                format!("`{json}` ({at}) may be null in the schema: make the field Option<_>"),
            );
        }
        if serde.custom {
            continue; // the field deserialises through its own function: only the name is checked
        }
        checker.ty(&field.ty, &prop, &at, &json);
    }
    (checker.errors, checker.assertions)
}
