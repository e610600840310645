//! `validate`: each payload against its event's JSON Schema (every violation, with its JSON
//! pointer, keyword and the documented expectation) and the crate's typed parse.

use std::process::ExitCode;

use proptech_events::Provider;
use proptech_events::receive::schema_violations;
use serde_json::{Value, json};

use crate::Outcome;
use crate::catalog;
use crate::cli::ValidateArgs;
use crate::style::{self, BAD, BOLD, DIM, GOOD};

/// The verdict on one input.
enum Verdict {
    /// Valid: the event type.
    Valid(String),
    /// Invalid: the event type and each problem as JSON.
    Invalid(String, Vec<Value>),
    /// Unusable: why.
    Unusable(String),
}

impl Verdict {
    fn code(&self) -> u8 {
        match self {
            Verdict::Valid(_) => 0,
            Verdict::Invalid(..) => 1,
            Verdict::Unusable(_) => 2,
        }
    }
}

/// `text` with the values `value`'s event schema marks as personal data redacted, unless
/// `show_personal_data`: a validator's message quotes the value it judges.
fn scrubbed(
    provider: Provider,
    value: &Value,
    (instance_path, keyword, text): (&str, &str, &str),
    show_personal_data: bool,
) -> String {
    if show_personal_data {
        return text.to_owned();
    }
    let event_type = value
        .get(catalog::type_member(provider))
        .and_then(Value::as_str);
    let members = provider
        .events()
        .iter()
        .find(|e| Some(e.event_type) == event_type)
        .map_or(&[][..], |e| e.personal_data);
    // The typed parse withholds its own messages; the validator's quote what they judge.
    if keyword == "typed parse" {
        return proptech_events::personal::scrub(text, value, members, &[]);
    }
    proptech_events::personal::violation_message(members, value, (instance_path, keyword), text)
}

fn judge(provider: Provider, bytes: &[u8], show_personal_data: bool) -> Verdict {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return Verdict::Unusable(format!("not JSON: {e}")),
    };
    let member = catalog::type_member(provider);
    let Some(event_type) = value.get(member).and_then(Value::as_str) else {
        return Verdict::Unusable(format!(
            "no string `{member}` member: a {provider} delivery names its event type there"
        ));
    };
    let Some(violations) = schema_violations(provider, event_type, &value) else {
        return Verdict::Unusable(format!(
            "{provider} has no event type {event_type:?}; `proptech-events events --provider {provider}` lists them"
        ));
    };
    let mut problems: Vec<Value> = violations
        .iter()
        .map(|v| {
            json!({
                "instance_path": v.instance_path,
                "keyword": v.keyword,
                "expected": v.expected,
                "description": v.description,
                "message": scrubbed(
                    provider,
                    &value,
                    (&v.instance_path, &v.keyword, &v.message),
                    show_personal_data,
                ),
            })
        })
        .collect();
    if let Err(e) = proptech_events::parse(provider, bytes) {
        // The typed parse agrees with the schema; report it when it alone rejects.
        if !problems
            .iter()
            .any(|p| p["instance_path"] == e.path.as_str())
        {
            problems.push(json!({
                "instance_path": e.path,
                "keyword": "typed parse",
                "expected": null,
                "description": null,
                "message": scrubbed(provider, &value, (&e.path, "typed parse", &e.message), show_personal_data),
            }));
        }
    }
    if problems.is_empty() {
        Verdict::Valid(event_type.to_owned())
    } else {
        Verdict::Invalid(event_type.to_owned(), problems)
    }
}

/// Runs `validate`.
pub fn run(args: &ValidateArgs) -> Outcome {
    let provider = Provider::from(args.provider);
    let mut worst = 0u8;
    let mut report = Vec::new();
    for file in &args.files {
        let verdict = match crate::read_input(file) {
            Ok(bytes) => judge(provider, &bytes, args.show_personal_data),
            Err(failure) => Verdict::Unusable(failure.message),
        };
        worst = worst.max(verdict.code());
        if args.json {
            report.push(match &verdict {
                Verdict::Valid(t) => {
                    json!({"file": file, "event_type": t, "valid": true, "violations": []})
                }
                Verdict::Invalid(t, problems) => {
                    json!({"file": file, "event_type": t, "valid": false, "violations": problems})
                }
                Verdict::Unusable(why) => {
                    json!({"file": file, "event_type": null, "valid": false, "error": why})
                }
            });
            continue;
        }
        match &verdict {
            Verdict::Valid(t) => anstream::println!(
                "{file}: {provider} {} {}",
                style::paint(BOLD, t),
                style::paint(GOOD, "valid")
            ),
            Verdict::Invalid(t, problems) => {
                anstream::println!(
                    "{file}: {provider} {} {} ({} violation{})",
                    style::paint(BOLD, t),
                    style::paint(BAD, "invalid"),
                    problems.len(),
                    if problems.len() == 1 { "" } else { "s" }
                );
                for p in problems {
                    let path = p["instance_path"].as_str().unwrap_or_default();
                    let path = if path.is_empty() { "(root)" } else { path };
                    let keyword = p["keyword"].as_str().unwrap_or_default();
                    anstream::println!(
                        "  {} [{keyword}] {}",
                        style::paint(BOLD, path),
                        p["message"].as_str().unwrap_or_default()
                    );
                    if !p["expected"].is_null() {
                        anstream::println!("      expected {keyword}: {}", p["expected"]);
                    }
                    if let Some(d) = p["description"].as_str() {
                        anstream::println!("      {}", style::paint(DIM, format!("docs: {d}")));
                    }
                }
            }
            Verdict::Unusable(why) => {
                anstream::println!("{file}: {} {why}", style::paint(BAD, "unusable:"))
            }
        }
    }
    if args.json {
        let text = serde_json::to_string_pretty(&Value::Array(report)).unwrap_or_default();
        println!("{text}");
    }
    Ok(ExitCode::from(worst))
}
