//! Personal data in deliveries: which members the schemas mark `x-personal-data`, and the
//! redaction that keeps their values out of logs.
//!
//! The generated types print a marked member in `Debug` as `[redacted: contact, 17 chars]`, never
//! its text, and [`WebhookEvent::redacted`](crate::WebhookEvent::redacted) (or
//! [`AnyEvent::redacted`](crate::AnyEvent::redacted)) gives the event as JSON of the same shape
//! with every marked value replaced. What no schema describes (a member a provider added later,
//! a delivery of an unknown event type) is not shown by either: nobody has judged it. The values
//! themselves stay one explicit step away: the struct fields, and `Serialize`.
//!
//! ```
//! # #[cfg(feature = "repull")] {
//! use proptech_events::{Provider, parse};
//!
//! let body = br#"{"type":"reservation.message.received","deliveryId":"evt_1",
//!   "createdAt":"2026-05-01T12:34:56.000Z","data":{"reservationId":42,"threadId":"thr_1",
//!   "from":{"type":"guest","name":"Ana Ruiz"},"body":"Call me on +34 600 000 000",
//!   "sentAt":"2026-05-01T15:00:00.000Z"},"guestPhone":"+34 600 000 000"}"#;
//! let event = parse(Provider::Repull, body)?;
//! // Neither marked members (the sender's name, the message) nor members no schema describes
//! // (`guestPhone`) are printed, nor given by `redacted()`.
//! assert!(!format!("{event:?}").contains("+34 600"));
//! assert!(!format!("{event:?}").contains("Ana Ruiz"));
//! let redacted = event.redacted().to_string();
//! assert!(!redacted.contains("+34 600") && !redacted.contains("Ana Ruiz"));
//! assert!(redacted.contains("[redacted: free-text, 26 chars]"));
//! # }
//! # Ok::<(), proptech_events::ParseError>(())
//! ```

use std::fmt;

use serde_json::Value;

/// What kind of personal data a member holds (the schemas' `x-personal-data`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PersonalData {
    /// A way to reach a person: an email address, a phone number.
    Contact,
    /// What names a person: a name, a date of birth, a personal identifier.
    Identity,
    /// Where a person lives or can be found: a postal address or part of it.
    Address,
    /// Free text a person wrote or that is about a person (messages, notes).
    FreeText,
    /// What a person's device reveals: an IP address, a user agent.
    Network,
}

impl PersonalData {
    /// The category as the schemas write it (`contact`, `free-text`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            PersonalData::Contact => "contact",
            PersonalData::Identity => "identity",
            PersonalData::Address => "address",
            PersonalData::FreeText => "free-text",
            PersonalData::Network => "network",
        }
    }
}

impl fmt::Display for PersonalData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of a [`PersonalMember`]'s path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// The member of an object with this name.
    Member(&'static str),
    /// Every item of an array, or every value of an object whose members are not named.
    Any,
}

/// A member of a delivery that the schema marks as personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PersonalMember {
    /// Where it is, from the root of the delivery body.
    pub path: &'static [Step],
    /// What it holds.
    pub category: PersonalData,
}

impl PersonalMember {
    /// The member at `path` holding `category`. The generated code makes them; a test can too.
    pub const fn new(path: &'static [Step], category: PersonalData) -> Self {
        Self { path, category }
    }

