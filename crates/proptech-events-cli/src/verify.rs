//! `verify`: receive a captured delivery with the crate's receiver and, when it is rejected,
//! explain why: the header that is missing or malformed, the exact string that was signed, whether
//! the body's bytes differ from the signed ones, how far the timestamp is outside the window.

use std::process::ExitCode;

use proptech_events::Provider;
use proptech_events::receive::contract::{Encoding, HeaderNames, SecretForm};
use proptech_events::receive::{Delivery, Options, ReceiveError, Receiver, Visit, dispatch};
use serde_json::Value;

use crate::cli::VerifyArgs;
use crate::style::{self, BAD, BOLD, GOOD, WARN};
use crate::{Failure, Outcome};

type Headers = Vec<(String, String)>;

/// The headers a provider's contract needs, for the "missing header" explanation.
fn contract(provider: Provider) -> String {
    let Some(recipe) = &provider.contract().signature else {
        return "no signature headers".to_owned();
    };
    let spell = |names: &HeaderNames, detail: bool| {
        let encoding = match recipe.encoding {
            Encoding::Hex => "hex",
            _ => "base64",
        };
        let mut parts = Vec::new();
        if let Some(id) = names.id {
            parts.push(id.to_owned());
        }
        if let Some(timestamp) = names.timestamp {
            parts.push(if detail {
                format!("{timestamp} (Unix seconds)")
            } else {
                timestamp.to_owned()
            });
        }
        parts.push(match (detail, recipe.separator) {
            (false, _) => names.signature.to_owned(),
            (true, None) => format!("{} ({}<{encoding}>)", names.signature, recipe.prefix),
            (true, Some(_)) => format!(
                "{} ({}<{encoding}> entries)",
                names.signature, recipe.prefix
            ),
        });
        match parts.as_slice() {
            [one] => one.clone(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
            [] => String::new(),
        }
    };
    let mut text = spell(&recipe.headers[0], true);
    for other in &recipe.headers[1..] {
        text.push_str(&format!(", or {}", spell(other, false)));
    }
    text
}

/// `Name: value` → (name, value).
fn parse_header(text: &str) -> Result<(String, String), Failure> {
    match text.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        }
        _ => Err(Failure::usage(format!(
            "--header {text:?} is not `Name: value`; pass each captured header as --header 'Name: value'"
        ))),
    }
}

/// At most 4096 characters of `bytes`, escaped so a newline or a tab shows.
fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let escaped: String = text.escape_debug().collect();
    if escaped.chars().count() <= 4096 {
        return format!("\"{escaped}\"");
    }
    let head: String = escaped.chars().take(4096).collect();
    format!("\"{head}…\" ({} bytes)", bytes.len())
}

/// The usual ways a body is changed between signing and capture, each with what it means.
fn variants(body: &[u8]) -> Vec<(Vec<u8>, String)> {
    let mut out = Vec::new();
    let trimmed = body.trim_ascii_end();
    if trimmed.len() < body.len() {
        out.push((
            trimmed.to_vec(),
            format!(
                "the captured body ends with {} byte(s) of whitespace ({}) that were not signed, \
                 e.g. a newline added by an editor, `echo` or a log line",
                body.len() - trimmed.len(),
                shown(&body[trimmed.len()..])
            ),
        ));
    }
    let mut newline = body.to_vec();
    newline.push(b'\n');
    out.push((
        newline,
        "the signed body ended with a newline that the captured body lacks".to_owned(),
    ));
    if body.windows(2).any(|w| w == b"\r\n") {
        let text = String::from_utf8_lossy(body).replace("\r\n", "\n");
        out.push((
            text.into_bytes(),
            "line endings were changed from \\n to \\r\\n after signing".to_owned(),
        ));
    }
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        if let Ok(compact) = serde_json::to_vec(&value) {
            out.push((
                compact,
                "the JSON was re-serialised: the provider signed its compact form (no spaces), \
                 the captured body is formatted differently; verify the raw bytes, before any JSON parsing"
                    .to_owned(),
            ));
        }
        if let Ok(pretty) = serde_json::to_vec_pretty(&value) {
            out.push((
                pretty,
                "the JSON was re-serialised: the provider signed it pretty-printed (2 spaces), \
                 the captured body is formatted differently; verify the raw bytes, before any JSON parsing"
                    .to_owned(),
            ));
        }
    }
    out.retain(|(v, _)| v != body);
    out
}

