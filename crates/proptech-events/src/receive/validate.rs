//! JSON Schema validation of deliveries (the `validate` feature), with each provider's validators
//! compiled once, on first use, from the schemas embedded in the crate; and every violation of a
//! delivery, for tools that report them all.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::ReceiveError;
use crate::{AnyEvent, ParseError, ParseErrorKind, Provider};

type Validators = HashMap<&'static str, jsonschema::Validator>;

/// The compiled validators of `provider`'s events, by event type.
fn validators(provider: Provider) -> &'static Validators {
    static CELLS: [OnceLock<Validators>; Provider::ALL.len()] =
        [const { OnceLock::new() }; Provider::ALL.len()];
    CELLS[provider as usize].get_or_init(|| {
        provider
            .events()
            .iter()
            .map(|e| {
                let schema: Value =
                    serde_json::from_str(e.json_schema).expect("the embedded schema is JSON");
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .should_validate_formats(true)
                    .build(&schema)
                    .expect("the embedded schema compiles (tested in the workspace)");
                (e.event_type, validator)
            })
            .collect()
    })
}

/// Parses `body` as one of `provider`'s events and accepts it only if its event's JSON Schema
/// does: the route of a receiver with [`Options::validate`](super::Options::validate), after
/// its signature and envelope checks.
///
/// The typed parse is the check. It accepts exactly what the schemas accept apart from a value
/// outside an `enum` (kept in a catch-all, which the parse notes as it goes) and an event type
/// the schemas do not know (kept as `Unknown`); here both of those are rejected too. A compiled
/// JSON Schema validator runs only for a rejection, to name the first violation and its instance
/// path ([`schema_violations`] lists them all).
///
/// ```
/// use proptech_events::Provider;
/// use proptech_events::receive::{ReceiveError, parse_validated};
///
/// let ping = br#"{"type": "repull.ping", "deliveryId": "evt_1",
///     "createdAt": "2026-05-01T12:34:56Z", "data": {"message": "Ping from Repull."}}"#;
/// assert!(parse_validated(Provider::Repull, ping).is_ok());
///
/// let new_type = br#"{"type": "repull.sent.next.year", "deliveryId": "evt_1",
///     "createdAt": "2026-05-01T12:34:56Z", "data": {}}"#;
/// // `parse` keeps it as `Unknown`; the schemas do not accept it.
/// assert!(proptech_events::parse(Provider::Repull, new_type).is_ok());
/// let Err(ReceiveError::SchemaViolation { instance_path, .. }) =
///     parse_validated(Provider::Repull, new_type)
/// else {
///     panic!("rejected")
/// };
/// assert_eq!(instance_path, "/type");
/// ```
pub fn parse_validated(provider: Provider, body: &[u8]) -> Result<AnyEvent, ReceiveError> {
    let (parsed, caught) =
        crate::__private::parse_watching_catch_alls(|| crate::parse(provider, body));
    let type_member = provider.contract().type_member;
    validated(
        provider,
        type_member,
        parsed,
        caught,
        AnyEvent::event_type,
        body,
    )
}

/// The verdict of the validated route on a typed parse of `body` (`parsed`, and whether a value
/// landed in a catch-all): the event, or the first schema violation.
pub(super) fn validated<T>(
    provider: Provider,
    type_member: &str,
    parsed: Result<T, ParseError>,
    caught: bool,
    event_type: impl Fn(&T) -> &str,
    body: &[u8],
) -> Result<T, ReceiveError> {
    match parsed {
        Ok(event) if !caught && provider.event(event_type(&event)).is_some() => Ok(event),
        // A value outside an enum, or an event type the schemas do not know.
        Ok(event) => explain(provider, type_member, event_type(&event), body).map(|()| event),
        Err(error) => {
            let named = error.event_type.as_deref().unwrap_or_default();
            explain(provider, type_member, named, body)?;
            Err(ReceiveError::from_parse(error))
        }
    }
}

