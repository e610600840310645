//! Whether the typed parse and the JSON Schema agree on one instance: the rule of the
//! differential test (`tests/tests/it/differential.rs`) and of the `differential` fuzz target.
//!
//! The typed parse must accept exactly what the event's schema accepts, with two deliberate
//! exceptions: a value outside a closed `enum` (or `const`), kept in the enum's catch-all, and an
//! event type the crate does not know, kept in `Unknown`. Every accepted instance must serialise
//! back to JSON equal to itself.

use serde_json::Value;

use proptech_catalog::Violation;

use crate::{schema_set, violations};

/// What the typed parse made of an instance. The judge does not depend on the typed crate: the
/// caller parses and says what came out.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    /// Parsed into the variant of a known event type; `back` is the event serialised again.
    Known {
        /// The event, serialised again.
        back: Value,
    },
    /// Parsed into `Unknown`; `back` is the event serialised again.
    Unknown {
        /// The event, serialised again.
        back: Value,
    },
    /// Rejected, with the error's message.
    Rejected(String),
}

/// How the two agreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// Both accept, and the event serialises back to the instance.
    BothAccept,
    /// Both reject.
    BothReject,
    /// The schema rejects only a value outside an `enum`/`const`; the typed parse keeps it in a
    /// catch-all and serialises it back unchanged.
    CatchAll,
    /// The schema rejects the event type; the typed parse keeps the delivery in `Unknown`.
    Unknown,
}

/// The JSON pointer of `provider`'s event type member, from its descriptor.
pub fn type_pointer(provider: &str) -> String {
    let member = schema_set()
        .providers()
        .iter()
        .find(|d| d.name == provider)
        .map(|d| d.envelope.type_member.as_str())
        .unwrap_or("type");
    format!("/{}", member.replace('~', "~0").replace('/', "~1"))
}

/// The schema `instance` is judged against: the event schema of the type it names, else (a type
/// this version does not know, or no type at all) the provider's first event schema, whose
/// event-type `const` the instance then breaks. `None` for an unknown provider.
pub fn schema_for(provider: &str, instance: &Value) -> Option<String> {
    let set = schema_set();
    let named = instance
        .pointer(&type_pointer(provider))
        .and_then(Value::as_str)
        .and_then(|t| set.event(provider, t));
    named
        .or_else(|| set.events().find(|e| e.provider == provider))
        .map(|e| e.doc.path.clone())
}

/// Judges one instance of `provider` against the schema at `schema` (relative to `schemas/`),
/// given what the typed parse made of it: the verdict, or why the two disagree.
pub fn judge(
    provider: &str,
    schema: &str,
    instance: &Value,
    typed: &Typed,
) -> Result<Verdict, String> {
    judge_violations(
        &type_pointer(provider),
        &violations(schema, instance),
        instance,
        typed,
    )
}

/// Judges one instance, given the schema's `errors` on it, the JSON pointer of its event type
/// member, and what the typed parse made of it: the verdict, or why the two disagree. For schema
/// sets other than the workspace's (the generator's construct corpus).
pub fn judge_violations(
    type_pointer: &str,
    errors: &[Violation],
    instance: &Value,
    typed: &Typed,
) -> Result<Verdict, String> {
    let listed = || {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    };
    let round_trip = |back: &Value| {
        if back == instance {
            Ok(())
        } else {
            Err(format!(
                "does not round-trip:\n    sent {instance}\n    back {back}"
            ))
        }
    };
    match (errors.is_empty(), typed) {
        (true, Typed::Known { back }) => round_trip(back).map(|()| Verdict::BothAccept),
        (true, Typed::Unknown { .. }) => Err("valid, but parsed as Unknown".into()),
        (true, Typed::Rejected(e)) => Err(format!("valid, but the typed parse rejects it: {e}")),
        (false, Typed::Rejected(_)) => Ok(Verdict::BothReject),
        (false, Typed::Unknown { back }) => {
            let type_rejected = errors
                .iter()
                .any(|v| v.keyword == "const" && v.instance_path == type_pointer);
            if !type_rejected {
                return Err(format!(
                    "the schema rejects it ({}) without rejecting its event type, and the typed \
                     parse keeps it as Unknown",
                    listed()
                ));
            }
            round_trip(back).map(|()| Verdict::Unknown)
        }
        (false, Typed::Known { back }) => {
            let only_values = errors
                .iter()
                .all(|v| v.keyword == "enum" || v.keyword == "const");
            if only_values && back == instance {
                Ok(Verdict::CatchAll)
            } else {
                Err(format!(
                    "the schema rejects it ({}), the typed parse accepts it{}",
                    listed(),
                    if back == instance {
                        String::new()
                    } else {
                        format!(" and gives back {back}")
                    }
                ))
            }
        }
    }
}

/// Judges the validated route (`receive::parse_validated`) on one instance of `provider` against
/// the schema at `schema`: it must accept exactly what the schema accepts, with no exception (a
/// value outside an `enum` and an unknown event type are rejections here), and an accepted
/// instance must serialise back to itself. `validated` is the route's event serialised again, or
/// its error's message.
pub fn judge_validated(
    schema: &str,
    instance: &Value,
    validated: &Result<Value, String>,
) -> Result<Verdict, String> {
    judge_validated_violations(&violations(schema, instance), instance, validated)
}

/// [`judge_validated`], given the schema's `errors` on the instance.
pub fn judge_validated_violations(
    errors: &[Violation],
    instance: &Value,
    validated: &Result<Value, String>,
) -> Result<Verdict, String> {
    match (errors.is_empty(), validated) {
        (true, Ok(back)) if back == instance => Ok(Verdict::BothAccept),
        (true, Ok(back)) => Err(format!(
            "does not round-trip:\n    sent {instance}\n    back {back}"
        )),
        (true, Err(e)) => Err(format!("valid, but the validated route rejects it: {e}")),
        (false, Err(_)) => Ok(Verdict::BothReject),
        (false, Ok(_)) => Err(format!(
            "the schema rejects it ({}), the validated route accepts it",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}