/// The first byte offset where `a` and `b` differ.
fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

/// Runs `verify`.
pub fn run(args: &VerifyArgs) -> Outcome {
    let provider = Provider::from(args.provider);
    let headers = args
        .headers
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<Headers, _>>()?;
    let body = crate::read_input(&args.file)?;
    dispatch(
        provider,
        Verify {
            args,
            headers,
            body,
        },
    )
}

/// Verifying a captured delivery with one provider's receiver, and explaining a rejection.
struct Verify<'a> {
    args: &'a VerifyArgs,
    headers: Headers,
    body: Vec<u8>,
}

impl Visit for Verify<'_> {
    type Output = Outcome;

    fn disabled(self, provider: Provider) -> Outcome {
        Err(Failure::usage(format!(
            "this build does not know {provider}"
        )))
    }

    fn visit<R: Receiver>(self) -> Outcome {
        let Verify {
            args,
            headers,
            body,
        } = self;
        explain::<R>(args, headers, body)
    }
}

/// Verifies the delivery with `R` and, when it is rejected, explains why.
fn explain<R: Receiver>(args: &VerifyArgs, headers: Headers, body: Vec<u8>) -> Outcome {
    let provider = R::CONTRACT.provider;
    if R::CONTRACT.signature.is_none() {
        anstream::println!(
            "{} {} documents no signature: there is nothing to verify.",
            style::paint(WARN, "unverifiable:"),
            provider.display_name()
        );
        return match proptech_events::parse(provider, &body) {
            Ok(event) => {
                anstream::println!("The body parses as {} (unverified).", event.event_type());
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => Err(Failure {
                message: format!("the body does not parse: {e}"),
                code: 1,
            }),
        };
    }
    if args.secret.is_empty() {
        return Err(Failure::usage(format!(
            "{provider} signs its deliveries: pass the endpoint's signing secret with --secret"
        )));
    }
    let defaults = Options::default();
    let tolerance = args.tolerance.unwrap_or(defaults.tolerance);
    let options = defaults.with_tolerance(tolerance).with_max_body(usize::MAX);
    let receiver = R::with_secrets(&args.secret)
        .map_err(|e| {
            Failure::usage(format!(
                "{e}; pass the endpoint's signing secret with --secret"
            ))
        })?
        .with_options(options);
    let now = args.now.unwrap_or_else(|| chrono::Utc::now().timestamp());

    let error = match receiver
        .receive_at(&headers, &body, now)
        .map(|d| (d.event_type().to_owned(), d.id().to_owned()))
    {
        Ok((event_type, id)) => {
            anstream::println!(
                "{} {provider} {} (id {id}): the signature matches and the body parses",
                style::paint(GOOD, "verified:"),
                style::paint(BOLD, event_type)
            );
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => e,
    };
    anstream::println!(
        "{} {error} [{}]",
        style::paint(BAD, "rejected:"),
        error.code()
    );
    match &error {
        ReceiveError::Stale { horizon, .. } => {
            anstream::println!(
                "  {provider} replays a delivery for {} days at most, so an older one is refused \
                 even when its signature matches. To check the signature of an old capture, pass \
                 --now with a time within {horizon} s after its createdAt.",
                horizon / 86_400
            );
            return Ok(ExitCode::from(1));
        }
        ReceiveError::MissingHeader { name } => {
            let given: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
            anstream::println!(
                "  The {name} header is missing. A {provider} delivery carries {}.",
                contract(provider)
            );
            anstream::println!(
                "  Headers given: {}.",
                if given.is_empty() {
                    "none".to_owned()
                } else {
                    given.join(", ")
                }
            );
            return Ok(ExitCode::from(1));
        }
        ReceiveError::InvalidHeader { name, reason } => {
            anstream::println!("  The {name} header is malformed: {reason}.");
            anstream::println!("  A {provider} delivery carries {}.", contract(provider));
            return Ok(ExitCode::from(1));
        }
        _ => {}
    }
    // The headers are readable: explain the signature, then the window.
    let check = match receiver.check_signature(&headers, &body) {
        Ok(check) => check,
        Err(e) => {
            anstream::println!("  {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let signed = check.signed_content(&body);
    anstream::println!(
        "  signed content checked ({} bytes): {}",
        signed.len(),
        shown(&signed)
    );
    if check.signed_prefix.is_empty() {
        anstream::println!("  ({provider} signs the body alone, keyed with the secret as given)");
    } else {
        anstream::println!(
            "  (the prefix {} then the body's {} bytes)",
            shown(check.signed_prefix.as_bytes()),
            body.len()
        );
    }
    if check.matches {
        anstream::println!(
            "  The signature in {} matches these bytes under the given secret.",
            check.header
        );
    } else {
        anstream::println!(
            "  The signature in {} does not match these bytes under the given secret.",
            check.header
        );
        let mut explained = false;
        for (variant, meaning) in variants(&body) {
            if receiver
                .check_signature(&headers, &variant)
                .is_ok_and(|c| c.matches)
            {
                anstream::println!(
                    "  {} the body's bytes differ from what was signed: {meaning}.",
                    style::paint(WARN, "cause:")
                );
                anstream::println!(
                    "  The signed body is {} bytes, the captured one {}; they first differ at byte {}.",
                    variant.len(),
                    body.len(),
                    first_difference(&variant, &body)
                );
                anstream::println!(
                    "  What was signed: {}",
                    shown(&check.signed_content(&variant))
                );
                explained = true;
                break;
            }
        }
        let literal = R::CONTRACT
            .signature
            .as_ref()
            .is_some_and(|r| r.secret == SecretForm::Literal);
        if !explained && literal {
            let other = match args.secret[0].strip_prefix("whsec_") {
                Some(bare) => bare.to_owned(),
                None => format!("whsec_{}", args.secret[0]),
            };
            if let Ok(r) = R::with_secrets([&other])
                && r.check_signature(&headers, &body).is_ok_and(|c| c.matches)
            {
                anstream::println!(
                    "  {} {} keys the HMAC with the secret string exactly as it returned it, \
                     whsec_ prefix included: the signature matches with the prefix {}.",
                    style::paint(WARN, "cause:"),
                    provider.display_name(),
                    if other.starts_with("whsec_") {
                        "added"
                    } else {
                        "removed"
                    }
                );
                explained = true;
            }
        }
        if !explained {
            anstream::println!(
                "  {} no given secret signs this body or its usual re-serialisations (trailing \
                 newline, compact or pretty JSON, line endings): check that the secret is this \
                 endpoint's current signing secret and that the body is the raw bytes received.",
                style::paint(WARN, "cause:")
            );
        }
    }
    if let Some(timestamp) = check.timestamp {
        // Any two i64 clocks: abs_diff cannot overflow where `now - timestamp` can.
        let distance = now.abs_diff(timestamp);
        let when = chrono::DateTime::from_timestamp(timestamp, 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(|| "out of range".to_owned());
        let side = if now >= timestamp { "before" } else { "after" };
        if distance > tolerance {
            anstream::println!(
                "  {} the timestamp {timestamp} ({when}) is {distance} s {side} now ({now}); \
                 the window is ±{tolerance} s, so it is outside by {} s. Send a fresh delivery \
                 (`proptech-events send`), or pass --now {timestamp} to check the signature of an old capture.",
                style::paint(WARN, "window:"),
                distance - tolerance
            );
        } else {
            anstream::println!(
                "  The timestamp {timestamp} ({when}) is {distance} s {side} now: inside the ±{tolerance} s window."
            );
        }
    }
    Ok(ExitCode::from(1))
}
