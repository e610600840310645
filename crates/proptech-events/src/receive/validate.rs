//! JSON Schema validation of deliveries (the `validate` feature), with each provider's validators
//! compiled once, on first use, from the schemas embedded in the crate.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::{Core, ReceiveError};
use crate::{EventInfo, ParseError, ParseErrorKind, Provider};

type Validators = HashMap<&'static str, jsonschema::Validator>;

fn events(provider: Provider) -> &'static [EventInfo] {
    match provider {
        #[cfg(feature = "valara")]
        Provider::Valara => crate::valara::EVENTS,
        #[cfg(feature = "repull")]
        Provider::Repull => crate::repull::EVENTS,
        #[cfg(feature = "lavanda")]
        Provider::Lavanda => crate::lavanda::EVENTS,
        #[cfg(feature = "everreal")]
        Provider::Everreal => crate::everreal::EVENTS,
        #[allow(unreachable_patterns)]
        _ => &[],
    }
}

/// The compiled validators of `provider`'s events, by event type.
fn validators(provider: Provider) -> &'static Validators {
    static CELLS: [OnceLock<Validators>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    CELLS[provider as usize].get_or_init(|| {
        events(provider)
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

impl Core {
    /// Parses `body` once into a JSON value and validates it against `event_type`'s schema.
    pub(super) fn validate(
        &self,
        provider: Provider,
        event_type: &str,
        body: &[u8],
    ) -> Result<Value, ReceiveError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            ReceiveError::MalformedJson(ParseError {
                provider,
                event_type: Some(event_type.to_owned()),
                path: String::new(),
                kind: ParseErrorKind::Syntax,
                message: e.to_string(),
            })
        })?;
        if let Some(validator) = validators(provider).get(event_type) {
            // The boolean check is the fast path; the error is only worked out for a failure.
            if validator.is_valid(&value) {
                return Ok(value);
            }
            if let Some(error) = validator.iter_errors(&value).next() {
                return Err(ReceiveError::SchemaViolation {
                    instance_path: error.instance_path().to_string(),
                    message: error.to_string(),
                });
            }
        }
        Ok(value)
    }
}
