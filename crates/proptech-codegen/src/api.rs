//! The public Rust API of the generated code, read back from what the generator emits: every
//! public struct (its fields and their types, its public methods, `new`'s parameters, whether it
//! is `#[non_exhaustive]`), every public enum (its variants, whether it is open or
//! `#[non_exhaustive]`), every other public item (its signature), and where in which event schema
//! each type is used.
//!
//! `cargo xtask compat` compares the API of two versions of the schema set, so its verdict on the
//! Rust layer follows from the code the generator writes, not from a table kept beside it.
//! [`public_api`] renders every provider module exactly as [`crate::generate`] does and reads the
//! resulting [`syn::File`]s; [`PublicApi::read`] reads one module.

use std::collections::{BTreeMap, BTreeSet};

use proptech_catalog::SchemaSet;
use quote::ToTokens;

use crate::{Config, Error, emit, model};

/// The public API of the generated modules, by item: `"<provider>::<Name>"`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicApi {
    /// Every public item.
    pub items: BTreeMap<String, ApiItem>,
}

/// One public item of a generated module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiItem {
    /// What it is.
    pub shape: Shape,
    /// Where the item's values sit in the deliveries: the event schemas and instance locations
    /// (JSON pointers, `*` for any array element or map value) that are read into it.
    pub locations: BTreeSet<Location>,
}

/// The shape of an item, as a user of the crate can rely on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// A struct.
    Struct {
        /// Its generic parameters, as written (`<D: crate::WebhookEvent>`), or empty.
        generics: String,
        /// Whether other crates cannot build it with a struct literal or match it exhaustively.
        non_exhaustive: bool,
        /// Whether it has private fields (which also rule out struct literals elsewhere).
        private_fields: bool,
        /// Its public fields, by Rust name.
        fields: BTreeMap<String, ApiField>,
        /// Its public inherent methods (`new` among them), by name: the signature.
        methods: BTreeMap<String, Signature>,
    },
    /// An enum.
    Enum {
        /// Whether other crates must end a `match` with `_`.
        non_exhaustive: bool,
        /// Whether it is an open enum (`open_enum!`): a hidden catch-all keeps unknown values and
        /// `as_str()` gives the value.
        open: bool,
        /// Its variants, by name: their payload type (`(Envelope<X>)`), or empty for a unit
        /// variant.
        variants: BTreeMap<String, String>,
    },
    /// Another public item (a type alias, a function, a newtype macro): its text.
    Other(String),
}

/// A public field of a struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiField {
    /// The JSON member it reads (its `#[serde(rename)]`, or its name).
    pub json: String,
    /// Its type, as written (`Option<String>`, `crate::Integer`).
    pub ty: String,
}

/// A method's signature: its parameters (name and type, `self` excluded) and its return type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The parameters after `self`, by name and type.
    pub params: Vec<(String, String)>,
    /// The return type, or empty for `()`.
    pub output: String,
    /// The receiver (`&self`, `&mut self`), or empty for an associated function.
    pub receiver: String,
}

/// Where a type's values sit in a delivery.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The event schema's path under `schemas/`.
    pub schema: String,
    /// The instance location (JSON pointer, `*` for any array element or map value).
    pub pointer: String,
}

/// The public API of every provider module the generator writes for `set`, with the generator's
/// built-in configuration (`codegen.toml`): per provider that has files in `set`, its API or why
/// the generator cannot render it.
pub fn public_api(set: &SchemaSet) -> BTreeMap<String, Result<PublicApi, Error>> {
    set.provider_names()
        .into_iter()
        // A schema set without any of a provider's files (a test set) has no module for it.
        .filter(|p| set.docs().any(|d| d.provider() == *p))
        .map(|p| (p.to_string(), provider_api(set, p)))
        .collect()
}

