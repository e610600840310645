//! What the fuzz targets share: the fixed secrets and clock, the layout of their inputs, the
//! signature oracle (each provider's documented recipe, computed here without the crate's
//! receivers) and the lossless comparison of a delivery with its event serialised again.
//!
//! Input layouts (the seeds `cargo xtask fuzz` writes follow them):
//!
//! - `parse`, `differential`: one provider byte ([`provider`]), then the body.
//! - `receive`: one provider byte, then header lines `Name: value` (any bytes but a newline), an
//!   empty line, and the body ([`split_request`]).
//! - `receive_signed`: [`SIGNED_PARAMS`] parameter bytes (provider, clock skew, key, tampering,
//!   body limit, replay), then the body.
//! - `compat`: a schema path (`repull/events/listing.created.json`), a newline, then the schema.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use proptech_conformance::judge::Typed;
use proptech_events::Provider;
use serde_json::value::RawValue;
use sha2::Sha256;

/// The receivers' clock (Unix seconds), fixed so a crash reproduces.
pub const NOW: i64 = 1_800_000_000;

/// The timestamp window every timestamped provider documents: ±5 minutes.
pub const TOLERANCE: i64 = 300;

/// Valara's secrets: the current one and the one being rotated out. Each is used as given.
pub const VALARA_SECRETS: [&str; 2] = ["whsec_fuzz_valara_current", "whsec_fuzz_valara_previous"];

/// How old a Repull delivery may still be sent, in seconds, stated here apart from the crate's
/// contract so the oracle does not read the answer from the code under test: "You can also
/// manually replay any delivery from the last 7 days".
pub const REPLAY_HORIZON: u64 = 7 * 86_400;

/// Repull's secrets, used as given (the `whsec_` prefix is part of the key).
pub const REPULL_SECRETS: [&str; 2] = ["whsec_fuzz_repull_current", "whsec_fuzz_repull_previous"];

/// Lavanda's Standard Webhooks secrets, `whsec_<base64>`.
pub const LAVANDA_SECRETS: [&str; 2] = [
    "whsec_ZnV6emluZy1sYXZhbmRhLWN1cnJlbnQta2V5LTAwMDE=",
    "whsec_ZnV6emluZy1sYXZhbmRhLXByZXZpb3VzLWtleS0wMDI=",
];

/// A secret no receiver holds: what an attacker who guessed wrong signs with.
pub const FOREIGN_SECRET: &str = "whsec_ZnV6emluZy1ub2JvZHktaG9sZHMtdGhpcy1rZXk=";

/// How many parameter bytes precede the body in a `receive_signed` input.
pub const SIGNED_PARAMS: usize = 6;

/// The provider a selector byte names: its value modulo 4 in the order of [`Provider::ALL`]
/// (Valara, Repull, Lavanda, EverReal; the seeds use `'0'` to `'3'`).
pub fn provider(selector: u8) -> Provider {
    Provider::ALL[usize::from(selector) % Provider::ALL.len()]
}

/// Request headers as a receiver gets them: names and raw values, repeats and order kept.
pub type RawHeaders = Vec<(String, Vec<u8>)>;

/// Splits a `receive` input (after its provider byte) into header lines and body, at the first
/// empty line. A line is `Name: value` (one space after the colon is dropped); a line without a
/// colon is a name with an empty value. Without an empty line, everything is headers.
pub fn split_request(data: &[u8]) -> (RawHeaders, &[u8]) {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &data[data.len()..]),
    };
    let headers = head
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| match line.iter().position(|b| *b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                let value = value.strip_prefix(b" ").unwrap_or(value);
                (
                    String::from_utf8_lossy(&line[..colon]).into_owned(),
                    value.to_vec(),
                )
            }
            None => (String::from_utf8_lossy(line).into_owned(), Vec::new()),
        })
        .collect();
    (headers, body)
}

/// HMAC-SHA256 of the concatenated `parts` under `key`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The key of a Standard Webhooks secret: the base64 after `whsec_`.
pub fn lavanda_key(secret: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("the fuzz secrets are base64")
}

