//! Signature header values made the way each provider's contract says, through the receivers'
//! own `Receiver::signature`: shorthands for the tests, which name providers.

use proptech_events::receive::{LavandaReceiver, Receiver, RepullReceiver, ValaraReceiver};

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