/// The public API of `provider`'s module, rendered from `set` as [`crate::generate`] renders it.
pub fn provider_api(set: &SchemaSet, provider: &str) -> Result<PublicApi, Error> {
    let config = Config::for_set(set)?;
    let model = model::provider_model(set, &config, provider)?;
    let tokens = emit::provider_module(&model)?;
    let file = syn::parse2::<syn::File>(tokens).map_err(|source| Error::Syntax {
        file: format!("{provider}.rs"),
        source,
    })?;
    let schemas: BTreeMap<String, String> = model
        .events
        .iter()
        .map(|e| (e.event_type.clone(), e.schema_path.clone()))
        .collect();
    Ok(PublicApi::read(provider, &file, &schemas))
}

impl PublicApi {
    /// The public API of one generated module of `provider`. `schemas` gives each event type's
    /// schema path, to locate the types: a struct marked `#[webhook(event = .., path = ..)]` is
    /// read from that event's schema at that path, an `Envelope` from the root of every event
    /// whose payload is at `/data`, and every type they name from the member that holds it.
    pub fn read(provider: &str, file: &syn::File, schemas: &BTreeMap<String, String>) -> Self {
        let mut items = BTreeMap::new();
        let mut roots: Vec<(String, Location)> = Vec::new();
        let mut methods: BTreeMap<String, BTreeMap<String, Signature>> = BTreeMap::new();
        for item in &file.items {
            match item {
                syn::Item::Struct(s) if is_pub(&s.vis) => {
                    let name = s.ident.to_string();
                    let mut fields = BTreeMap::new();
                    let mut private_fields = false;
                    for (position, field) in s.fields.iter().enumerate() {
                        if !is_pub(&field.vis) {
                            private_fields = true;
                            continue;
                        }
                        // A tuple struct's position is its field (`prefixItems`): `0` in Rust,
                        // the array index `0` in the JSON pointer.
                        let rust = match &field.ident {
                            Some(ident) => ident.to_string().trim_start_matches("r#").to_owned(),
                            None => position.to_string(),
                        };
                        let json = serde_rename(&field.attrs).unwrap_or_else(|| rust.clone());
                        fields.insert(
                            rust,
                            ApiField {
                                json,
                                ty: text(&field.ty),
                            },
                        );
                    }
                    if let Some((event, path)) = webhook(&s.attrs)
                        && let Some(schema) = schemas.get(&event)
                    {
                        let at = |pointer: String| Location {
                            schema: schema.clone(),
                            pointer,
                        };
                        roots.push((name.clone(), at(path.clone())));
                        if !path.is_empty() {
                            roots.push(("Envelope".to_owned(), at(String::new())));
                        }
                    }
                    items.insert(
                        name,
                        Shape::Struct {
                            generics: text(&s.generics),
                            non_exhaustive: has_attr(&s.attrs, "non_exhaustive"),
                            private_fields,
                            fields,
                            methods: BTreeMap::new(),
                        },
                    );
                }
                syn::Item::Enum(e) if is_pub(&e.vis) => {
                    items.insert(e.ident.to_string(), enum_shape(e, false));
                }
                syn::Item::Macro(m) if m.mac.path.is_ident("open_enum") => {
                    if let Ok(e) = syn::parse2::<syn::ItemEnum>(m.mac.tokens.clone())
                        && is_pub(&e.vis)
                    {
                        items.insert(e.ident.to_string(), enum_shape(&e, true));
                    }
                }
                syn::Item::Impl(i) if i.trait_.is_none() => {
                    let syn::Type::Path(p) = &*i.self_ty else {
                        continue;
                    };
                    let Some(last) = p.path.segments.last() else {
                        continue;
                    };
                    for inner in &i.items {
                        if let syn::ImplItem::Fn(f) = inner
                            && is_pub(&f.vis)
                        {
                            methods
                                .entry(last.ident.to_string())
                                .or_default()
                                .insert(f.sig.ident.to_string(), signature(&f.sig));
                        }
                    }
                }
                syn::Item::Type(t) if is_pub(&t.vis) => {
                    items.insert(t.ident.to_string(), Shape::Other(text(&strip_docs_type(t))));
                }
                syn::Item::Fn(f) if is_pub(&f.vis) => {
                    let sig = signature(&f.sig);
                    items.insert(
                        f.sig.ident.to_string(),
                        Shape::Other(format!(
                            "fn {}({}) -> {}",
                            f.sig.ident,
                            sig.params
                                .iter()
                                .map(|(n, t)| format!("{n}: {t}"))
                                .collect::<Vec<_>>()
                                .join(", "),
                            sig.output
                        )),
                    );
                }
                _ => {}
            }
        }
        for (name, found) in methods {
            if let Some(Shape::Struct { methods, .. }) = items.get_mut(&name) {
                *methods = found;
            }
        }
        let mut located: BTreeMap<String, BTreeSet<Location>> = BTreeMap::new();
        for (name, at) in roots {
            locate(&items, &name, at, &mut located, &mut Vec::new());
        }
        PublicApi {
            items: items
                .into_iter()
                .map(|(name, shape)| {
                    let locations = located.remove(&name).unwrap_or_default();
                    (format!("{provider}::{name}"), ApiItem { shape, locations })
                })
                .collect(),
        }
    }
}

