//! `listen`: the example receiver as a command, for local development. It serves the crate's axum
//! routes (verify, then process once inside a claim in an in-memory store) within the server
//! limits of `proptech_events::receive::server` (header and body deadlines, a connection cap),
//! and prints each delivery, each duplicate and each rejection, every value taken from a delivery
//! escaped so that a delivery cannot print a line of its own.

use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use proptech_events::Provider;
use proptech_events::receive::server::Limits;
use proptech_events::receive::{
    Delivery, Escaped, IdempotencyStore, InMemoryStore, Receiver, SecretError, Visit, dispatch,
};
use serde_json::Value;

use crate::cli::ListenArgs;
use crate::style::{self, BAD, BOLD, DIM, GOOD, WARN};
use crate::{Failure, Outcome};

/// The test secret of `provider`'s contract: the one its docs (or the Standard Webhooks
/// specification) sign their test vector with, or one of the documented form.
pub fn test_secret(provider: Provider) -> Option<&'static str> {
    provider.contract().test_secret
}

/// The environment variable holding a provider's secrets.
fn env_name(provider: Provider) -> String {
    format!("{}_SECRET", provider.as_str().to_uppercase())
}

/// The secrets of `provider`: `--secret provider=...` flags, else its environment variable
/// (comma-separated), else the documented test secret with `--test-secrets`.
fn secrets(args: &ListenArgs, provider: Provider) -> Result<Vec<String>, Failure> {
    let mut from_flags = Vec::new();
    for flag in &args.secrets {
        let Some((name, secret)) = flag.split_once('=') else {
            return Err(Failure::usage(format!(
                "--secret {flag:?} is not provider=secret; pass e.g. --secret {provider}=<its secret>"
            )));
        };
        let named: Provider = name
            .parse()
            .map_err(|e: proptech_events::UnknownProvider| Failure::usage(e.to_string()))?;
        if named == provider {
            from_flags.push(secret.to_owned());
        }
    }
    if !from_flags.is_empty() {
        return Ok(from_flags);
    }
    if let Ok(value) = std::env::var(env_name(provider))
        && !value.is_empty()
    {
        return Ok(value.split(',').map(str::to_owned).collect());
    }
    if args.test_secrets
        && let Some(secret) = test_secret(provider)
    {
        return Ok(vec![secret.to_owned()]);
    }
    Err(Failure::usage(format!(
        "no secret for {provider}: pass --secret {provider}=<secret>, set {}, or pass --test-secrets for the documented test secrets (or --provider to serve fewer providers)",
        env_name(provider)
    )))
}

fn secret_failure(provider: Provider) -> impl Fn(SecretError) -> Failure {
    move |e| Failure::usage(format!("the {provider} secret cannot be used: {e}"))
}