    /// The path as the reference pages write a field (`data.guests[].email`).
    pub fn dotted(&self) -> String {
        let mut out = String::new();
        for step in self.path {
            match step {
                Step::Member(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                Step::Any => out.push_str("[]"),
            }
        }
        out
    }
}

/// What stands in for a marked value: `"[redacted: contact, 17 chars]"` for a string, the count of
/// items or members for an array or object, the category alone for a number or boolean. `null`
/// stays `null`, so an absent value still reads as absent.
pub fn placeholder(category: PersonalData, value: &Value) -> Value {
    let what = match value {
        Value::Null => return Value::Null,
        Value::String(s) => format!(", {} chars", s.chars().count()),
        Value::Array(items) => format!(", {} items", items.len()),
        Value::Object(members) => format!(", {} members", members.len()),
        Value::Bool(_) | Value::Number(_) => String::new(),
    };
    Value::String(format!("[redacted: {category}{what}]"))
}

/// Replaces, in `value`, every member `members` names with its [`placeholder`]. Members that are
/// absent are skipped; `skip` leading steps of each path are dropped first (for a value that is a
/// part of the delivery, such as an envelope's payload), and paths outside that part ignored.
pub fn redact(value: &mut Value, members: &[PersonalMember], skip: &[&str]) {
    for member in members {
        let Some(rest) = strip(member.path, skip) else {
            continue;
        };
        redact_at(value, rest, member.category);
    }
}

fn strip<'p>(path: &'p [Step], skip: &[&str]) -> Option<&'p [Step]> {
    if path.len() < skip.len() {
        return None;
    }
    let (head, rest) = path.split_at(skip.len());
    head.iter()
        .zip(skip)
        .all(|(step, name)| matches!(step, Step::Member(m) if m == name))
        .then_some(rest)
}

fn redact_at(value: &mut Value, path: &[Step], category: PersonalData) {
    let Some((first, rest)) = path.split_first() else {
        *value = placeholder(category, value);
        return;
    };
    match (first, value) {
        (Step::Member(name), Value::Object(map)) => {
            if let Some(v) = map.get_mut(*name) {
                redact_at(v, rest, category);
            }
        }
        (Step::Any, Value::Array(items)) => {
            for item in items {
                redact_at(item, rest, category);
            }
        }
        (Step::Any, Value::Object(map)) => {
            for v in map.values_mut() {
                redact_at(v, rest, category);
            }
        }
        _ => {}
    }
}

/// The values in `value` that `members` names, each with its category (`skip` as for
/// [`redact`]; `null` and absent members are left out). For a text about a delivery that cannot go
/// through [`redact`], such as a validator's message quoting a value: see [`scrub`].
pub fn find<'v>(
    value: &'v Value,
    members: &[PersonalMember],
    skip: &[&str],
) -> Vec<(&'v Value, PersonalData)> {
    let mut out = Vec::new();
    for member in members {
        if let Some(rest) = strip(member.path, skip) {
            find_at(value, rest, member.category, &mut out);
        }
    }
    out
}

fn find_at<'v>(
    value: &'v Value,
    path: &[Step],
    category: PersonalData,
    out: &mut Vec<(&'v Value, PersonalData)>,
) {
    let Some((first, rest)) = path.split_first() else {
        if !value.is_null() {
            out.push((value, category));
        }
        return;
    };
    match (first, value) {
        (Step::Member(name), Value::Object(map)) => {
            if let Some(v) = map.get(*name) {
                find_at(v, rest, category, out);
            }
        }
        (Step::Any, Value::Array(items)) => {
            for item in items {
                find_at(item, rest, category, out);
            }
        }
        (Step::Any, Value::Object(map)) => {
            for v in map.values() {
                find_at(v, rest, category, out);
            }
        }
        _ => {}
    }
}

/// `text` with every personal value [`find`] returns for `value` replaced by
/// `[redacted: <category>]`, as written plainly and as JSON writes it (a string's quoted,
/// escaped form; a whole object or array, compact). Longer values are replaced first, so a value
/// that contains another goes whole; values shorter than three characters are left, as replacing
/// them would garble the text around them more than it would hide.
pub fn scrub(text: &str, value: &Value, members: &[PersonalMember], skip: &[&str]) -> String {
    let mut needles: Vec<(String, PersonalData)> = Vec::new();
    for (found, category) in find(value, members, skip) {
        // The value whole, and every part of it: a message may quote one item of a marked list.
        needle_parts(found, category, &mut needles);
    }
    needles.retain(|(n, _)| n.chars().count() >= 3);
    needles.sort_by_key(|n| std::cmp::Reverse(n.0.len()));
    let mut out = text.to_owned();
    for (needle, category) in needles {
        out = out.replace(&needle, &format!("[redacted: {category}]"));
    }
    out
}

fn needle_parts(value: &Value, category: PersonalData, out: &mut Vec<(String, PersonalData)>) {
    if let Value::String(s) = value {
        out.push((s.clone(), category));
    }
    out.push((value.to_string(), category));
    match value {
        Value::Array(items) => items.iter().for_each(|v| needle_parts(v, category, out)),
        Value::Object(members) => members
            .values()
            .for_each(|v| needle_parts(v, category, out)),
        _ => {}
    }
}

