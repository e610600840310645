//! `sign`: the headers a provider sends with a body, made with the crate's signers.

use std::process::ExitCode;

use proptech_events::Provider;
use proptech_events::receive::contract::SecretForm;
use proptech_events::receive::{Receiver, Visit, dispatch};
use serde_json::Value;

use crate::cli::SignArgs;
use crate::{Failure, Outcome};

/// The headers `provider` sends with `body`: the content type, then the contract's headers.
///
/// An id or timestamp the body also carries (a contract's id or timestamp member) defaults to the
/// body's, since the receiver requires them equal; otherwise a fresh `msg_` id and `now`.
pub fn headers(
    provider: Provider,
    secret: Option<&str>,
    id: Option<&str>,
    timestamp: Option<i64>,
    body: &[u8],
) -> Result<Vec<(String, String)>, Failure> {
    dispatch(
        provider,
        Sign {
            secret,
            id,
            timestamp,
            body,
        },
    )
}

/// Signing a body as one provider's contract says.
struct Sign<'a> {
    secret: Option<&'a str>,
    id: Option<&'a str>,
    timestamp: Option<i64>,
    body: &'a [u8],
}

impl Visit for Sign<'_> {
    type Output = Result<Vec<(String, String)>, Failure>;

    fn visit<R: Receiver>(self) -> Self::Output {
        let contract = R::CONTRACT;
        let provider = contract.provider;
        let mut out = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        let Some(recipe) = &contract.signature else {
            return Ok(out);
        };
        let secret = self.secret.ok_or_else(|| {
            Failure::usage(format!(
                "{provider} signs its deliveries: pass --secret with the endpoint's signing secret"
            ))
        })?;
        let head: Option<Value> = serde_json::from_slice(self.body).ok();
        let member = |name: &str| head.as_ref().and_then(|h| h.get(name)).cloned();
        let names = &recipe.headers[0];
        let timestamp = match (self.timestamp, contract.timestamp_member) {
            (Some(t), _) => t,
            (None, Some(field)) => member(field).and_then(|v| v.as_i64()).ok_or_else(|| {
                Failure::usage(format!(
                    "the body has no integer `{field}`: pass --timestamp ({provider} signs it and mirrors it in the body)"
                ))
            })?,
            (None, None) => chrono::Utc::now().timestamp(),
        };
        let id = match (self.id, contract.id_member) {
            (Some(id), _) => id.to_owned(),
            (None, Some(field)) if names.id.is_some() => member(field)
                .and_then(|v| v.as_str().map(str::to_owned))
                .ok_or_else(|| {
                    Failure::usage(format!(
                        "the body has no `{field}`: pass --id ({provider} mirrors it in {})",
                        names.id.unwrap_or_default()
                    ))
                })?,
            (None, _) => format!("msg_{}", uuid::Uuid::new_v4().simple()),
        };
        let signed = R::sign(&[secret], &id, timestamp, self.body).map_err(|e| {
            let form = match recipe.secret {
                SecretForm::WhsecBase64 => "whsec_<base64>",
                _ => "the string the provider gave",
            };
            Failure::usage(format!(
                "{e}; a {} secret looks like {form}",
                provider.display_name()
            ))
        })?;
        out.extend(signed.into_iter().map(|(n, v)| (n.to_owned(), v)));
        Ok(out)
    }

    fn disabled(self, provider: Provider) -> Self::Output {
        Err(Failure::usage(format!(
            "this build does not know {provider}"
        )))
    }
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
    if provider.contract().signature.is_none() {
        anstream::eprintln!(
            "note: {} documents no signature; its deliveries carry none to verify",
            provider.display_name()
        );
    }
    Ok(ExitCode::SUCCESS)
}