/// `json` (pretty-printed) with every character a terminal may act on written as a JSON `\u`
/// escape: serde_json escapes only C0 controls, and a C1 control (U+009B starts an escape
/// sequence, U+0085 a line), a line or paragraph separator or a bidirectional override from a
/// delivery would reach the terminal raw. The result is still the same JSON.
fn terminal_safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        let unsafe_char = (c.is_control() && c != '\n')
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c);
        if unsafe_char {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Prints a processed delivery, then answers 200. The body is pretty-printed JSON with every
/// character a terminal may act on escaped, and (unless `show_personal_data`) every member its
/// schema marks as personal data redacted; the event type and id are escaped.
fn print_delivery(
    provider: Provider,
    delivery: (&str, &str),
    body: &[u8],
    note: &str,
    show_personal_data: bool,
) {
    let (event_type, id) = delivery;
    let value = if show_personal_data {
        serde_json::from_slice::<Value>(body).ok()
    } else {
        // The receiver parsed the delivery already: this parse succeeds; were it ever not to,
        // nothing of the body is shown.
        Some(proptech_events::parse(provider, body).map_or_else(
            |_| Value::String(format!("[body not shown: {} bytes]", body.len())),
            |event| event.redacted(),
        ))
    };
    let pretty = value
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .map(|json| terminal_safe_json(&json))
        .unwrap_or_else(|| Escaped(&String::from_utf8_lossy(body)).to_string());
    anstream::println!(
        "{} {provider} {} id {} {}\n{pretty}",
        style::paint(GOOD, "received"),
        style::paint(BOLD, Escaped(event_type).to_string()),
        Escaped(id),
        style::paint(DIM, note)
    );
}

fn processed(id: &str, event_type: &str) -> Result<Response, String> {
    let body = serde_json::json!({ "processed": id, "event_type": event_type }).to_string();
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Prints what the routes answered without running the handler: a duplicate or a rejection.
async fn log_answers(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let provider = path.rsplit('/').next().unwrap_or_default();
    let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let provider = Escaped(provider);
    if let Some(key) = answer.get("duplicate") {
        let key = Escaped(key.as_str().unwrap_or_default());
        anstream::println!(
            "{} {provider} \"{key}\": already processed, answered 200 without running the handler",
            style::paint(WARN, "duplicate")
        );
    } else if !parts.status.is_success() {
        let code = answer.get("error").and_then(Value::as_str).unwrap_or("");
        let message = answer.get("message").and_then(Value::as_str).map_or_else(
            || String::from_utf8_lossy(&bytes).into_owned(),
            str::to_owned,
        );
        anstream::println!(
            "{} {provider} {} {}: {}",
            style::paint(BAD, "rejected"),
            parts.status.as_u16(),
            Escaped(code),
            Escaped(&message)
        );
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The route of one provider, `/webhooks/<provider>`: its receiver (built from its secrets, or
/// unverified for a provider that signs nothing), each delivery printed and acknowledged.
struct Route<'a> {
    args: &'a ListenArgs,
    store: &'a Arc<dyn IdempotencyStore>,
}

impl Visit for Route<'_> {
    type Output = Result<Router, Failure>;

    fn visit<R: Receiver>(self) -> Self::Output {
        let provider = R::CONTRACT.provider;
        let (receiver, note) = match R::unverified() {
            Some(receiver) => (
                receiver,
                format!(
                    "(unverified: {} documents no signature)",
                    provider.display_name()
                ),
            ),
            None => (
                R::with_secrets(secrets(self.args, provider)?).map_err(secret_failure(provider))?,
                "(verified)".to_owned(),
            ),
        };
        let receiver = receiver.with_store(Arc::clone(self.store));
        let show = self.args.show_personal_data;
        let route = proptech_events::receive::axum::route::<R, _, _, _, _, _>(
            move |_: Arc<R>, d: R::Delivery, body: Bytes| {
                let note = note.clone();
                async move {
                    let event_type = d.event_type();
                    print_delivery(provider, (event_type, d.id()), &body, &note, show);
                    processed(d.id(), event_type)
                }
            },
        );
        Ok(Router::new()
            .route(&format!("/webhooks/{provider}"), route)
            .with_state(Arc::new(receiver)))
    }

    fn disabled(self, provider: Provider) -> Self::Output {
        Err(Failure::usage(format!(
            "this build does not know {provider}"
        )))
    }
}

/// The routes of the chosen providers.
fn router(args: &ListenArgs, providers: &[Provider]) -> Result<Router, Failure> {
    let store: Arc<dyn IdempotencyStore> =
        Arc::new(InMemoryStore::new(args.store_bytes, args.store_bytes / 4));
    let mut app = Router::new();
    for &provider in providers {
        app = app.merge(dispatch(
            provider,
            Route {
                args,
                store: &store,
            },
        )?);
    }
    Ok(app.layer(axum::middleware::from_fn(log_answers)))
}

/// Runs `listen` until Ctrl-C.
pub fn run(args: &ListenArgs) -> Outcome {
    let providers: Vec<Provider> = if args.providers.is_empty() {
        Provider::ALL.to_vec()
    } else {
        args.providers.iter().map(|p| Provider::from(*p)).collect()
    };
    let app = router(args, &providers)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.addr)
            .await
            .map_err(|e| {
                Failure::usage(format!(
                    "cannot listen on {}: {e}; pass another --addr (port 0 picks a free one)",
                    args.addr
                ))
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::usage(e.to_string()))?;
        let names: Vec<String> = providers
            .iter()
            .map(|p| format!("http://{addr}/webhooks/{p}"))
            .collect();
        anstream::println!(
            "listening on http://{addr} ({}); Ctrl-C stops",
            names.join(", ")
        );
        let limits = Limits::default()
            .with_header_timeout(std::time::Duration::from_secs(args.header_timeout))
            .with_body_timeout(std::time::Duration::from_secs(args.body_timeout))
            .with_max_connections(args.max_connections);
        proptech_events::receive::server::serve(listener, app, limits, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| Failure::usage(format!("the server stopped: {e}")))?;
        Ok(ExitCode::SUCCESS)
    })
}

#[cfg(test)]
mod tests {
    use super::terminal_safe_json;

    #[test]
    fn what_a_terminal_acts_on_is_escaped_and_the_json_is_unchanged() {
        let value = serde_json::json!({"id": "a\u{9b}[2J\u{85}b\u{2028}c\u{202e}d", "n": 1});
        let pretty = serde_json::to_string_pretty(&value).expect("json");
        let safe = terminal_safe_json(&pretty);
        assert!(
            safe.chars()
                .all(|c| c == '\n' || !(c.is_control() || ('\u{2028}'..='\u{202e}').contains(&c))),
            "{safe:?}"
        );
        assert!(safe.contains(r"\u009b[2J\u0085b\u2028c\u202ed"), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, value);
    }
}