/// Records that `name` is read at `at`, and follows the types its fields and variants name
/// (`active`: the types being followed, so a recursive type is located once, at its first level).
fn locate(
    items: &BTreeMap<String, Shape>,
    name: &str,
    at: Location,
    located: &mut BTreeMap<String, BTreeSet<Location>>,
    active: &mut Vec<String>,
) {
    let Some(shape) = items.get(name) else {
        return;
    };
    if !located
        .entry(name.to_owned())
        .or_default()
        .insert(at.clone())
        || active.iter().any(|a| a == name)
    {
        return;
    }
    active.push(name.to_owned());
    let mut follow = |ty: &str, pointer: String| {
        for (named, pointer) in named_types(ty, &pointer) {
            if items.contains_key(&named) {
                let at = Location {
                    schema: at.schema.clone(),
                    pointer,
                };
                locate(items, &named, at, located, active);
            }
        }
    };
    match shape {
        Shape::Struct { fields, .. } => {
            for field in fields.values() {
                if field.ty == "D" {
                    continue;
                }
                follow(&field.ty, format!("{}/{}", at.pointer, escape(&field.json)));
            }
        }
        Shape::Enum { variants, .. } => {
            for payload in variants.values() {
                follow(payload, at.pointer.clone());
            }
        }
        Shape::Other(_) => {}
    }
    active.pop();
}

/// The type names in `ty` (as [`text`] writes types), each with the location its values sit at
/// when a value of `ty` sits at `pointer`: the elements of a `Vec` and the values of a map are
/// one level down (`/*`).
fn named_types(ty: &str, pointer: &str) -> Vec<(String, String)> {
    let Ok(ty) = syn::parse_str::<syn::Type>(ty.trim_start_matches('(').trim_end_matches(')'))
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    collect_named(&ty, pointer, &mut out);
    out
}

fn collect_named(ty: &syn::Type, pointer: &str, out: &mut Vec<(String, String)>) {
    match ty {
        syn::Type::Path(p) => {
            let Some(last) = p.path.segments.last() else {
                return;
            };
            let name = last.ident.to_string();
            out.push((name.clone(), pointer.to_owned()));
            let inner = if matches!(name.as_str(), "Vec" | "BTreeMap" | "HashMap" | "Map") {
                format!("{pointer}/*")
            } else {
                pointer.to_owned()
            };
            if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                for arg in &args.args {
                    if let syn::GenericArgument::Type(t) = arg {
                        collect_named(t, &inner, out);
                    }
                }
            }
        }
        syn::Type::Tuple(t) => t.elems.iter().for_each(|t| collect_named(t, pointer, out)),
        syn::Type::Reference(r) => collect_named(&r.elem, pointer, out),
        syn::Type::Paren(p) => collect_named(&p.elem, pointer, out),
        _ => {}
    }
}

fn enum_shape(e: &syn::ItemEnum, open: bool) -> Shape {
    Shape::Enum {
        non_exhaustive: has_attr(&e.attrs, "non_exhaustive") || open,
        open,
        variants: e
            .variants
            .iter()
            .filter(|v| !is_doc_hidden(&v.attrs))
            .map(|v| {
                let payload = match &v.fields {
                    syn::Fields::Unit => String::new(),
                    fields => text(fields),
                };
                (v.ident.to_string(), payload)
            })
            .collect(),
    }
}

