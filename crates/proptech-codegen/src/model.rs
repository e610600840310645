//! The Rust model of a provider's schemas: the structs, open enums and events to generate, built by
//! walking the schemas and following their `$ref`s.

use std::collections::{BTreeMap, BTreeSet};

pub use proptech_catalog::names::{event_name, pascal};

use proptech_catalog::{SchemaSet, required_of};
use serde_json::Value;

use crate::Error;
use crate::config::{Config, ProviderConfig};
use crate::keywords::{self, Class, push};
use crate::names;

/// Keywords every schema object may carry: they identify it or hold subschemas for `$ref`.
const CORE: [&str; 3] = ["$schema", "$id", "$defs"];

/// The error for `keyword` at `pointer` in the schema file `origin`.
fn refuse(keyword: &str, origin: &str, pointer: &str) -> Error {
    Error::Keyword {
        keyword: keyword.to_owned(),
        schema: origin.to_owned(),
        pointer: pointer.to_owned(),
    }
}

/// The error for the schema object at `pointer` in the schema file `origin`.
fn schema_error(origin: &str, pointer: &str, reason: impl Into<String>) -> Error {
    Error::Schema {
        at: format!("{origin}#{pointer}"),
        reason: reason.into(),
    }
}

/// Fails on the first keyword of `schema` (the schema object at `pointer` in the file `origin`)
/// that is neither an annotation, nor a core keyword, nor one of `allowed`: the keywords that the
/// shape the generator chose for `schema` enforces. A `false` schema is refused: no Rust type
/// rejects every value.
fn audit(origin: &str, pointer: &str, schema: &Value, allowed: &[&str]) -> Result<(), Error> {
    let object = match schema {
        Value::Object(object) => object,
        Value::Bool(true) => return Ok(()),
        Value::Bool(false) => return Err(refuse("false", origin, pointer)),
        // Draft 4's array form of `items`, or anything else that is not a 2020-12 schema.
        _ => return Err(refuse("(not a schema)", origin, pointer)),
    };
    for key in object.keys() {
        match keywords::classify(key) {
            Class::Annotation => {}
            Class::Enforced if CORE.contains(&key.as_str()) || allowed.contains(&key.as_str()) => {}
            _ => return Err(refuse(key, origin, pointer)),
        }
    }
    Ok(())
}

/// Fails unless every keyword of `keys` that `schema` has is a number (draft 4's boolean
/// `exclusiveMinimum` is not a 2020-12 bound and would be ignored).
fn numeric(origin: &str, pointer: &str, schema: &Value, keys: &[&str]) -> Result<(), Error> {
    for key in keys {
        if schema.get(*key).is_some_and(|v| !v.is_number()) {
            return Err(refuse(key, origin, pointer));
        }
    }
    Ok(())
}

/// Whether `text` is a JSON number whose digits fit the decimal check of `multipleOf`
/// (`proptech_events::__private::multiple_of`): at most 36 significant digits, so the divisor
/// stays below 10^37 once scaled by the value's unit in the usual cases.
fn proptech_decimal(text: &str) -> Option<()> {
    let mantissa = text.split(['e', 'E']).next()?;
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).count();
    (digits <= 36).then_some(())
}

/// `ty` without its box, for a collection, whose items are on the heap already.
fn unboxed(ty: Ty) -> Ty {
    match ty {
        Ty::Boxed(inner) => *inner,
        other => other,
    }
}

/// Whether `alt`, an alternative of an `anyOf`, accepts strings only: it says `"type": "string"`,
/// or lists string values only.
fn string_only(alt: &Value) -> bool {
    let strings = |v: &Value| match v {
        Value::Array(vs) => vs.iter().all(Value::is_string),
        _ => false,
    };
    alt.get("type").is_some_and(|t| t == "string")
        || alt.get("enum").is_some_and(strings)
        || alt.get("const").is_some_and(Value::is_string)
}

/// The keywords of a plain string the generated `Deserialize` checks (see [`Check::Length`]).
const LENGTH: [&str; 2] = ["minLength", "maxLength"];

/// The keywords of a number the generated `Deserialize` checks (see [`Check::Bounds`]).
const BOUNDS: [&str; 4] = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"];

/// The Rust type of a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// `String`.
    String,
    /// `i64`: an integer whose schema bounds it on both sides, below zero allowed.
    I64,
    /// `u64`: an integer whose schema bounds it on both sides, with `minimum >= 0`.
    U64,
    /// `crate::Integer`: any JSON integer, for an integer the schema does not bound on both sides.
    Integer,
    /// `serde_json::Number`: any JSON number, kept in the form it was sent (`2` stays `2`).
    F64,
    /// `bool`.
    Bool,
    /// `crate::DateTime` (`format: date-time`).
    DateTime,
    /// `crate::Date` (`format: date`).
    Date,
    /// `crate::Uuid` (`format: uuid`).
    Uuid,
    /// `crate::Email` (`format: email`).
    Email,
    /// `crate::Uri` (`format: uri`).
    Uri,
    /// `serde_json::Value`: the docs give no type.
    Value,
    /// `serde_json::Map<String, Value>`: an object with no documented members.
    Object,
    /// A generated struct or enum of the provider's module.
    Named(String),
    /// A checked newtype shared by every provider.
    Pattern(String),
    /// `Vec<T>`.
    Vec(Box<Ty>),
    /// `BTreeMap<K, T>`: an object whose member names all match one pattern (`K`, the pattern's
    /// checked newtype) and whose values are all of one type (`patternProperties` with
    /// `additionalProperties: false`).
    PatternMap(String, Box<Ty>),
    /// `Option<T>` where `null` is a value (a nullable tuple position).
    Nullable(Box<Ty>),
    /// `Box<T>`: a reference back to a struct that is still being defined (a recursive `$ref`).
    Boxed(Box<Ty>),
    /// `BTreeMap<String, T>`: an object whose members are all of one type.
    Map(Box<Ty>),
    /// `crate::EventType<E>`: the member that carries the event type, `E` being the event's payload
    /// (in an envelope) or the event itself (in a flat event).
    EventTypeTag,
    /// The envelope's payload, its type parameter `D`.
    Payload,
}

/// A member of a struct.
#[derive(Debug, Clone)]
pub struct Field {
    /// The JSON member name.
    pub json: String,
    /// The Rust field name (without `r#`).
    pub rust: String,
    /// Its doc comment.
    pub doc: Option<String>,
    /// Its type.
    pub ty: Ty,
    /// Whether the member must be present.
    pub required: bool,
    /// Whether the value may be `null`.
    pub nullable: bool,
    /// What the value must satisfy beyond its Rust type (numeric bounds), if anything.
    pub check: Option<Check>,
    /// The category of personal data it holds (`x-personal-data` on the member, on what its
    /// `$ref` names, or on its items or values), if it holds any as a whole.
    pub personal: Option<String>,
}

/// A constraint of the schema that the Rust type alone does not enforce, checked when parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` of a number.
    Bounds {
        /// `minimum`.
        minimum: Option<f64>,
        /// `maximum`.
        maximum: Option<f64>,
        /// `exclusiveMinimum`.
        exclusive_minimum: Option<f64>,
        /// `exclusiveMaximum`.
        exclusive_maximum: Option<f64>,
        /// `multipleOf`, as written in the schema (checked in decimal, not in `f64`).
        multiple_of: Option<String>,
    },
    /// `minLength`, `maxLength` of a plain string, in Unicode code points as the validator counts.
    Length {
        /// `minLength`.
        min_length: Option<u64>,
        /// `maxLength`.
        max_length: Option<u64>,
    },
    /// Every item of an array.
    Items(Box<Check>),
    /// Every value of a map.
    Values(Box<Check>),
}

/// One alternative of a string `anyOf`.
#[derive(Debug, Clone, PartialEq)]
pub enum Alternative {
    /// A string of a format: its Rust type, and the pattern newtype that also checks it, where
    /// the alternative has a `pattern` besides its `format`.
    Format(Ty, Option<String>),
    /// One literal value.
    Literal(String),
}