/// Every value of the headers called `name`, in any case, in order.
fn all<'h>(headers: &'h [(String, Vec<u8>)], name: &'h str) -> impl Iterator<Item = &'h [u8]> {
    headers
        .iter()
        .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

/// Whether the request carries a Valara signature, under one of `secrets`, of a timestamp header
/// reading `timestamp` and exactly `body`: `X-Webhook-Signature: sha256=<hex>`, HMAC-SHA256 of
/// `"{X-Webhook-Timestamp}.{body}"` (the header's text as sent).
pub fn valara_signed(headers: &RawHeaders, body: &[u8], timestamp: i64, secrets: &[&str]) -> bool {
    all(headers, "X-Webhook-Timestamp")
        .filter(|t| std::str::from_utf8(t).ok().and_then(|t| t.parse().ok()) == Some(timestamp))
        .any(|t| {
            all(headers, "X-Webhook-Signature").any(|sig| {
                let Some(tag) = sig
                    .strip_prefix(b"sha256=")
                    .and_then(|h| hex::decode(h).ok())
                else {
                    return false;
                };
                secrets
                    .iter()
                    .any(|s| hmac_sha256(s.as_bytes(), &[t, b".", body])[..] == tag[..])
            })
        })
}

/// Whether the request carries a Repull signature of exactly `body` under one of `secrets`:
/// `X-Repull-Signature: <hex>`, HMAC-SHA256 of the body keyed with the secret string.
pub fn repull_signed(headers: &RawHeaders, body: &[u8], secrets: &[&str]) -> bool {
    all(headers, "X-Repull-Signature").any(|sig| {
        let Ok(tag) = hex::decode(sig) else {
            return false;
        };
        secrets
            .iter()
            .any(|s| hmac_sha256(s.as_bytes(), &[body])[..] == tag[..])
    })
}

/// Whether the request carries a Standard Webhooks signature, under one of `secrets`, of message
/// `id` at `timestamp` with exactly `body`, in either spelling of the headers (`webhook-*`,
/// `svix-*`): a `v1,<base64>` entry of the signature header, HMAC-SHA256 of
/// `"{id}.{timestamp}.{body}"` keyed with the secret's base64 part.
pub fn lavanda_signed(
    headers: &RawHeaders,
    body: &[u8],
    id: &str,
    timestamp: i64,
    secrets: &[&str],
) -> bool {
    use base64::Engine as _;
    ["webhook-", "svix-"].iter().any(|prefix| {
        let (id_name, ts_name, sig_name) = (
            format!("{prefix}id"),
            format!("{prefix}timestamp"),
            format!("{prefix}signature"),
        );
        let id_sent = all(headers, &id_name).any(|v| v == id.as_bytes());
        id_sent
            && all(headers, &ts_name)
                .filter(|t| {
                    std::str::from_utf8(t).ok().and_then(|t| t.parse().ok()) == Some(timestamp)
                })
                .any(|t| {
                    all(headers, &sig_name).any(|sig| {
                        sig.split(|b| *b == b' ').any(|entry| {
                            let Some(tag) = entry.strip_prefix(b"v1,").and_then(|b| {
                                base64::engine::general_purpose::STANDARD.decode(b).ok()
                            }) else {
                                return false;
                            };
                            secrets.iter().any(|s| {
                                hmac_sha256(&lavanda_key(s), &[id.as_bytes(), b".", t, b".", body])
                                    [..]
                                    == tag[..]
                            })
                        })
                    })
                })
    })
}

/// What the typed parse made of `body`, as the differential judge reads it.
pub fn typed(provider: Provider, body: &[u8]) -> Typed {
    match proptech_events::parse(provider, body) {
        Ok(event) => {
            let back = serde_json::to_value(&event).expect("an event serialises");
            if event.unknown().is_some() {
                Typed::Unknown { back }
            } else {
                Typed::Known { back }
            }
        }
        Err(e) => Typed::Rejected(e.to_string()),
    }
}

/// What the validated route (`receive::parse_validated`, a receiver's route with `validate`)
/// made of `body`: the event serialised again, or the error's message.
pub fn validated(provider: Provider, body: &[u8]) -> Result<serde_json::Value, String> {
    proptech_events::receive::parse_validated(provider, body)
        .map(|event| serde_json::to_value(&event).expect("an event serialises"))
        .map_err(|e| e.to_string())
}

/// Whether two JSON texts are equal as JSON values, where a number is compared as a
/// `serde_json::Value` number when both sides parse as one (`1.50` and `1.5` are equal, `1` and
/// `1.0` are not) and as text otherwise (`1e400`, which no `f64` holds, equals only `1e400`).
/// Member order does not matter; a repeated member counts with its last value, as in a
/// `serde_json::Value`. `Err` says where they differ.
pub fn same_json(a: &str, b: &str) -> Result<(), String> {
    fn raw(text: &str) -> Result<&RawValue, String> {
        serde_json::from_str(text).map_err(|e| format!("not JSON ({e}): {text}"))
    }
    fn same(a: &RawValue, b: &RawValue, at: &str) -> Result<(), String> {
        let (ta, tb) = (a.get(), b.get());
        let differ = || Err(format!("at {at:?}: sent {ta}, back {tb}"));
        match (ta.as_bytes().first(), tb.as_bytes().first()) {
            (Some(b'{'), Some(b'{')) => {
                let oa: BTreeMap<String, &RawValue> =
                    serde_json::from_str(ta).map_err(|e| e.to_string())?;
                let ob: BTreeMap<String, &RawValue> =
                    serde_json::from_str(tb).map_err(|e| e.to_string())?;
                if !oa.keys().eq(ob.keys()) {
                    return differ();
                }
                for (k, va) in &oa {
                    let k_at = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                    same(va, ob[k], &k_at)?;
                }
                Ok(())
            }
            (Some(b'['), Some(b'[')) => {
                let aa: Vec<&RawValue> = serde_json::from_str(ta).map_err(|e| e.to_string())?;
                let ab: Vec<&RawValue> = serde_json::from_str(tb).map_err(|e| e.to_string())?;
                if aa.len() != ab.len() {
                    return differ();
                }
                for (i, (va, vb)) in aa.iter().zip(&ab).enumerate() {
                    same(va, vb, &format!("{at}/{i}"))?;
                }
                Ok(())
            }
            (Some(b'"'), Some(b'"')) => {
                let sa: String = serde_json::from_str(ta).map_err(|e| e.to_string())?;
                let sb: String = serde_json::from_str(tb).map_err(|e| e.to_string())?;
                if sa == sb { Ok(()) } else { differ() }
            }
            (Some(x), Some(y))
                if (x == &b'-' || x.is_ascii_digit()) && (y == &b'-' || y.is_ascii_digit()) =>
            {
                match (
                    serde_json::from_str::<serde_json::Number>(ta),
                    serde_json::from_str::<serde_json::Number>(tb),
                ) {
                    (Ok(na), Ok(nb)) if na == nb => Ok(()),
                    (Ok(_), Ok(_)) => differ(),
                    _ if ta == tb => Ok(()),
                    _ => differ(),
                }
            }
            _ if ta == tb => Ok(()),
            _ => differ(),
        }
    }
    same(raw(a)?, raw(b)?, "")
}

/// The top-level members of a JSON object, every occurrence kept in order, their values as sent.
#[derive(Debug, Default)]
pub struct Members(pub Vec<(String, Box<RawValue>)>);

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Members, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    out.push(entry);
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl Members {
    /// The members of `body`, if it is a JSON object.
    pub fn of(body: &[u8]) -> Option<Self> {
        serde_json::from_slice(body).ok()
    }

    /// The member `name`, if it occurs exactly once.
    fn once(&self, name: &str) -> Option<&RawValue> {
        let mut found = self.0.iter().filter(|(k, _)| k == name);
        let first = found.next()?;
        found.next().is_none().then_some(&*first.1)
    }

    /// How often the member `name` occurs.
    pub fn count(&self, name: &str) -> usize {
        self.0.iter().filter(|(k, _)| k == name).count()
    }

    /// The member `name` if it occurs exactly once, as its JSON text.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.once(name).map(RawValue::get)
    }

    /// The member `name` if it occurs exactly once and is a string.
    pub fn str(&self, name: &str) -> Option<String> {
        serde_json::from_str(self.once(name)?.get()).ok()
    }

    /// The member `name` if it occurs exactly once and is an integer that fits an `i64`.
    pub fn i64(&self, name: &str) -> Option<i64> {
        serde_json::from_str(self.once(name)?.get()).ok()
    }
}
