//! `sign`: the headers a provider sends with a body, made with the crate's signers.

use std::process::ExitCode;

use proptech_events::Provider;
use proptech_events::receive::{sign_lavanda, sign_repull, sign_valara};
use serde_json::Value;

use crate::cli::SignArgs;
use crate::{Failure, Outcome};

/// The headers `provider` sends with `body`: the content type, then the contract's headers.
///
/// Valara's id and timestamp default to the body's `event_id` and `timestamp` (its receiver
/// requires them equal); Lavanda's to a fresh `msg_` id and `now`.
pub fn headers(
    provider: Provider,
    secret: Option<&str>,
    id: Option<&str>,
    timestamp: Option<i64>,
    body: &[u8],
) -> Result<Vec<(String, String)>, Failure> {
    let mut out = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    let need_secret = || {
        secret.ok_or_else(|| {
            Failure::usage(format!(
                "{provider} signs its deliveries: pass --secret with the endpoint's signing secret"
            ))
        })
    };
    match provider {
        Provider::Valara => {
            let secret = need_secret()?;
            let head: Option<Value> = serde_json::from_slice(body).ok();
            let member = |name: &str| head.as_ref().and_then(|h| h.get(name)).cloned();
            let timestamp = match timestamp.or_else(|| member("timestamp")?.as_i64()) {
                Some(t) => t,
                None => {
                    return Err(Failure::usage(
                        "the body has no integer `timestamp`: pass --timestamp (Valara signs \"{timestamp}.{body}\" and mirrors it in the body)",
                    ));
                }
            };
            let id = match id
                .map(str::to_owned)
                .or_else(|| member("event_id")?.as_str().map(str::to_owned))
            {
                Some(id) => id,
                None => {
                    return Err(Failure::usage(
                        "the body has no `event_id`: pass --id (Valara mirrors it in X-Webhook-Event-Id)",
                    ));
                }
            };
            out.push((
                "X-Webhook-Signature".into(),
                sign_valara(secret, timestamp, body),
            ));
            out.push(("X-Webhook-Timestamp".into(), timestamp.to_string()));
            out.push(("X-Webhook-Event-Id".into(), id));
        }
        Provider::Repull => {
            out.push((
                "X-Repull-Signature".into(),
                sign_repull(need_secret()?, body),
            ));
        }
        Provider::Lavanda => {
            let secret = need_secret()?;
            let id = id.map_or_else(
                || format!("msg_{}", uuid::Uuid::new_v4().simple()),
                str::to_owned,
            );
            let timestamp = timestamp.unwrap_or_else(|| chrono::Utc::now().timestamp());
            let signature = sign_lavanda(&[secret], &id, timestamp, body).map_err(|e| {
                Failure::usage(format!(
                    "{e}; a Lavanda (Svix) secret looks like whsec_<base64>"
                ))
            })?;
            out.push(("webhook-id".into(), id));
            out.push(("webhook-timestamp".into(), timestamp.to_string()));
            out.push(("webhook-signature".into(), signature));
        }
        Provider::Everreal => {}
    }
    Ok(out)
}

/// Runs `sign`.
pub fn run(args: &SignArgs) -> Outcome {
    let body = crate::read_input(&args.file)?;
    let provider = Provider::from(args.provider);
    for (name, value) in headers(
        provider,
        Some(&args.secret),
        args.id.as_deref(),
        args.timestamp,
        &body,
    )? {
        println!("{name}: {value}");
    }
    if provider == Provider::Everreal {
        anstream::eprintln!(
            "note: EverReal documents no signature; its deliveries carry none to verify"
        );
    }
    Ok(ExitCode::SUCCESS)
}