/// Whether a value at the JSON pointer `pointer` may hold personal data: it is in or at a marked
/// member, or above one (an object or list that contains it, whatever shape it was sent in).
pub fn may_hold(members: &[PersonalMember], pointer: &str) -> bool {
    let tokens = tokens(pointer);
    members
        .iter()
        .any(|m| m.path.iter().zip(&tokens).all(step_matches))
}

/// Whether a path step stands for a pointer token.
fn step_matches((step, token): (&Step, &String)) -> bool {
    match step {
        Step::Member(name) => name == token,
        Step::Any => true,
    }
}

/// What stands in for the value of a member no schema describes.
pub const UNDESCRIBED: &str = "[not shown: a member the schema does not describe]";

/// Replaces, in `value`, the value of every member that `schema` (a bundled event schema: local
/// `$ref`s into its `$defs`) does not describe with [`UNDESCRIBED`]: a member a provider added
/// after the schema was written, which nobody has judged. `pointer` is where `value` sits in the
/// delivery (`""`, or `"/data"` for an envelope's payload). Members under a schema that lists no
/// members (a free-form object the docs describe as such) are kept, unless the docs do not
/// describe the event's payload at all (`x-documentation-status: undocumented`): then its
/// members are hidden too.
pub fn hide_undescribed(value: &mut Value, schema: &Value, pointer: &str) {
    let mut node = Some(schema);
    for token in tokens(pointer) {
        node = node.and_then(|n| member_schema(schema, n, &token, 0));
    }
    let undocumented = schema
        .get("x-documentation-status")
        .is_some_and(|s| s == "undocumented");
    if let Some(node) = node {
        hide(value, schema, node, undocumented, 0);
    }
}

/// How deep [`hide_undescribed`] follows `$ref`s and nesting.
const MAX_DEPTH: usize = 64;

/// The schemas that apply at `node`: itself, what its `$ref` names, its `allOf`/`anyOf`/`oneOf`
/// branches, transitively.
fn applicable<'s>(root: &'s Value, node: &'s Value, depth: usize, out: &mut Vec<&'s Value>) {
    if depth > MAX_DEPTH {
        return;
    }
    out.push(node);
    if let Some(target) = node
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|p| root.pointer(p))
    {
        applicable(root, target, depth + 1, out);
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for branch in node
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            applicable(root, branch, depth + 1, out);
        }
    }
}

/// The schema of member `name` at `node`, if one describes it.
fn member_schema<'s>(
    root: &'s Value,
    node: &'s Value,
    name: &str,
    depth: usize,
) -> Option<&'s Value> {
    let mut schemas = Vec::new();
    applicable(root, node, depth, &mut schemas);
    schemas
        .iter()
        .find_map(|s| s.get("properties").and_then(|p| p.get(name)))
        .or_else(|| {
            schemas.iter().find_map(|s| {
                s.get("additionalProperties")
                    .filter(|a| a.is_object())
                    .or_else(|| {
                        s.get("patternProperties")
                            .and_then(Value::as_object)
                            .and_then(|p| p.values().next())
                    })
            })
        })
}

