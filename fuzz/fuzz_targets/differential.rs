//! The typed parse against the schemas, judged by the `jsonschema` crate (formats asserted), on
//! mutated JSON: the fuzzed twin of `tests/tests/differential.rs`, with its judge
//! (`proptech_conformance::judge`).
//!
//! Input: a provider byte, then a JSON text. Only JSON texts that parse as a `serde_json::Value`
//! are judged (the schema validator reads values); the text is parsed, written out again and that
//! is what the typed parse reads, so both sides see the same value (repeated members, which a
//! `Value` drops, are the `parse` target's business).
//!
//! The instance is judged against the event schema of the type it names, else the provider's
//! first event schema (whose event-type `const` it breaks). The verdicts must agree, except for
//! a value outside a closed enum (kept in a catch-all) and an unknown event type (kept in
//! `Unknown`); every accepted instance must serialise back to itself. The validated route
//! (`receive::parse_validated`) must agree with the schema with no exception.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proptech_conformance::judge::{judge_validated_violations, judge_violations, schema_for, type_pointer};
use proptech_conformance::violations;
use proptech_events_fuzz::{provider, typed, validated};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    let Ok(instance) = serde_json::from_slice::<serde_json::Value>(text) else {
        return;
    };
    let provider = provider(selector);
    let name = provider.as_str();
    let schema = schema_for(name, &instance).expect("every provider has event schemas");
    let body = serde_json::to_vec(&instance).expect("a value serialises");
    let typed = typed(provider, &body);
    let errors = violations(&schema, &instance);
    if let Err(problem) = judge_violations(&type_pointer(name), &errors, &instance, &typed) {
        panic!("{name} {schema}: {problem}\n    instance {instance}");
    }
    // The validated route agrees with the schema with no exception at all.
    let validated = validated(provider, &body);
    if let Err(problem) = judge_validated_violations(&errors, &instance, &validated) {
        panic!("{name} {schema} (validated route): {problem}\n    instance {instance}");
    }
});
