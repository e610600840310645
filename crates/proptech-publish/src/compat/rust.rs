//! The Rust layer: the differences between the public APIs the generator emits for the two
//! versions ([`proptech_codegen::api`]), each placed at the schema and instance location its type
//! is read from, so a schema change carries what it does to the generated crate.
//!
//! Whether a difference breaks code follows from the API alone: anything removed or changed
//! breaks (a field's type, `new`'s parameters, a method's signature, a variant's payload, a type
//! alias); an addition breaks only where the API lets other crates depend on the exact set (a
//! field of a struct without `#[non_exhaustive]` and private fields, a variant of an enum without
//! `#[non_exhaustive]`).

use std::collections::BTreeMap;
use std::fmt;

use proptech_codegen::api::{ApiItem, Location, PublicApi, Shape};
use serde::Serialize;

/// One difference between the two versions' generated public APIs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RustChange {
    /// The item and member, e.g. `repull::ReservationCancelled.reason`,
    /// `repull::ReservationCancelled::new`, `lavanda::UnitStatus::Draft`.
    pub path: String,
    /// What happened to it, e.g. "field type changed", "variant added".
    pub what: String,
    /// What it was (a type or signature), if it existed.
    pub old: Option<String>,
    /// What it is, if it still exists.
    pub new: Option<String>,
    /// Whether code written against the old API may stop compiling.
    pub breaking: bool,
    /// The schemas and instance locations whose values this item or member holds.
    #[serde(skip)]
    pub locations: Vec<Location>,
}

impl fmt::Display for RustChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.breaking {
            "breaking"
        } else {
            "compatible"
        };
        write!(f, "{verdict}: `{}` {}", self.path, self.what)?;
        match (&self.old, &self.new) {
            (Some(old), Some(new)) => write!(f, ": `{old}` → `{new}`"),
            (Some(old), None) => write!(f, " (was `{old}`)"),
            (None, Some(new)) => write!(f, " (`{new}`)"),
            (None, None) => Ok(()),
        }
    }
}

/// Every difference between `base` and `head`, in item order.
pub fn diff(base: &PublicApi, head: &PublicApi) -> Vec<RustChange> {
    let mut out = Vec::new();
    let names: std::collections::BTreeSet<&String> =
        base.items.keys().chain(head.items.keys()).collect();
    for name in names {
        match (base.items.get(name), head.items.get(name)) {
            (Some(old), None) => out.push(RustChange {
                path: name.clone(),
                what: "removed".to_owned(),
                old: Some(kind_of(&old.shape).to_owned()),
                new: None,
                breaking: true,
                locations: old.locations.iter().cloned().collect(),
            }),
            (None, Some(new)) => out.push(RustChange {
                path: name.clone(),
                what: "added".to_owned(),
                old: None,
                new: Some(kind_of(&new.shape).to_owned()),
                breaking: false,
                locations: new.locations.iter().cloned().collect(),
            }),
            (Some(old), Some(new)) => item(name, old, new, (base, head), &mut out),
            (None, None) => {}
        }
    }
    out
}

fn kind_of(shape: &Shape) -> &'static str {
    match shape {
        Shape::Struct { .. } => "struct",
        Shape::Enum { .. } => "enum",
        Shape::Other(_) => "item",
    }
}

/// The locations of both versions of an item, each one level down at `member` when given.
fn locations(old: &ApiItem, new: &ApiItem, member: Option<&str>) -> Vec<Location> {
    let mut all: Vec<Location> = old
        .locations
        .iter()
        .chain(new.locations.iter())
        .map(|l| Location {
            schema: l.schema.clone(),
            pointer: match member {
                Some(m) => format!("{}/{}", l.pointer, m.replace('~', "~0").replace('/', "~1")),
                None => l.pointer.clone(),
            },
        })
        .collect();
    all.sort();
    all.dedup();
    all
}

/// Where a variant's payload is read: the locations of the types it names (`Event::X(Envelope<X>)`
/// is read at the root of `X`'s schema), or else the enum's own.
fn variant_locations(
    name: &str,
    payload: &str,
    old: &ApiItem,
    new: &ApiItem,
    (base, head): (&PublicApi, &PublicApi),
) -> Vec<Location> {
    let provider = name.split("::").next().unwrap_or_default();
    let mut at: Vec<Location> = payload
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|ident| !ident.is_empty())
        .flat_map(|ident| {
            let item = format!("{provider}::{ident}");
            [base.items.get(&item), head.items.get(&item)]
        })
        .flatten()
        .flat_map(|item| item.locations.iter().cloned())
        .map(|l| Location {
            schema: l.schema,
            pointer: String::new(),
        })
        .collect();
    if at.is_empty() {
        at = locations(old, new, None);
    }
    at.sort();
    at.dedup();
    at
}