impl Field {
    /// The field for member `json` with schema `prop`; its Rust name is given by [`name_fields`]
    /// once every member of the struct is known.
    fn new(
        json: &str,
        prop: &Value,
        ty: Ty,
        required: bool,
        nullable: bool,
        check: Option<Check>,
    ) -> Self {
        Self {
            json: json.to_owned(),
            rust: String::new(),
            doc: doc_of(prop),
            ty,
            required,
            nullable,
            check,
            personal: None,
        }
    }
}

/// The field name of the event type tag, whatever the member is called.
const TAG_FIELD: &str = "event_type";

/// The field holding the members a struct does not list (see `crate::__private::Extra`).
const UNKNOWN_FIELD: &str = "unknown_members";

/// Gives every field of one struct its Rust name by the rule of [`crate::names`]: the event type
/// tag is `event_type`; `event_type` and `unknown_members` are no other member's.
fn name_fields(fields: &mut [Field]) {
    let (tags, members): (Vec<&mut Field>, Vec<&mut Field>) = fields
        .iter_mut()
        .partition(|f| matches!(f.ty, Ty::EventTypeTag));
    for tag in tags {
        tag.rust = TAG_FIELD.to_owned();
    }
    let jsons: Vec<&str> = members.iter().map(|f| f.json.as_str()).collect();
    let rust = names::fields(&jsons, &[TAG_FIELD, UNKNOWN_FIELD]);
    for (field, rust) in members.into_iter().zip(rust) {
        field.rust = rust;
    }
}

/// A generated item.
#[derive(Debug, Clone)]
pub enum Item {
    /// A struct with named fields.
    Struct {
        /// Its name.
        name: String,
        /// Its doc comment.
        doc: Option<String>,
        /// Its fields, in schema order.
        fields: Vec<Field>,
        /// Whether unknown members are rejected (`additionalProperties: false`).
        closed: bool,
        /// Groups of members of which at least one must be present (`anyOf` of `required`).
        one_of_required: Vec<Vec<String>>,
        /// The event this struct is the payload or flat body of, if any.
        event: Option<String>,
    },
    /// A payload the docs do not describe: a newtype over `serde_json::Value`.
    Opaque {
        /// Its name.
        name: String,
        /// Its doc comment.
        doc: Option<String>,
        /// The event it is the payload of.
        event: String,
    },
    /// A value of one of several JSON types (`"type": ["string", "number"]`).
    Union {
        /// Its name.
        name: String,
        /// Its doc comment.
        doc: Option<String>,
        /// One variant per type: its name and Rust type.
        variants: Vec<(String, Ty)>,
    },
    /// Objects of several shapes told apart by a member that is a different `const` in each
    /// (`oneOf`/`anyOf` of objects with a discriminator): one variant per branch.
    Tagged {
        /// Its name.
        name: String,
        /// Its doc comment.
        doc: Option<String>,
        /// The discriminating member.
        discriminator: String,
        /// Per branch: the discriminator's value, the variant's name, its struct.
        variants: Vec<(String, String, Ty)>,
    },
    /// An array of a fixed length whose items each have their own type (`prefixItems`).
    Tuple {
        /// Its name.
        name: String,
        /// Its doc comment.
        doc: Option<String>,
        /// The items' types, in order.
        items: Vec<Ty>,
    },
    /// A string that matches at least one of several alternatives (`anyOf` of formats and values).
    AnyOfString {
        /// Its name.
        name: String,
        /// Its doc comment.
        doc: Option<String>,
        /// The alternatives, in schema order.
        alternatives: Vec<Alternative>,
        /// The schema, for the schemars description of the type.
        schema: Value,
    },
    /// An open string enum.
    Enum {
        /// Its name.
        name: String,
        /// Its doc comment.
        doc: Option<String>,
        /// The documented values, each with its variant's name, in schema order.
        values: Vec<(String, String)>,
    },
}

impl Item {
    /// The item's name.
    pub fn name(&self) -> &str {
        match self {
            Item::Struct { name, .. }
            | Item::Opaque { name, .. }
            | Item::Union { name, .. }
            | Item::Tagged { name, .. }
            | Item::Tuple { name, .. }
            | Item::AnyOfString { name, .. }
            | Item::Enum { name, .. } => name,
        }
    }
}

/// One event of a provider.
#[derive(Debug, Clone)]
pub struct Event {
    /// The event type as the provider sends it.
    pub event_type: String,
    /// The variant and payload type name.
    pub name: String,
    /// The schema's description.
    pub doc: String,
    /// Its catalog category.
    pub category: String,
    /// `complete`, `partial` or `undocumented`.
    pub documentation_status: String,
    /// The schema path under `schemas/`.
    pub schema_path: String,
}

/// Everything generated for one provider.
#[derive(Debug, Clone)]
pub struct ProviderModel {
    /// The provider's directory name.
    pub provider: String,
    /// Its configuration.
    pub config: ProviderConfig,
    /// The envelope struct (generic over the payload), if the provider has one.
    pub envelope: Option<Item>,
    /// The events, by event type.
    pub events: Vec<Event>,
    /// Every other item, by name.
    pub items: BTreeMap<String, Item>,
    /// The pattern newtypes the provider uses.
    pub patterns: BTreeSet<String>,
}

/// `snake_case` of a JSON member name (`deliveryId` → `delivery_id`).
pub fn snake(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            out.push('_');
            prev_lower = false;
        }
    }
    out
}

struct Builder<'a> {
    set: &'a SchemaSet,
    config: &'a Config,
    provider: &'a str,
    items: BTreeMap<String, Item>,
    /// Named types already built for a referenced schema, by (file, pointer).
    named: BTreeMap<(String, String), Ty>,
    /// Referenced schemas being built, for recursive `$ref`s; `true` once one was met again.
    building: BTreeMap<(String, String), bool>,
    patterns: BTreeSet<String>,
    /// Where the envelope types `data` (file, pointer): every payload must then be a struct.
    envelope_data_typed: Option<(String, String)>,
}

/// What an object is to the events, which decides its event type tag and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role<'a> {
    /// An object inside another.
    Nested,
    /// The payload (in an envelope) or the flat body of the event of this type.
    Event(&'a str),
    /// The envelope: its type member is the event type tag, its `data` the payload.
    Envelope,
}

fn str_of<'v>(schema: &'v Value, key: &str) -> Option<&'v str> {
    schema.get(key).and_then(Value::as_str)
}

fn doc_of(schema: &Value) -> Option<String> {
    str_of(schema, "description").map(str::to_owned)
}

