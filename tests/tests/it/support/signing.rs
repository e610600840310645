//! Signature header values made the way each provider's contract says, through the receivers'
//! own `Receiver::signature`: shorthands for the tests, which name providers.

use proptech_events::Provider;
use proptech_events::receive::{LavandaReceiver, Receiver, RepullReceiver, ValaraReceiver};
use serde_json::Value;

/// The `X-Webhook-Signature` value Valara sends for `body` at `timestamp`.
pub fn sign_valara(secret: &str, timestamp: i64, body: &[u8]) -> String {
    ValaraReceiver::signature(&[secret], "", timestamp, body).expect("any secret signs")
}

/// The `X-Repull-Signature` value Repull sends for `body`.
pub fn sign_repull(secret: &str, body: &[u8]) -> String {
    RepullReceiver::signature(&[secret], "", 0, body).expect("any secret signs")
}

/// The `webhook-signature` value for `body`: one `v1,<base64>` entry per secret.
pub fn sign_lavanda<S: AsRef<str>>(
    secrets: &[S],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, proptech_events::receive::SecretError> {
    LavandaReceiver::signature(secrets, id, timestamp, body)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `body` as `provider` would deliver it now: fresh id (the `n`th), nonce and timestamps, signed
/// with the documented test secret.
pub fn delivered_now(provider: Provider, body: &[u8], n: u64) -> (Vec<(String, String)>, Vec<u8>) {
    let contract = provider.contract();
    let mut value: Value = serde_json::from_slice(body).expect("JSON");
    let ulid = format!("0{n:025}");
    let id = match contract.id_member {
        Some(member) if value[member].as_str().is_some_and(|s| s.len() == 36) => {
            format!("00000000-0000-4000-8000-{n:012x}")
        }
        Some(_) => format!("evt_{ulid}"),
        None => format!("msg_{ulid}"),
    };
    if let Some(member) = contract.id_member {
        value[member] = Value::from(id.clone());
    }
    if let Some(nonce) = &contract.nonce {
        value[nonce.member] = Value::from(ulid.clone());
    }
    let ts = now();
    if let Some(member) = contract.timestamp_member {
        value[member] = Value::from(ts);
    }
    if let Some(horizon) = &contract.horizon {
        value[horizon.member] = Value::from(
            chrono::Utc::now()
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string(),
        );
    }
    let body = serde_json::to_vec(&value).expect("serialises");
    let headers = match contract.test_secret {
        Some(secret) => contract
            .sign(&[secret], &id, ts, &body)
            .expect("the test secret signs")
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        None => Vec::new(),
    };
    (headers, body)
}