fn item(
    name: &str,
    old: &ApiItem,
    new: &ApiItem,
    apis: (&PublicApi, &PublicApi),
    out: &mut Vec<RustChange>,
) {
    let mut push =
        |path: String, what: &str, o: Option<String>, n: Option<String>, breaking, at| {
            out.push(RustChange {
                path,
                what: what.to_owned(),
                old: o,
                new: n,
                breaking,
                locations: at,
            })
        };
    match (&old.shape, &new.shape) {
        (
            Shape::Struct {
                generics: og,
                non_exhaustive: one,
                private_fields: op,
                fields: of,
                methods: om,
            },
            Shape::Struct {
                generics: ng,
                non_exhaustive: nne,
                private_fields: np,
                fields: nf,
                methods: nm,
            },
        ) => {
            if og != ng {
                push(
                    name.to_owned(),
                    "generics changed",
                    Some(og.clone()),
                    Some(ng.clone()),
                    true,
                    locations(old, new, None),
                );
            }
            if (one, op) != (nne, np) && !(*nne || *np) {
                push(
                    name.to_owned(),
                    "became buildable with a struct literal",
                    None,
                    None,
                    false,
                    locations(old, new, None),
                );
            } else if !(*one || *op) && (*nne || *np) {
                push(
                    name.to_owned(),
                    "no longer buildable with a struct literal",
                    None,
                    None,
                    true,
                    locations(old, new, None),
                );
            }
            let literal = !(*one || *op);
            let fields: std::collections::BTreeSet<&String> = of.keys().chain(nf.keys()).collect();
            for field in fields {
                let path = format!("{name}.{field}");
                let json = nf.get(field).or(of.get(field)).map(|f| f.json.as_str());
                let at = locations(old, new, json);
                match (of.get(field), nf.get(field)) {
                    (Some(o), None) => {
                        push(path, "field removed", Some(o.ty.clone()), None, true, at)
                    }
                    (None, Some(n)) => {
                        push(path, "field added", None, Some(n.ty.clone()), literal, at)
                    }
                    (Some(o), Some(n)) if o.ty != n.ty => push(
                        path,
                        "field type changed",
                        Some(o.ty.clone()),
                        Some(n.ty.clone()),
                        true,
                        at,
                    ),
                    (Some(o), Some(n)) if o.json != n.json => push(
                        path,
                        "reads another member",
                        Some(o.json.clone()),
                        Some(n.json.clone()),
                        false,
                        at,
                    ),
                    _ => {}
                }
            }
            let methods: std::collections::BTreeSet<&String> = om.keys().chain(nm.keys()).collect();
            for method in methods {
                let path = format!("{name}::{method}");
                let show = |s: &proptech_codegen::api::Signature| {
                    let params: Vec<String> =
                        s.params.iter().map(|(n, t)| format!("{n}: {t}")).collect();
                    let receiver = if s.receiver.is_empty() {
                        String::new()
                    } else if params.is_empty() {
                        s.receiver.clone()
                    } else {
                        format!("{}, ", s.receiver)
                    };
                    let output = if s.output.is_empty() {
                        String::new()
                    } else {
                        format!(" -> {}", s.output)
                    };
                    format!("{method}({receiver}{}){output}", params.join(", "))
                };
                match (om.get(method), nm.get(method)) {
                    (Some(o), None) => push(
                        path,
                        "method removed",
                        Some(show(o)),
                        None,
                        true,
                        locations(old, new, None),
                    ),
                    (None, Some(n)) => push(
                        path,
                        "method added",
                        None,
                        Some(show(n)),
                        false,
                        locations(old, new, None),
                    ),
                    (Some(o), Some(n)) if o.receiver == n.receiver && o.output == n.output => {
                        // One difference per parameter, located at the member it sets (`new`'s
                        // parameters are the required fields).
                        let at = |param: &str| match nf.get(param).or(of.get(param)) {
                            Some(f) => locations(old, new, Some(&f.json)),
                            None => locations(old, new, None),
                        };
                        let find = |s: &proptech_codegen::api::Signature, p: &str| {
                            s.params
                                .iter()
                                .find(|(name, _)| name == p)
                                .map(|(_, t)| t.clone())
                        };
                        let mut params: Vec<&String> = o
                            .params
                            .iter()
                            .chain(n.params.iter())
                            .map(|(p, _)| p)
                            .collect();
                        params.sort();
                        params.dedup();
                        for param in params {
                            let path = format!("{name}::{method}({param})");
                            match (find(o, param), find(n, param)) {
                                (Some(ot), None) => {
                                    push(path, "parameter removed", Some(ot), None, true, at(param))
                                }
                                (None, Some(nt)) => {
                                    push(path, "parameter added", None, Some(nt), true, at(param))
                                }
                                (Some(ot), Some(nt)) if ot != nt => push(
                                    path,
                                    "parameter type changed",
                                    Some(ot),
                                    Some(nt),
                                    true,
                                    at(param),
                                ),
                                _ => {}
                            }
                        }
                        let order = |s: &proptech_codegen::api::Signature| -> Vec<String> {
                            s.params
                                .iter()
                                .filter(|(p, _)| find(o, p).is_some() && find(n, p).is_some())
                                .map(|(p, _)| p.clone())
                                .collect()
                        };
                        if order(o) != order(n) {
                            push(
                                path,
                                "parameters reordered",
                                Some(show(o)),
                                Some(show(n)),
                                true,
                                locations(old, new, None),
                            );
                        }
                    }
                    (Some(o), Some(n)) if o != n => push(
                        path,
                        "signature changed",
                        Some(show(o)),
                        Some(show(n)),
                        true,
                        locations(old, new, None),
                    ),
                    _ => {}
                }
            }
        }
        (
            Shape::Enum {
                non_exhaustive: one,
                variants: ov,
                ..
            },
            Shape::Enum {
                non_exhaustive: nne,
                variants: nv,
                ..
            },
        ) => {
            if *one && !*nne {
                push(
                    name.to_owned(),
                    "no longer #[non_exhaustive]",
                    None,
                    None,
                    false,
                    locations(old, new, None),
                );
            } else if !*one && *nne {
                push(
                    name.to_owned(),
                    "became #[non_exhaustive]",
                    None,
                    None,
                    true,
                    locations(old, new, None),
                );
            }
            let variants: std::collections::BTreeSet<&String> =
                ov.keys().chain(nv.keys()).collect();
            let shown = |v: &str, payload: &str| format!("{v}{payload}");
            for variant in variants {
                let path = format!("{name}::{variant}");
                let payload = ov
                    .get(variant)
                    .or(nv.get(variant))
                    .map_or("", String::as_str);
                let at = variant_locations(name, payload, old, new, apis);
                match (ov.get(variant), nv.get(variant)) {
                    (Some(o), None) => push(
                        path,
                        "variant removed",
                        Some(shown(variant, o)),
                        None,
                        true,
                        at,
                    ),
                    (None, Some(n)) => push(
                        path,
                        "variant added",
                        None,
                        Some(shown(variant, n)),
                        !*one,
                        at,
                    ),
                    (Some(o), Some(n)) if o != n => push(
                        path,
                        "variant payload changed",
                        Some(shown(variant, o)),
                        Some(shown(variant, n)),
                        true,
                        at,
                    ),
                    _ => {}
                }
            }
        }
        (Shape::Other(o), Shape::Other(n)) if o != n => push(
            name.to_owned(),
            "changed",
            Some(o.clone()),
            Some(n.clone()),
            true,
            locations(old, new, None),
        ),
        (o, n) if kind_of(o) != kind_of(n) => push(
            name.to_owned(),
            "changed kind",
            Some(kind_of(o).to_owned()),
            Some(kind_of(n).to_owned()),
            true,
            locations(old, new, None),
        ),
        _ => {}
    }
}

/// The Rust API of one version, as [`super::Snapshot`] carries it.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum RustApi {
    /// Not asked for: the comparison judges the wire format only.
    #[default]
    NotRequested,
    /// The generator's API could not be had for this version at all: why.
    Unavailable(String),
    /// Per provider, the public API of its generated module, or why it could not be generated.
    Generated(BTreeMap<String, Result<PublicApi, String>>),
}

impl RustApi {
    /// The API the generator emits for `set`, per provider.
    pub fn of_set(set: &proptech_catalog::SchemaSet) -> Self {
        RustApi::Generated(
            proptech_codegen::api::public_api(set)
                .into_iter()
                .map(|(p, api)| (p, api.map_err(|e| e.to_string())))
                .collect(),
        )
    }
}