fn hide(value: &mut Value, root: &Value, node: &Value, undocumented: bool, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let mut schemas = Vec::new();
    applicable(root, node, 0, &mut schemas);
    match value {
        Value::Object(members) => {
            // A schema that lists no members describes a free-form object: all of it is kept.
            let lists = schemas.iter().any(|s| {
                s.get("properties").is_some()
                    || s.get("additionalProperties").is_some_and(Value::is_object)
                    || s.get("patternProperties").is_some()
            });
            if !lists {
                if undocumented {
                    for v in members.values_mut() {
                        *v = Value::String(UNDESCRIBED.to_owned());
                    }
                }
                return;
            }
            for (name, v) in members.iter_mut() {
                match member_schema(root, node, name, 0) {
                    Some(sub) => hide(v, root, sub, undocumented, depth + 1),
                    None => *v = Value::String(UNDESCRIBED.to_owned()),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let sub = schemas.iter().find_map(|s| {
                    s.get("prefixItems")
                        .and_then(|p| p.get(i))
                        .or_else(|| s.get("items"))
                });
                if let Some(sub) = sub {
                    hide(item, root, sub, undocumented, depth + 1);
                }
            }
        }
        _ => {}
    }
}

/// A JSON Schema validator's `message` for `keyword` at `pointer` of `delivery`, fit for a log:
/// where it may quote personal data ([`message_may_quote`]) it names the rule only; elsewhere it
/// is [`scrub`]bed of the delivery's marked values.
pub fn violation_message(
    members: &[PersonalMember],
    delivery: &Value,
    (pointer, keyword): (&str, &str),
    message: &str,
) -> String {
    if message_may_quote(members, pointer, keyword) {
        // The value here is, or holds, personal data in whatever shape it came.
        format!("fails `{keyword}` [not shown: the value here may hold personal data]")
    } else {
        scrub(message, delivery, members, &[])
    }
}

/// Whether a JSON Schema validator's message for `keyword` at `pointer` may quote personal data:
/// at or in a marked member, any; above one, any but those of the keywords whose messages name
/// members only (`required`, `additionalProperties`, `unevaluatedProperties`,
/// `dependentRequired`).
pub fn message_may_quote(members: &[PersonalMember], pointer: &str, keyword: &str) -> bool {
    const NAMES_ONLY: [&str; 4] = [
        "required",
        "additionalProperties",
        "unevaluatedProperties",
        "dependentRequired",
    ];
    at_pointer(members, pointer).is_some()
        || (may_hold(members, pointer) && !NAMES_ONLY.contains(&keyword))
}

fn tokens(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// The category of the marked member that the JSON pointer `pointer` (an instance path from
/// the delivery's root, `/data/guests/0/email`) is in or at, if any.
pub fn at_pointer(members: &[PersonalMember], pointer: &str) -> Option<PersonalData> {
    let tokens = tokens(pointer);
    members
        .iter()
        .find(|m| m.path.len() <= tokens.len() && m.path.iter().zip(&tokens).all(step_matches))
        .map(|m| m.category)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const EMAIL: &[Step] = &[
        Step::Member("data"),
        Step::Member("guests"),
        Step::Any,
        Step::Member("email"),
    ];
    const NOTE: &[Step] = &[Step::Member("data"), Step::Member("note")];

    #[test]
    fn marked_values_are_replaced_in_place_and_null_stays_null() {
        let mut v = json!({ "data": {
            "guests": [{ "email": "ana@example.com", "nights": 2 }, { "email": null }],
            "note": ["a", "b"]
        }});
        let members = [
            PersonalMember::new(EMAIL, PersonalData::Contact),
            PersonalMember::new(NOTE, PersonalData::FreeText),
        ];
        redact(&mut v, &members, &[]);
        assert_eq!(
            v,
            json!({ "data": {
                "guests": [{ "email": "[redacted: contact, 15 chars]", "nights": 2 }, { "email": null }],
                "note": "[redacted: free-text, 2 items]"
            }})
        );
    }

    #[test]
    fn a_part_of_the_delivery_is_redacted_by_its_own_paths() {
        let mut data = json!({ "guests": [{ "email": "ana@example.com" }], "note": "x" });
        redact(
            &mut data,
            &[PersonalMember::new(EMAIL, PersonalData::Contact)],
            &["data"],
        );
        assert_eq!(data["guests"][0]["email"], "[redacted: contact, 15 chars]");
        assert_eq!(data["note"], "x");
        let mut other = json!({ "guests": [{ "email": "ana@example.com" }] });
        redact(
            &mut other,
            &[PersonalMember::new(EMAIL, PersonalData::Contact)],
            &["meta"],
        );
        assert_eq!(other["guests"][0]["email"], "ana@example.com");
    }

    #[test]
    fn find_and_scrub_reach_every_marked_value() {
        let v = json!({ "data": {
            "guests": [{ "email": "ana@example.com" }, { "email": "bo\"b@example.com" }],
            "note": ["hello there", "bye"]
        }});
        let members = [
            PersonalMember::new(EMAIL, PersonalData::Contact),
            PersonalMember::new(NOTE, PersonalData::FreeText),
        ];
        assert_eq!(find(&v, &members, &[]).len(), 3);
        let text = format!(
            "{} and {} in {}",
            v["data"]["guests"][0]["email"], "bo\"b@example.com", v
        );
        let scrubbed = scrub(&text, &v, &members, &[]);
        for gone in ["ana@example.com", "bo\"b", "bo\\\"b", "hello there"] {
            assert!(!scrubbed.contains(gone), "{gone} in {scrubbed}");
        }
        assert!(scrubbed.contains("[redacted: contact]"), "{scrubbed}");
    }

    #[test]
    fn a_pointer_inside_a_marked_member_finds_its_category() {
        let members = [
            PersonalMember::new(EMAIL, PersonalData::Contact),
            PersonalMember::new(NOTE, PersonalData::FreeText),
        ];
        assert_eq!(
            at_pointer(&members, "/data/guests/3/email"),
            Some(PersonalData::Contact)
        );
        assert_eq!(
            at_pointer(&members, "/data/note/0"),
            Some(PersonalData::FreeText)
        );
        assert_eq!(at_pointer(&members, "/data/guests/3"), None);
        assert_eq!(at_pointer(&members, "/data/notes"), None);
        assert_eq!(at_pointer(&members, ""), None);
    }

    #[test]
    fn members_no_schema_describes_are_hidden_and_free_form_objects_kept() {
        let schema = json!({
            "$ref": "#/$defs/envelope",
            "properties": { "data": { "properties": {
                "guest": { "properties": { "name": { "type": "string" } } },
                "rooms": { "items": { "properties": { "n": { "type": "integer" } } } },
                "free": { "type": "object" },
                "by_day": { "additionalProperties": { "type": "integer" } }
            }}},
            "$defs": { "envelope": { "properties": { "type": {}, "data": {} } } }
        });
        let mut v = json!({ "type": "x", "added": "Ana", "data": {
            "guest": { "name": "n", "phone": "+34 600" },
            "rooms": [{ "n": 1, "who": "Bo" }],
            "free": { "anything": "kept" },
            "by_day": { "mon": 1 }
        }});
        hide_undescribed(&mut v, &schema, "");
        assert_eq!(
            v,
            json!({ "type": "x", "added": UNDESCRIBED, "data": {
                "guest": { "name": "n", "phone": UNDESCRIBED },
                "rooms": [{ "n": 1, "who": UNDESCRIBED }],
                "free": { "anything": "kept" },
                "by_day": { "mon": 1 }
            }})
        );
        let mut data = json!({ "guest": { "name": "n", "phone": "+34 600" } });
        hide_undescribed(&mut data, &schema, "/data");
        assert_eq!(data["guest"]["phone"], UNDESCRIBED);
    }

    #[test]
    fn a_value_above_a_marked_member_may_hold_it_and_only_some_messages_quote_it() {
        let members = [PersonalMember::new(EMAIL, PersonalData::Contact)];
        for holding in [
            "",
            "/data",
            "/data/guests",
            "/data/guests/0",
            "/data/guests/0/email",
        ] {
            assert!(may_hold(&members, holding), "{holding}");
        }
        for apart in ["/type", "/data/nights", "/data/guests/0/name"] {
            assert!(!may_hold(&members, apart), "{apart}");
        }
        assert!(message_may_quote(&members, "/data/guests/0", "type"));
        assert!(!message_may_quote(&members, "/data/guests/0", "required"));
        assert!(message_may_quote(
            &members,
            "/data/guests/0/email",
            "required"
        ));
        assert!(!message_may_quote(&members, "/data/nights", "type"));
    }

    #[test]
    fn debug_shows_the_length_and_category_never_the_text() {
        let shown = format!(
            "{:?}",
            crate::__private::Redacted(PersonalData::Identity, "Ana Pérez")
        );
        assert_eq!(shown, "[redacted: identity, 9 chars]");
        let none: Option<String> = None;
        assert_eq!(
            format!(
                "{:?}",
                crate::__private::Redacted(PersonalData::Contact, &none)
            ),
            "None"
        );
    }
}