fn signature(sig: &syn::Signature) -> Signature {
    let mut receiver = String::new();
    let mut params = Vec::new();
    for input in &sig.inputs {
        match input {
            syn::FnArg::Receiver(r) => receiver = text(r),
            syn::FnArg::Typed(t) => params.push((text(&t.pat), text(&t.ty))),
        }
    }
    let output = match &sig.output {
        syn::ReturnType::Default => String::new(),
        syn::ReturnType::Type(_, ty) => text(ty),
    };
    Signature {
        params,
        output,
        receiver,
    }
}

fn strip_docs_type(t: &syn::ItemType) -> syn::ItemType {
    let mut t = t.clone();
    t.attrs.retain(|a| !a.path().is_ident("doc"));
    t
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

fn has_attr(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().any(|a| a.path().is_ident(name))
}

fn is_doc_hidden(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("doc")
            && a.parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "hidden")
    })
}

/// The member a field reads: its `#[serde(rename = "..")]`.
fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                found = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            } else if meta.input.peek(syn::token::Paren) {
                let _content;
                syn::parenthesized!(_content in meta.input);
            }
            Ok(())
        });
    }
    found
}

/// The event type and payload path of `#[webhook(provider = .., event = .., path = ..)]`.
fn webhook(attrs: &[syn::Attribute]) -> Option<(String, String)> {
    let attr = attrs.iter().find(|a| a.path().is_ident("webhook"))?;
    let (mut event, mut path) = (None, String::new());
    let _ = attr.parse_nested_meta(|meta| {
        if meta.input.peek(syn::Token![=]) {
            let value: syn::LitStr = meta.value()?.parse()?;
            if meta.path.is_ident("event") {
                event = Some(value.value());
            } else if meta.path.is_ident("path") {
                path = value.value();
            }
        }
        Ok(())
    });
    Some((event?, path))
}

/// Tokens as compact text: `Option<String>`, `crate::EventType<D>`, `(Envelope<X>)`.
pub fn text(tokens: &impl ToTokens) -> String {
    let raw = tokens.to_token_stream().to_string();
    let mut out = String::with_capacity(raw.len());
    let chars: Vec<char> = raw.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = out.chars().last().unwrap_or(' ');
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            let word = |c: char| c.is_alphanumeric() || c == '_' || c == '\'';
            // Keep the spaces that separate words (`mut self`, `dyn Trait`) and follow commas
            // and colons of parameters.
            if (word(prev) && word(next))
                || prev == ','
                || (prev == ':' && next != ':' && !out.ends_with("::"))
            {
                out.push(' ');
            }
            continue;
        }
        out.push(c);
    }
    out.replace(" :", ":")
}

/// Escapes one JSON pointer segment.
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_read_as_written() {
        let ty: syn::Type = syn::parse_quote!(Option<::serde_json::Map<String, u64>>);
        assert_eq!(text(&ty), "Option<::serde_json::Map<String, u64>>");
        let ty: syn::Type = syn::parse_quote!(crate::Integer);
        assert_eq!(text(&ty), "crate::Integer");
        let sig: syn::Signature = syn::parse_quote!(fn f(&mut self, a: Vec<u8>) -> &'static str);
        let sig = signature(&sig);
        assert_eq!(sig.receiver, "&mut self");
        assert_eq!(sig.params, vec![("a".to_owned(), "Vec<u8>".to_owned())]);
        assert_eq!(sig.output, "&'static str");
    }

    #[test]
    fn nested_types_are_located_below_their_member() {
        assert_eq!(
            named_types("Option<Vec<Room>>", "/data/rooms"),
            vec![
                ("Option".to_owned(), "/data/rooms".to_owned()),
                ("Vec".to_owned(), "/data/rooms".to_owned()),
                ("Room".to_owned(), "/data/rooms/*".to_owned()),
            ]
        );
    }
}