/// Why `body`, which the typed parse rejected or kept in a catch-all, breaks `event_type`'s
/// schema: the first violation, with its instance path. `Ok` when the schema accepts it after
/// all (a repeated member, which a JSON value drops and the typed parse refuses). An event
/// type the schemas do not know is a violation at its `type_member`.
fn explain(
    provider: Provider,
    type_member: &str,
    event_type: &str,
    body: &[u8],
) -> Result<(), ReceiveError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ReceiveError::MalformedJson(ParseError {
            provider,
            event_type: Some(event_type.to_owned()),
            path: String::new(),
            kind: ParseErrorKind::Syntax,
            message: e.to_string(),
        })
    })?;
    let Some(validator) = validators(provider).get(event_type) else {
        return Err(ReceiveError::SchemaViolation {
            instance_path: format!("/{}", type_member.replace('~', "~0").replace('/', "~1")),
            message: format!(
                "{:?} is not an event type of the {provider} schemas",
                crate::receive::truncate(event_type)
            ),
        });
    };
    let Some(error) = validator.iter_errors(&value).next() else {
        return Ok(());
    };
    // The validator's message quotes the value it rejects: a personal one is not carried
    // into the error (nor any log of it).
    let personal = provider
        .event(event_type)
        .map_or(&[][..], |e| e.personal_data);
    let instance_path = error.instance_path().to_string();
    let message = crate::personal::violation_message(
        personal,
        &value,
        (&instance_path, error.kind().keyword()),
        &error.to_string(),
    );
    Err(ReceiveError::SchemaViolation {
        instance_path,
        message,
    })
}

/// One way a delivery breaks its event's JSON Schema, with what the schema expects there.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SchemaViolation {
    /// JSON pointer to the offending value (`""` for the whole delivery).
    pub instance_path: String,
    /// The schema keyword that failed (`required`, `type`, `pattern`, `format`, …).
    pub keyword: String,
    /// JSON pointer to the keyword in the event's embedded schema (inside a bundled `$defs`
    /// resource when the keyword sits in a shared definition).
    pub schema_path: String,
    /// The keyword's value in the schema: the type, pattern, enum list or required members
    /// expected there, when it can be read back.
    pub expected: Option<Value>,
    /// The documentation of the value the keyword constrains (the schema's `description` there,
    /// taken from the provider's docs), when it has one.
    pub description: Option<String>,
    /// The validator's message. It quotes the value it judges, personal data included: pass it
    /// through [`crate::personal::scrub`] before it goes to a log.
    pub message: String,
}

/// Every way `delivery` breaks the JSON Schema of `provider`'s `event_type`, in document order;
/// `None` when the crate has no schema for that event type (it would parse as `Unknown`).
///
/// ```
/// use proptech_events::Provider;
/// use proptech_events::receive::schema_violations;
///
/// let delivery = serde_json::json!({"type": "repull.ping", "deliveryId": "evt_1",
///     "createdAt": "yesterday", "data": {}});
/// let violations = schema_violations(Provider::Repull, "repull.ping", &delivery).unwrap();
/// assert!(violations.iter().any(|v| v.instance_path == "/createdAt" && v.keyword == "format"));
/// assert!(violations.iter().any(|v| v.instance_path == "/data" && v.keyword == "required"));
/// ```
pub fn schema_violations(
    provider: Provider,
    event_type: &str,
    delivery: &Value,
) -> Option<Vec<SchemaViolation>> {
    let validator = validators(provider).get(event_type)?;
    let schema: Option<Value> = provider
        .event(event_type)
        .and_then(|e| serde_json::from_str(e.json_schema).ok());
    let violations = validator
        .iter_errors(delivery)
        .map(|error| {
            let schema_path = error.schema_path().to_string();
            let resource = schema.as_ref().and_then(|root| {
                let base = error.absolute_keyword_location().map(|uri| {
                    uri.as_str()
                        .split('#')
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                });
                match base {
                    Some(base) => resource(root, &base).or(Some(root)),
                    None => Some(root),
                }
            });
            let expected = resource.and_then(|r| r.pointer(&schema_path)).cloned();
            let description = resource
                .and_then(|r| r.pointer(parent(&schema_path)))
                .and_then(|s| s.get("description"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            SchemaViolation {
                instance_path: error.instance_path().to_string(),
                keyword: error.kind().keyword().to_owned(),
                schema_path,
                expected,
                description,
                message: error.to_string(),
            }
        })
        .collect();
    Some(violations)
}

/// The JSON pointer one level up (`/properties/a/type` → `/properties/a`).
fn parent(pointer: &str) -> &str {
    pointer.rfind('/').map_or("", |i| &pointer[..i])
}

/// The schema resource with `$id` `id` inside `root` (a bundled `$defs` entry), or `root` itself.
fn resource<'v>(root: &'v Value, id: &str) -> Option<&'v Value> {
    if root.get("$id").and_then(Value::as_str) == Some(id) {
        return Some(root);
    }
    match root {
        Value::Object(map) => map.values().find_map(|v| resource(v, id)),
        Value::Array(items) => items.iter().find_map(|v| resource(v, id)),
        _ => None,
    }
}