impl Builder<'_> {
    fn insert(&mut self, item: Item) -> Result<(), Error> {
        let name = item.name().to_owned();
        if self.items.contains_key(&name) {
            return Err(Error::Schema {
                at: self.provider.to_owned(),
                reason: format!("two types would be named {name}; rename one in the schema"),
            });
        }
        self.items.insert(name, item);
        Ok(())
    }

    /// The type of `schema` (found in the file `origin`) and whether it is nullable. `hint` names
    /// the struct or enum it becomes, if it becomes one.
    fn ty(
        &mut self,
        origin: &str,
        pointer: &str,
        schema: &Value,
        hint: &str,
    ) -> Result<(Ty, bool), Error> {
        if let Some(reference) = str_of(schema, "$ref") {
            // Beside `$ref`, only annotations: the generator reads the target alone.
            audit(origin, pointer, schema, &["$ref"])?;
            let found = self.set.follow(origin, reference)?;
            let key = (found.file, found.pointer);
            if let Some(ty) = self.named.get(&key) {
                return Ok((ty.clone(), false));
            }
            let target = found.value.clone();
            let def_name = key
                .1
                .rsplit('/')
                .next()
                .map(names::variant_candidate)
                .unwrap_or_default();
            if let Some(recursed) = self.building.get_mut(&key) {
                // A reference to the schema being built: its struct, behind a box.
                *recursed = true;
                return Ok((Ty::Boxed(Box::new(Ty::Named(def_name))), false));
            }
            self.building.insert(key.clone(), false);
            let built = self.ty(&key.0.clone(), &key.1.clone(), &target, &def_name);
            let recursed = self.building.remove(&key).unwrap_or(false);
            let (ty, nullable) = built?;
            if recursed && ty != Ty::Named(def_name) {
                // Only an object becomes a struct that can hold itself.
                return Err(refuse("$ref", &key.0, &key.1));
            }
            self.named.insert(key, ty.clone());
            return Ok((ty, nullable));
        }
        let (types, nullable) = match schema.get("type") {
            Some(Value::String(t)) => (vec![t.as_str()], false),
            Some(Value::Array(ts)) => {
                let all: Vec<&str> = ts.iter().filter_map(Value::as_str).collect();
                let nullable = all.contains(&"null");
                (all.into_iter().filter(|t| *t != "null").collect(), nullable)
            }
            _ => (Vec::new(), false),
        };
        if schema.get("allOf").is_some() {
            let merged = self.merge_all_of(origin, pointer, schema)?;
            return self.ty(origin, pointer, &merged, hint);
        }
        let objects_only = types.is_empty() || types == ["object"];
        let branches = ["oneOf", "anyOf"].into_iter().find_map(|k| {
            let alts = schema.get(k)?.as_array()?;
            let strings = alts.iter().all(string_only);
            (objects_only && schema.get("properties").is_none() && !strings).then_some((k, alts))
        });
        if let Some((keyword, alternatives)) = branches {
            audit(origin, pointer, schema, &["type", keyword])?;
            let alternatives = alternatives.clone();
            let ty = self.tagged(origin, pointer, keyword, &alternatives, schema, hint)?;
            return Ok((ty, nullable));
        }
        if schema.get("type").is_some() && types.is_empty() {
            // `"type": "null"` alone, or no type the generator knows.
            return Err(refuse("type", origin, pointer));
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            audit(origin, pointer, schema, &["type", "enum"])?;
            return Ok((
                self.open_enum((origin, pointer), schema, values, hint)?,
                nullable,
            ));
        }
        if let Some(value) = schema.get("const")
            && value.is_string()
            && !types.iter().any(|t| *t != "string")
        {
            audit(origin, pointer, schema, &["type", "const"])?;
            return Ok((
                self.open_enum((origin, pointer), schema, std::slice::from_ref(value), hint)?,
                nullable,
            ));
        }
        let ty = match types.as_slice() {
            ["string"] if schema.get("anyOf").is_some() => {
                audit(origin, pointer, schema, &["type", "anyOf"])?;
                self.any_of_string(origin, pointer, schema, hint)?
            }
            ["string"] => {
                audit(
                    origin,
                    pointer,
                    schema,
                    &["type", "pattern", "format", LENGTH[0], LENGTH[1]],
                )?;
                if schema.get("pattern").is_some() && schema.get("format").is_some() {
                    // The pattern's newtype would not check the format.
                    return Err(refuse("format", origin, pointer));
                }
                for key in LENGTH {
                    // Lengths are checked on plain strings (`String`), not on checked newtypes.
                    let plain = schema.get("pattern").is_none() && schema.get("format").is_none();
                    if schema
                        .get(key)
                        .is_some_and(|v| !plain || v.as_u64().is_none())
                    {
                        return Err(refuse(key, origin, pointer));
                    }
                }
                self.string(origin, pointer, schema)?
            }
            ["integer" | "number"] => {
                let mut allowed = vec!["type", "multipleOf"];
                allowed.extend(BOUNDS);
                audit(origin, pointer, schema, &allowed)?;
                numeric(origin, pointer, schema, &BOUNDS)?;
                // A positive number (2020-12 requires it), whose decimal form the check reads.
                if schema.get("multipleOf").is_some_and(|m| {
                    m.as_f64().is_none_or(|m| m <= 0.0)
                        || proptech_decimal(&m.to_string()).is_none()
                }) {
                    return Err(refuse("multipleOf", origin, pointer));
                }
                self.number(schema, types[0] == "integer")
            }
            ["boolean"] => {
                audit(origin, pointer, schema, &["type"])?;
                Ty::Bool
            }
            ["array"] if schema.get("prefixItems").is_some() => {
                self.tuple(origin, pointer, schema, hint)?
            }
            ["array"] => {
                audit(origin, pointer, schema, &["type", "items"])?;
                let items = schema.get("items").cloned().unwrap_or(Value::Bool(true));
                let item_hint = format!("{hint}Item");
                let at = push(pointer, "items");
                // A `Vec` already holds its items on the heap: no box inside it.
                Ty::Vec(Box::new(unboxed(
                    self.ty(origin, &at, &items, &item_hint)?.0,
                )))
            }
            ["object"] => self.object(origin, pointer, schema, hint, Role::Nested)?,
            [] if schema.get("properties").is_some() => {
                self.object(origin, pointer, schema, hint, Role::Nested)?
            }
            // An `anyOf` of strings only, with the type said in each alternative.
            [] if schema
                .get("anyOf")
                .and_then(Value::as_array)
                .is_some_and(|alts| alts.iter().all(string_only)) =>
            {
                audit(origin, pointer, schema, &["anyOf"])?;
                self.any_of_string(origin, pointer, schema, hint)?
            }
            [] => {
                audit(origin, pointer, schema, &[])?;
                Ty::Value
            }
            several => {
                audit(origin, pointer, schema, &["type"])?;
                let mut variants = Vec::new();
                for t in several {
                    let one = serde_json::json!({ "type": t });
                    let (ty, _) =
                        self.ty(origin, pointer, &one, &format!("{hint}{}", pascal(t)))?;
                    variants.push((pascal(t), ty));
                }
                self.insert(Item::Union {
                    name: hint.to_owned(),
                    doc: doc_of(schema),
                    variants,
                })?;
                Ty::Named(hint.to_owned())
            }
        };
        Ok((ty, nullable))
    }

    /// An enum over the object `branches` of a `oneOf`/`anyOf` (`keyword`) that a discriminator
    /// tells apart: a member required in every branch and a different string `const` in each.
    /// With distinct values at most one branch matches, so `oneOf` and `anyOf` mean the same, and
    /// a value no branch names is rejected, as the validator rejects it.
    fn tagged(
        &mut self,
        origin: &str,
        pointer: &str,
        keyword: &str,
        branches: &[Value],
        schema: &Value,
        name: &str,
    ) -> Result<Ty, Error> {
        let refuse_here = || refuse(keyword, origin, pointer);
        // Each branch as the generator will read it: a `$ref` followed (to the same file only).
        let mut resolved = Vec::new();
        for (i, branch) in branches.iter().enumerate() {
            let at = push(&push(pointer, keyword), &i.to_string());
            let target = match str_of(branch, "$ref") {
                Some(reference) => {
                    let found = self.set.follow(origin, reference)?;
                    if found.file != origin {
                        return Err(refuse("$ref", origin, &at));
                    }
                    found.value.clone()
                }
                None => branch.clone(),
            };
            resolved.push((at, branch.clone(), target));
        }
        let const_of = |target: &Value, member: &str| {
            let required = required_of(target).contains(member);
            target
                .pointer(&push("/properties", member))
                .and_then(|p| p.get("const"))
                .and_then(Value::as_str)
                .filter(|_| required)
                .map(str::to_owned)
        };
        let first = resolved.first().ok_or_else(refuse_here)?;
        let discriminator = first
            .2
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(member, _)| member.clone())
            .find(|member| {
                resolved
                    .iter()
                    .all(|(_, _, t)| const_of(t, member).is_some())
            })
            .ok_or_else(refuse_here)?;
        let mut values = Vec::new();
        for (_, _, target) in &resolved {
            let value = const_of(target, &discriminator).ok_or_else(refuse_here)?;
            if values.contains(&value) {
                // Two branches with one value cannot be told apart.
                return Err(refuse_here());
            }
            values.push(value);
        }
        let strs: Vec<&str> = values.iter().map(String::as_str).collect();
        let variant_names = names::variants(&strs, &[]);
        let hints = names::member_types(name, &strs);
        let mut variants: Vec<(String, String, Ty)> = Vec::new();
        for (((at, branch, _), value), (variant, hint)) in resolved
            .iter()
            .zip(values)
            .zip(variant_names.into_iter().zip(hints))
        {
            let (ty, nullable) = self.ty(origin, at, branch, &hint)?;
            if nullable || !matches!(ty, Ty::Named(_)) {
                return Err(refuse(keyword, origin, at));
            }
            variants.push((value, variant, ty));
        }
        self.insert(Item::Tagged {
            name: name.to_owned(),
            doc: doc_of(schema),
            discriminator,
            variants,
        })?;
        Ok(Ty::Named(name.to_owned()))
    }

    /// A tuple struct for a `prefixItems` array. Only the exact form maps to Rust: `items: false`
    /// and `minItems` equal to the number of positions (without them an array may be shorter or
    /// longer), and no position with a check its type does not make itself (a tuple's derived
    /// `Deserialize` runs none).
    fn tuple(
        &mut self,
        origin: &str,
        pointer: &str,
        schema: &Value,
        name: &str,
    ) -> Result<Ty, Error> {
        audit(
            origin,
            pointer,
            schema,
            &["type", "prefixItems", "items", "minItems", "maxItems"],
        )?;
        let positions = schema
            .get("prefixItems")
            .and_then(Value::as_array)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| refuse("prefixItems", origin, pointer))?;
        let len = positions.len() as u64;
        if schema.get("items") != Some(&Value::Bool(false)) {
            return Err(refuse("prefixItems", origin, pointer));
        }
        if schema.get("minItems").and_then(Value::as_u64) != Some(len) {
            return Err(refuse("minItems", origin, pointer));
        }
        if schema
            .get("maxItems")
            .is_some_and(|m| m.as_u64() != Some(len))
        {
            return Err(refuse("maxItems", origin, pointer));
        }
        let mut items = Vec::new();
        for (i, position) in positions.iter().enumerate() {
            let at = push(&push(pointer, "prefixItems"), &i.to_string());
            if self.check(origin, position)?.is_some() {
                return Err(refuse("prefixItems", origin, &at));
            }
            let (ty, nullable) = self.ty(origin, &at, position, &format!("{name}{i}"))?;
            let ty = unboxed(ty);
            items.push(if nullable {
                // `Option<T>`: `null` is the schema's, absence cannot happen (fixed length).
                Ty::Nullable(Box::new(ty))
            } else {
                ty
            });
        }
        self.insert(Item::Tuple {
            name: name.to_owned(),
            doc: doc_of(schema),
            items,
        })?;
        Ok(Ty::Named(name.to_owned()))
    }

    /// A map whose keys match the one pattern of `patterns` (a `patternProperties`) and whose
    /// values have its schema. Only the closed form (`additionalProperties: false`) with one
    /// pattern maps to Rust: other names, or names matching two patterns, would need values of
    /// another type.
    fn pattern_map(
        &mut self,
        origin: &str,
        pointer: &str,
        schema: &Value,
        patterns: &Value,
        name: &str,
    ) -> Result<Ty, Error> {
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        let one = patterns.as_object().filter(|p| p.len() == 1 && closed);
        let Some((pattern, values)) = one.and_then(|p| p.iter().next()) else {
            return Err(refuse("patternProperties", origin, pointer));
        };
        let at = push(&push(pointer, "patternProperties"), pattern);
        let key = match self.string(origin, &at, &serde_json::json!({ "pattern": pattern }))? {
            Ty::Pattern(key) => key,
            _ => return Err(refuse("patternProperties", origin, pointer)),
        };
        let value = unboxed(self.ty(origin, &at, values, &format!("{name}Value"))?.0);
        Ok(Ty::PatternMap(key, Box::new(value)))
    }

    /// `schema` with its `allOf` of objects merged into one object schema: the members and the
    /// required members of every branch (a `$ref` branch in the same file is followed). A member
    /// two branches describe differently is a conflict; a branch may hold only `type: object`,
    /// `properties` and `required` (and annotations), since `additionalProperties` in a branch
    /// would reject the other branches' members.
    fn merge_all_of(&self, origin: &str, pointer: &str, schema: &Value) -> Result<Value, Error> {
        let mut merged = schema.as_object().cloned().unwrap_or_default();
        let branches = merged
            .remove("allOf")
            .and_then(|b| b.as_array().cloned())
            .ok_or_else(|| refuse("allOf", origin, pointer))?;
        let object_typed = |s: &Value| s.get("type").is_none_or(|t| t == "object");
        if !object_typed(schema) {
            return Err(refuse("allOf", origin, pointer));
        }
        let mut props = merged
            .remove("properties")
            .and_then(|p| p.as_object().cloned())
            .unwrap_or_default();
        let mut required: Vec<Value> = merged
            .remove("required")
            .and_then(|r| r.as_array().cloned())
            .unwrap_or_default();
        for (i, branch) in branches.iter().enumerate() {
            let mut at = push(&push(pointer, "allOf"), &i.to_string());
            let mut branch = branch.clone();
            if let Some(reference) = str_of(&branch, "$ref") {
                audit(origin, &at, &branch, &["$ref"])?;
                let found = self.set.follow(origin, reference)?;
                if found.file != origin {
                    // Its members' own `$ref`s would resolve against the wrong file.
                    return Err(refuse("$ref", origin, &at));
                }
                at = found.pointer.clone();
                branch = found.value.clone();
            }
            audit(origin, &at, &branch, &["type", "properties", "required"])?;
            if !object_typed(&branch) {
                return Err(refuse("type", origin, &at));
            }
            for (name, prop) in branch
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                match props.get(name) {
                    Some(existing) if existing != prop => {
                        return Err(schema_error(
                            origin,
                            &at,
                            format!(
                                "allOf describes member {name:?} twice, differently; \
                                 describe it in one branch"
                            ),
                        ));
                    }
                    _ => {
                        props.insert(name.clone(), prop.clone());
                    }
                }
            }
            for r in branch
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !required.contains(r) {
                    required.push(r.clone());
                }
            }
        }
        merged.insert("type".into(), Value::String("object".into()));
        merged.insert("properties".into(), Value::Object(props));
        if !required.is_empty() {
            merged.insert("required".into(), Value::Array(required));
        }
        Ok(Value::Object(merged))
    }

    /// The Rust type of an integer (`integer`) or a number.
    fn number(&self, schema: &Value, integer: bool) -> Ty {
        if !integer {
            return Ty::F64;
        }
        {
            // A fixed-width type only where the schema bounds the value on both sides within it;
            // otherwise any JSON integer is valid, and so is it here.
            let bound = |k: &str| schema.get(k).and_then(Value::as_f64);
            let lower = bound("minimum").or(bound("exclusiveMinimum"));
            let upper = bound("maximum").or(bound("exclusiveMaximum"));
            match (lower, upper) {
                (Some(lo), Some(hi)) if lo >= 0.0 && hi <= u64::MAX as f64 => Ty::U64,
                (Some(lo), Some(hi)) if lo >= i64::MIN as f64 && hi <= i64::MAX as f64 => Ty::I64,
                _ => Ty::Integer,
            }
        }
    }

    fn string(&mut self, origin: &str, pointer: &str, schema: &Value) -> Result<Ty, Error> {
        if let Some(pattern) = str_of(schema, "pattern") {
            let named = self.config.pattern.get(pattern).ok_or_else(|| {
                schema_error(
                    origin,
                    pointer,
                    format!(
                        "pattern {pattern:?} has no name: add it under [pattern] in codegen.toml"
                    ),
                )
            })?;
            self.patterns.insert(named.name.clone());
            return Ok(Ty::Pattern(named.name.clone()));
        }
        Ok(match str_of(schema, "format") {
            Some("date-time") => Ty::DateTime,
            Some("date") => Ty::Date,
            Some("uuid") => Ty::Uuid,
            Some("email") => Ty::Email,
            Some("uri") => Ty::Uri,
            None => Ty::String,
            // A format with no checked type: `String` would accept what the validator rejects.
            Some(_) => return Err(refuse("format", origin, pointer)),
        })
    }

    /// A string `anyOf` whose alternatives are formats or values.
    fn any_of_string(
        &mut self,
        origin: &str,
        pointer: &str,
        schema: &Value,
        name: &str,
    ) -> Result<Ty, Error> {
        let mut alternatives = Vec::new();
        for alt in schema
            .get("anyOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            // `"type": "string"` in an alternative says what the string `anyOf` already is.
            let keys: Vec<&str> = alt
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter(|(k, v)| !(*k == "type" && *v == "string"))
                        .map(|(k, _)| k.as_str())
                        .collect()
                })
                .unwrap_or_default();
            match keys.as_slice() {
                ["format"] | ["format", "pattern"] | ["pattern", "format"] => {
                    let format = serde_json::json!({ "format": alt["format"] });
                    match self.string(origin, pointer, &format)? {
                        ty @ (Ty::DateTime | Ty::Date | Ty::Email | Ty::Uri) => {
                            // A pattern beside the format narrows the text further: both must hold.
                            let pattern = match alt.get("pattern") {
                                Some(pattern) => {
                                    let pattern = serde_json::json!({ "pattern": pattern });
                                    match self.string(origin, pointer, &pattern)? {
                                        Ty::Pattern(named) => Some(named),
                                        _ => None,
                                    }
                                }
                                None => None,
                            };
                            alternatives.push(Alternative::Format(ty, pattern));
                        }
                        _ => {
                            return Err(schema_error(
                                origin,
                                pointer,
                                format!("{name}: anyOf format {alt} has no text-keeping Rust type"),
                            ));
                        }
                    }
                }
                ["enum"] | ["const"] => {
                    let values = match alt.get("enum") {
                        Some(Value::Array(vs)) => vs.clone(),
                        _ => alt.get("const").cloned().into_iter().collect(),
                    };
                    for v in values {
                        let v = v.as_str().ok_or_else(|| {
                            schema_error(
                                origin,
                                pointer,
                                format!("{name}: anyOf value {v} is not a string"),
                            )
                        })?;
                        alternatives.push(Alternative::Literal(v.to_owned()));
                    }
                }
                _ => {
                    return Err(schema_error(
                        origin,
                        pointer,
                        format!(
                            "{name}: only anyOf alternatives of one format (with at most a pattern) or of values map to Rust, not {alt}"
                        ),
                    ));
                }
            }
        }
        let mut described = serde_json::Map::new();
        for key in ["type", "anyOf"] {
            if let Some(v) = schema.get(key) {
                described.insert(key.to_owned(), v.clone());
            }
        }
        self.insert(Item::AnyOfString {
            name: name.to_owned(),
            doc: doc_of(schema),
            alternatives,
            schema: Value::Object(described),
        })?;
        Ok(Ty::Named(name.to_owned()))
    }

    /// The bounds the value of `schema` must keep that its Rust type does not: numeric bounds,
    /// of the value itself or of the items or map values it holds. Named structs check their own.
    fn check(&self, origin: &str, schema: &Value) -> Result<Option<Check>, Error> {
        if let Some(reference) = str_of(schema, "$ref") {
            let found = self.set.follow(origin, reference)?;
            return self.check(&found.file, found.value);
        }
        let bound = |k: &str| schema.get(k).and_then(Value::as_f64);
        let bounds = Check::Bounds {
            minimum: bound("minimum"),
            maximum: bound("maximum"),
            exclusive_minimum: bound("exclusiveMinimum"),
            exclusive_maximum: bound("exclusiveMaximum"),
            multiple_of: schema.get("multipleOf").map(Value::to_string),
        };
        let unbounded = Check::Bounds {
            minimum: None,
            maximum: None,
            exclusive_minimum: None,
            exclusive_maximum: None,
            multiple_of: None,
        };
        if bounds != unbounded {
            return Ok(Some(bounds));
        }
        let length = |k: &str| schema.get(k).and_then(Value::as_u64);
        if let (min_length @ Some(_), max_length) | (min_length, max_length @ Some(_)) =
            (length(LENGTH[0]), length(LENGTH[1]))
        {
            return Ok(Some(Check::Length {
                min_length,
                max_length,
            }));
        }
        if let Some(items) = schema.get("items") {
            return Ok(self
                .check(origin, items)?
                .map(|c| Check::Items(Box::new(c))));
        }
        if schema.get("properties").is_none()
            && let Some(Value::Object(patterns)) = schema.get("patternProperties")
            && let Some(values) = patterns.values().next()
        {
            return Ok(self
                .check(origin, values)?
                .map(|c| Check::Values(Box::new(c))));
        }
        if schema.get("properties").is_none()
            && let Some(extra @ Value::Object(_)) = schema.get("additionalProperties")
        {
            return Ok(self
                .check(origin, extra)?
                .map(|c| Check::Values(Box::new(c))));
        }
        Ok(None)
    }

    fn open_enum(
        &mut self,
        (origin, pointer): (&str, &str),
        schema: &Value,
        values: &[Value],
        name: &str,
    ) -> Result<Ty, Error> {
        let mut strings: Vec<&str> = Vec::new();
        for v in values {
            let v = v.as_str().ok_or_else(|| {
                schema_error(
                    origin,
                    pointer,
                    format!("{name}: enum value {v} is not a string"),
                )
            })?;
            // A value listed twice is one value.
            if !strings.contains(&v) {
                strings.push(v);
            }
        }
        let variants = names::variants(&strings, &[]);
        let values = strings
            .into_iter()
            .map(str::to_owned)
            .zip(variants)
            .collect();
        if !self.items.contains_key(name) {
            self.insert(Item::Enum {
                name: name.to_owned(),
                doc: doc_of(schema),
                values,
            })?;
        }
        Ok(Ty::Named(name.to_owned()))
    }

    /// A struct for an object schema with members, a map for one with typed additional members.
    fn object(
        &mut self,
        origin: &str,
        pointer: &str,
        schema: &Value,
        name: &str,
        role: Role,
    ) -> Result<Ty, Error> {
        if schema
            .get("properties")
            .and_then(Value::as_object)
            .is_some()
        {
            let item = self.object_struct(origin, pointer, schema, name, role)?;
            self.insert(item)?;
            return Ok(Ty::Named(name.to_owned()));
        }
        // A map: only its values' schema is checked, so no `required`, and not closed.
        audit(
            origin,
            pointer,
            schema,
            &["type", "additionalProperties", "patternProperties"],
        )?;
        if let Some(patterns) = schema.get("patternProperties") {
            return self.pattern_map(origin, pointer, schema, patterns, name);
        }
        Ok(match schema.get("additionalProperties") {
            Some(extra @ Value::Object(_)) => {
                let at = push(pointer, "additionalProperties");
                Ty::Map(Box::new(unboxed(
                    self.ty(origin, &at, extra, &format!("{name}Value"))?.0,
                )))
            }
            Some(Value::Bool(false)) => {
                return Err(refuse("additionalProperties", origin, pointer));
            }
            _ => Ty::Object,
        })
    }

    /// The personal-data category of the member schema `prop` (in the file `origin` at
    /// `pointer`) as a whole: its own `x-personal-data`, else that of the schema its `$ref`
    /// names, else that of its items or values (a list of emails is personal as a whole; a list
    /// of objects is not, their own members are). Fails on a category the runtime does not know.
    fn personal(
        &self,
        origin: &str,
        pointer: &str,
        prop: &Value,
        depth: usize,
    ) -> Result<Option<String>, Error> {
        const MAX_DEPTH: usize = 16;
        use proptech_catalog::personal::{Category, PERSONAL_DATA_KEYWORD};
        if let Some(mark) = prop.get(PERSONAL_DATA_KEYWORD) {
            return match Category::ALL.iter().find(|c| mark == c.as_str()) {
                Some(c) => Ok(Some(c.as_str().to_owned())),
                None => Err(schema_error(
                    origin,
                    pointer,
                    format!(
                        "{PERSONAL_DATA_KEYWORD} {mark}: expected one of {}",
                        Category::ALL.map(Category::as_str).join(", ")
                    ),
                )),
            };
        }
        if depth >= MAX_DEPTH {
            return Ok(None);
        }
        if let Some(reference) = prop.get("$ref").and_then(Value::as_str) {
            let found = self.set.follow(origin, reference)?;
            return self.personal(&found.file, &found.pointer, found.value, depth + 1);
        }
        if prop.get("properties").is_some() {
            return Ok(None);
        }
        for key in ["items", "additionalProperties"] {
            if let Some(inner) = prop.get(key).filter(|v| v.is_object())
                && let Some(c) = self.personal(origin, &push(pointer, key), inner, depth + 1)?
            {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    /// The struct of an object schema with `properties`, in the file `origin` at `pointer`, as
    /// `role` needs it. Every object goes through here, the envelope included.
    fn object_struct(
        &mut self,
        origin: &str,
        pointer: &str,
        schema: &Value,
        name: &str,
        role: Role,
    ) -> Result<Item, Error> {
        let pconfig = &self.config.provider[self.provider];
        // The member that is the event type tag: in the envelope, or in a flat event (no
        // envelope); a payload inside an envelope has none.
        let tag_field = match (role, &pconfig.envelope) {
            (Role::Envelope, _) | (Role::Event(_), None) => Some(pconfig.type_field.clone()),
            _ => None,
        };
        let props = schema
            .get("properties")
            .and_then(Value::as_object)
            .ok_or_else(|| refuse("properties", origin, pointer))?;
        let mut allowed = vec!["type", "properties", "required", "additionalProperties"];
        if role != Role::Envelope {
            // `anyOf` of `required`: its checks are not generated for the envelope.
            allowed.push("anyOf");
        }
        audit(origin, pointer, schema, &allowed)?;
        // Beside `properties`, unknown members are kept or, with `false`, rejected; their values
        // are not typed.
        if schema
            .get("additionalProperties")
            .is_some_and(|v| !v.is_boolean())
        {
            return Err(refuse("additionalProperties", origin, pointer));
        }
        let required = required_of(schema);
        if required.iter().any(|r| !props.contains_key(*r)) {
            // A required member with no field would not be checked.
            return Err(refuse("required", origin, pointer));
        }
        let mut fields = Vec::new();
        let jsons: Vec<&str> = props.keys().map(String::as_str).collect();
        let hints = names::member_types(name, &jsons);
        for ((json, prop), hint) in props.iter().zip(&hints) {
            let at = push(&push(pointer, "properties"), json);
            let is_tag = tag_field.as_deref() == Some(json.as_str());
            let (ty, nullable) = if is_tag && role == Role::Envelope {
                // Dispatch on the event type checks it, whatever the envelope says of it.
                audit(origin, &at, prop, &["type"])?;
                (Ty::EventTypeTag, false)
            } else if is_tag {
                // The type tag is read as the event's type: a string, the event's own.
                audit(origin, &at, prop, &["type", "const"])?;
                (Ty::EventTypeTag, false)
            } else if role == Role::Envelope && json == "data" {
                // `type: object` is enforced by each payload's struct; an event whose payload
                // is undescribed (`Opaque`) is refused if the envelope types `data`.
                audit(origin, &at, prop, &["type"])?;
                if prop.get("type").is_some_and(|t| t != "object") {
                    return Err(refuse("type", origin, &at));
                }
                if prop.get("type").is_some() {
                    self.envelope_data_typed = Some((origin.to_owned(), at.clone()));
                }
                (Ty::Payload, false)
            } else {
                self.ty(origin, &at, prop, hint)?
            };
            let check = self.check(origin, prop)?;
            let mut field = Field::new(
                json,
                prop,
                ty,
                required.contains(json.as_str()),
                nullable,
                check,
            );
            field.personal = self.personal(origin, &at, prop, 0)?;
            fields.push(field);
        }
        // `anyOf: [{required: [a]}, {required: [b]}]`: at least one of a, b is present.
        let mut one_of_required = Vec::new();
        if let Some(alternatives) = schema.get("anyOf").and_then(Value::as_array) {
            let mut group = Vec::new();
            for alt in alternatives {
                match alt
                    .get("required")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                {
                    Some([Value::String(member)])
                        if alt.as_object().is_some_and(|o| o.len() == 1) =>
                    {
                        group.push(member.clone());
                    }
                    _ => {
                        return Err(schema_error(
                            origin,
                            pointer,
                            "only anyOf alternatives of the form {\"required\": [one member]} map to Rust",
                        ));
                    }
                }
            }
            one_of_required.push(group);
        }
        name_fields(&mut fields);
        Ok(Item::Struct {
            name: name.to_owned(),
            doc: doc_of(schema),
            fields,
            closed: schema.get("additionalProperties") == Some(&Value::Bool(false)),
            one_of_required,
            event: match role {
                Role::Event(event_type) => Some(event_type.to_owned()),
                _ => None,
            },
        })
    }
}

/// Checks the root of an event schema of a provider with an envelope: it must be the envelope
/// (`$ref`) with the type member fixed to the event's type and `data` described; the generator
/// reads nothing else there, so nothing else may narrow it.
fn audit_event_root(
    set: &SchemaSet,
    path: &str,
    schema: &Value,
    envelope: &str,
    type_field: &str,
    event_type: &str,
) -> Result<(), Error> {
    audit(
        path,
        "",
        schema,
        &["$ref", "type", "properties", "required"],
    )?;
    let is_envelope = str_of(schema, "$ref")
        .and_then(|r| set.follow(path, r).ok())
        .is_some_and(|t| t.file == envelope && t.pointer.is_empty());
    if !is_envelope {
        return Err(refuse("$ref", path, ""));
    }
    if let Some(ty) = schema.get("type") {
        // `"type": "object"` beside `properties` (which strict validators such as Ajv ask for)
        // says again what the envelope says; any other type would narrow it.
        let envelope_type = set.get(envelope).and_then(|d| d.value.get("type"));
        if ty != "object" || envelope_type != Some(ty) {
            return Err(refuse("type", path, ""));
        }
    }
    if let Some(required) = schema.get("required") {
        // Only members the envelope already requires: the envelope's struct decides presence.
        let envelope_required = set
            .get(envelope)
            .map(|d| {
                required_of(&d.value)
                    .into_iter()
                    .map(str::to_owned)
                    .collect::<BTreeSet<_>>()
            })
            .unwrap_or_default();
        let all_there = required.as_array().is_some_and(|r| {
            r.iter()
                .all(|m| m.as_str().is_some_and(|m| envelope_required.contains(m)))
        });
        if !all_there {
            return Err(refuse("required", path, ""));
        }
    }
    for (json, prop) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let at = push("/properties", json);
        if json == type_field {
            // Dispatch on the event type enforces it.
            audit(path, &at, prop, &["type", "const"])?;
            if prop.get("const").is_some_and(|c| c != event_type) {
                return Err(refuse("const", path, &at));
            }
        } else if json != "data" {
            return Err(refuse("properties", path, &at));
        }
    }
    Ok(())
}

/// Builds the model of `provider` from the schema set.
pub fn provider_model(
    set: &SchemaSet,
    config: &Config,
    provider: &str,
) -> Result<ProviderModel, Error> {
    let pconfig = config
        .provider
        .get(provider)
        .ok_or_else(|| Error::Schema {
            at: format!("{provider}/provider.toml"),
            reason: "no such descriptor in the schema set".into(),
        })?
        .clone();
    let mut b = Builder {
        set,
        config,
        provider,
        items: BTreeMap::new(),
        named: BTreeMap::new(),
        building: BTreeMap::new(),
        patterns: BTreeSet::new(),
        envelope_data_typed: None,
    };
    let type_field = pconfig.type_field.clone();

    // The envelope: a struct generic over the payload, built like any object.
    let envelope = match &pconfig.envelope {
        None => None,
        Some(file) => {
            let path = format!("{provider}/{file}");
            let doc = set.get(&path).ok_or_else(|| Error::Schema {
                at: path.clone(),
                reason: "the envelope codegen.toml names is not in the schema set".into(),
            })?;
            let schema = doc.value.clone();
            if schema.get("type").is_some_and(|t| t != "object") {
                return Err(refuse("type", &path, ""));
            }
            Some(b.object_struct(&path, "", &schema, "Envelope", Role::Envelope)?)
        }
    };

    let mut events = Vec::new();
    let event_docs: Vec<_> = set.events().filter(|e| e.provider == provider).collect();
    for e in event_docs {
        let path = e.doc.path.clone();
        let name = event_name(e.event_type);
        let schema = &e.doc.value;
        if let Some(envelope) = &pconfig.envelope {
            audit_event_root(
                set,
                &path,
                schema,
                &format!("{provider}/{envelope}"),
                &type_field,
                e.event_type,
            )?;
            let data = schema
                .pointer("/properties/data")
                .ok_or_else(|| schema_error(&path, "/properties/data", "no payload schema"))?;
            if data.get("properties").is_some() {
                b.object(
                    &path,
                    "/properties/data",
                    data,
                    &name,
                    Role::Event(e.event_type),
                )?;
            } else {
                // `serde_json::Value` enforces nothing: only annotations may describe it.
                audit(&path, "/properties/data", data, &[])?;
                if let Some((file, at)) = &b.envelope_data_typed {
                    return Err(refuse("type", file, at));
                }
                b.insert(Item::Opaque {
                    name: name.clone(),
                    doc: doc_of(data),
                    event: e.event_type.to_owned(),
                })?;
            }
        } else {
            b.object(&path, "", schema, &name, Role::Event(e.event_type))?;
        }
        events.push(Event {
            event_type: e.event_type.to_owned(),
            name,
            doc: str_of(schema, "description").unwrap_or_default().to_owned(),
            category: e.category().unwrap_or_default().to_owned(),
            documentation_status: e.documentation_status().unwrap_or_default().to_owned(),
            schema_path: path,
        });
    }
    events.sort_by(|a, b| a.event_type.cmp(&b.event_type));
    Ok(ProviderModel {
        provider: provider.to_owned(),
        config: pconfig,
        envelope,
        events,
        items: b.items,
        patterns: b.patterns,
    })
}

#[cfg(test)]
mod tests {
    //! One test per construct the model recognises, each on the smallest schema set that has it.

    use serde_json::{Value, json};

    use super::*;

    /// The model of a Lavanda set with one flat event whose members are `properties` (`type`
    /// added) and whose `$defs` are `defs`; `name` keeps each test's files apart.
    fn lavanda(name: &str, properties: Value, defs: Value) -> Result<ProviderModel, Error> {
        let mut properties = properties;
        properties["type"] = json!({ "const": "v1.spaces.building.created" });
        let event = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://schemas.proptech-events.dev/lavanda/events/v1.spaces.building.created.json",
            "x-provider": "lavanda",
            "x-event-type": "v1.spaces.building.created",
            "x-category": "test",
            "x-documentation-status": "complete",
            "type": "object",
            "required": ["type"],
            "properties": properties,
            "$defs": defs,
        });
        let root = std::env::temp_dir().join(format!(
            "proptech-codegen-model-{name}-{}",
            std::process::id()
        ));
        let dir = root.join("lavanda/events");
        std::fs::create_dir_all(&dir).expect("temporary directory");
        std::fs::write(
            dir.join("v1.spaces.building.created.json"),
            serde_json::to_vec_pretty(&event).expect("JSON"),
        )
        .expect("schema written");
        // The set poses as Lavanda's: its descriptor says how its events are shaped.
        std::fs::copy(
            SchemaSet::workspace_root().join("lavanda/provider.toml"),
            root.join("lavanda/provider.toml"),
        )
        .expect("descriptor copied");
        let set = SchemaSet::load(&root).expect("set loads");
        let model = provider_model(&set, &Config::for_set(&set).expect("config"), "lavanda");
        std::fs::remove_dir_all(&root).ok();
        model
    }

    /// The event's own struct: its fields by JSON name.
    fn event_fields(model: &ProviderModel) -> BTreeMap<String, Field> {
        match &model.items["SpacesBuildingCreated"] {
            Item::Struct { fields, event, .. } => {
                assert_eq!(event.as_deref(), Some("v1.spaces.building.created"));
                fields.iter().map(|f| (f.json.clone(), f.clone())).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_object_becomes_a_struct_with_its_members() {
        let props = json!({
            "unit": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": false,
                "properties": { "name": { "type": "string" }, "note": { "type": ["string", "null"] } }
            }
        });
        let model = lavanda("object", props, json!({})).expect("model");
        let fields = event_fields(&model);
        assert_eq!(fields["type"].ty, Ty::EventTypeTag);
        assert_eq!(fields["type"].rust, "event_type");
        assert_eq!(
            fields["unit"].ty,
            Ty::Named("SpacesBuildingCreatedUnit".into())
        );
        let Item::Struct {
            fields,
            closed,
            event,
            ..
        } = &model.items["SpacesBuildingCreatedUnit"]
        else {
            panic!("not a struct");
        };
        assert!(*closed && event.is_none());
        assert!(fields[0].required && !fields[0].nullable);
        assert!(!fields[1].required && fields[1].nullable);
    }

    #[test]
    fn a_string_enum_becomes_an_open_enum_with_a_variant_per_value() {
        let props =
            json!({ "status": { "type": "string", "enum": ["active", "in_review", "active"] } });
        let model = lavanda("enum", props, json!({})).expect("model");
        let Item::Enum { values, .. } = &model.items["SpacesBuildingCreatedStatus"] else {
            panic!("not an enum");
        };
        let want = [("active", "Active"), ("in_review", "InReview")];
        let want: Vec<_> = want
            .iter()
            .map(|(v, n)| ((*v).to_owned(), (*n).to_owned()))
            .collect();
        assert_eq!(values, &want);
    }

    #[test]
    fn a_patterned_string_becomes_its_named_newtype() {
        let props = json!({ "listing": { "type": "string", "pattern": "^[a-z0-9]{7}$" } });
        let model = lavanda("pattern", props, json!({})).expect("model");
        assert_eq!(
            event_fields(&model)["listing"].ty,
            Ty::Pattern("ListingNumber".into())
        );
        assert!(model.patterns.contains("ListingNumber"));
        let unnamed = json!({ "code": { "type": "string", "pattern": "^x$" } });
        let error = lavanda("unnamed-pattern", unnamed, json!({})).expect_err("no name for it");
        assert!(
            matches!(&error, Error::Schema { at, .. } if at.ends_with("#/properties/code")),
            "{error}"
        );
    }

    #[test]
    fn an_array_becomes_a_vec_with_checked_items() {
        let props =
            json!({ "rooms": { "type": "array", "items": { "type": "integer", "minimum": 1 } } });
        let fields = event_fields(&lavanda("array", props, json!({})).expect("model"));
        assert_eq!(fields["rooms"].ty, Ty::Vec(Box::new(Ty::Integer)));
        assert!(matches!(fields["rooms"].check, Some(Check::Items(_))));
    }

    #[test]
    fn typed_additional_properties_become_a_map_and_pattern_properties_a_keyed_map() {
        let props = json!({
            "tags": { "type": "object", "additionalProperties": { "type": "string" } },
            "prices": {
                "type": "object",
                "patternProperties": { "^[A-Z]{3}$": { "type": "number" } },
                "additionalProperties": false
            }
        });
        let fields = event_fields(&lavanda("map", props, json!({})).expect("model"));
        assert_eq!(fields["tags"].ty, Ty::Map(Box::new(Ty::String)));
        assert_eq!(
            fields["prices"].ty,
            Ty::PatternMap("CurrencyCode".into(), Box::new(Ty::F64))
        );
    }

    #[test]
    fn a_discriminated_one_of_becomes_a_tagged_enum() {
        let branch = |kind: &str| json!({ "type": "object", "required": ["kind"], "properties": { "kind": { "const": kind } } });
        let props = json!({ "payment": { "oneOf": [branch("card"), branch("bank-transfer")] } });
        let model = lavanda("one-of", props, json!({})).expect("model");
        let Item::Tagged {
            discriminator,
            variants,
            ..
        } = &model.items["SpacesBuildingCreatedPayment"]
        else {
            panic!("not tagged");
        };
        assert_eq!(discriminator, "kind");
        let names: Vec<_> = variants
            .iter()
            .map(|(v, n, _)| (v.as_str(), n.as_str()))
            .collect();
        assert_eq!(names, [("card", "Card"), ("bank-transfer", "BankTransfer")]);
        let same = json!({ "payment": { "oneOf": [branch("card"), branch("card")] } });
        assert!(
            lavanda("one-of-same", same, json!({})).is_err(),
            "two branches, one value"
        );
    }

    #[test]
    fn all_of_merges_its_branches_into_one_struct() {
        let props = json!({
            "unit": { "allOf": [
                { "$ref": "#/$defs/named" },
                { "type": "object", "required": ["rooms"], "properties": { "rooms": { "type": "integer" } } }
            ] }
        });
        let defs = json!({ "named": { "type": "object", "required": ["name"], "properties": { "name": { "type": "string" } } } });
        let model = lavanda("all-of", props, defs).expect("model");
        let Item::Struct { fields, .. } = &model.items["SpacesBuildingCreatedUnit"] else {
            panic!("not a struct");
        };
        let members: Vec<_> = fields
            .iter()
            .map(|f| (f.json.as_str(), f.required))
            .collect();
        assert_eq!(members, [("name", true), ("rooms", true)]);
    }

    #[test]
    fn a_recursive_ref_becomes_a_box() {
        let props = json!({ "tree": { "$ref": "#/$defs/node" } });
        let defs = json!({ "node": {
            "type": "object",
            "required": ["name"],
            "properties": { "name": { "type": "string" }, "first": { "$ref": "#/$defs/node" } }
        } });
        let model = lavanda("recursive", props, defs).expect("model");
        let Item::Struct { fields, .. } = &model.items["Node"] else {
            panic!("not a struct");
        };
        assert_eq!(fields[1].ty, Ty::Boxed(Box::new(Ty::Named("Node".into()))));
    }

    #[test]
    fn bounds_pick_the_integer_type_and_are_checked() {
        let props = json!({
            "floor": { "type": "integer", "minimum": 0, "maximum": 200 },
            "level": { "type": "integer", "minimum": -5, "maximum": 5 },
            "count": { "type": "integer", "minimum": 0 },
            "ratio": { "type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5 },
            "code": { "type": "string", "minLength": 2 }
        });
        let fields = event_fields(&lavanda("bounds", props, json!({})).expect("model"));
        assert_eq!(fields["floor"].ty, Ty::U64);
        assert_eq!(fields["level"].ty, Ty::I64);
        assert_eq!(fields["count"].ty, Ty::Integer);
        assert_eq!(
            fields["ratio"].check,
            Some(Check::Bounds {
                minimum: None,
                maximum: None,
                exclusive_minimum: Some(0.0),
                exclusive_maximum: None,
                multiple_of: Some("0.5".into()),
            })
        );
        assert_eq!(
            fields["code"].check,
            Some(Check::Length {
                min_length: Some(2),
                max_length: None
            })
        );
    }

    #[test]
    fn prefix_items_become_a_tuple_and_several_types_a_union() {
        let props = json!({
            "point": {
                "type": "array",
                "prefixItems": [{ "type": "number" }, { "type": ["string", "null"] }],
                "items": false,
                "minItems": 2
            },
            "size": { "type": ["string", "number"] }
        });
        let model = lavanda("tuple", props, json!({})).expect("model");
        let Item::Tuple { items, .. } = &model.items["SpacesBuildingCreatedPoint"] else {
            panic!("not a tuple");
        };
        assert_eq!(items, &[Ty::F64, Ty::Nullable(Box::new(Ty::String))]);
        let Item::Union { variants, .. } = &model.items["SpacesBuildingCreatedSize"] else {
            panic!("not a union");
        };
        assert_eq!(
            variants,
            &[
                ("String".to_owned(), Ty::String),
                ("Number".to_owned(), Ty::F64)
            ]
        );
    }

    #[test]
    fn a_string_any_of_keeps_its_formats_and_values() {
        let props = json!({ "when": { "anyOf": [{ "type": "string", "format": "date" }, { "enum": ["asap"] }] } });
        let model = lavanda("any-of", props, json!({})).expect("model");
        let Item::AnyOfString { alternatives, .. } = &model.items["SpacesBuildingCreatedWhen"]
        else {
            panic!("not a string anyOf");
        };
        assert_eq!(
            alternatives,
            &[
                Alternative::Format(Ty::Date, None),
                Alternative::Literal("asap".into())
            ]
        );
    }

    #[test]
    fn members_that_ask_for_one_field_name_are_numbered() {
        let props = json!({
            "fooBar": { "type": "string" },
            "foo_bar": { "type": "string" },
            "event_type": { "type": "string" }
        });
        let fields = event_fields(&lavanda("names", props, json!({})).expect("model"));
        assert_eq!(fields["fooBar"].rust, "foo_bar_2");
        assert_eq!(fields["foo_bar"].rust, "foo_bar");
        // The event type tag has `event_type`, whatever the member is called.
        assert_eq!(fields["event_type"].rust, "event_type_2");
    }

    /// The model of an EverReal-like provider whose one event's root also carries `root_type`.
    fn envelope_model(root_type: Option<&str>) -> Result<ProviderModel, Error> {
        let root = std::env::temp_dir().join(format!(
            "proptech-codegen-model-envelope-{}-{}",
            std::process::id(),
            root_type.unwrap_or("none")
        ));
        std::fs::create_dir_all(root.join("everreal/events")).expect("temporary directory");
        let envelope = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://schemas.proptech-events.dev/everreal/envelope.json",
            "x-provider": "everreal",
            "type": "object",
            "required": ["operation", "data"],
            "properties": { "operation": { "type": "string" }, "data": {}, "createdAt": { "type": "string" } }
        });
        let event = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://schemas.proptech-events.dev/everreal/events/UNIT_CREATED.json",
            "x-provider": "everreal",
            "x-event-type": "UNIT_CREATED",
            "x-category": "test",
            "x-documentation-status": "complete",
            "$ref": "../envelope.json",
            "properties": { "data": { "type": "object", "properties": { "id": { "type": "string" } } } }
        });
        let mut event = event;
        if let Some(ty) = root_type {
            event["type"] = json!(ty);
        }
        let write = |path: &str, v: &Value| {
            std::fs::write(root.join(path), serde_json::to_vec(v).expect("JSON")).expect("written")
        };
        write("everreal/envelope.json", &envelope);
        write("everreal/events/UNIT_CREATED.json", &event);
        std::fs::copy(
            SchemaSet::workspace_root().join("everreal/provider.toml"),
            root.join("everreal/provider.toml"),
        )
        .expect("descriptor copied");
        let set = SchemaSet::load(&root).expect("set loads");
        let model = provider_model(&set, &Config::for_set(&set).expect("config"), "everreal");
        std::fs::remove_dir_all(&root).ok();
        model
    }

    #[test]
    fn an_event_root_may_say_object_again_and_nothing_else() {
        // Strict validators (Ajv's strictTypes) want `type` beside `properties`.
        envelope_model(Some("object")).expect("the envelope's own type");
        let err = envelope_model(Some("string")).expect_err("would narrow the envelope");
        assert_eq!(
            err.to_string(),
            "type at everreal/events/UNIT_CREATED.json# is not enforced by the generated types"
        );
    }

    #[test]
    fn the_envelope_is_an_object_with_the_tag_and_the_payload() {
        let model = envelope_model(None).expect("model");
        let Some(Item::Struct {
            name,
            fields,
            event,
            ..
        }) = &model.envelope
        else {
            panic!("no envelope");
        };
        assert_eq!((name.as_str(), event), ("Envelope", &None));
        let tys: Vec<_> = fields.iter().map(|f| (f.rust.as_str(), &f.ty)).collect();
        assert_eq!(
            tys,
            [
                ("event_type", &Ty::EventTypeTag),
                ("data", &Ty::Payload),
                ("created_at", &Ty::String)
            ]
        );
        assert!(
            matches!(&model.items["UnitCreated"], Item::Struct { event: Some(e), .. } if e == "UNIT_CREATED")
        );
    }
}
