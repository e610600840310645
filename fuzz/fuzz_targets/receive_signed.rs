//! Each provider's receiver on a mutated body that is signed correctly (or tampered with in a
//! known way), so the fuzzer gets past the signature check to the size and time checks, the
//! envelope checks, the typed parse and the dedupe store.
//!
//! Input: `SIGNED_PARAMS` parameter bytes read with `arbitrary` (see `Input`), then the body.
//!
//! Invariants, beyond "no panic" and libFuzzer's time and memory limits:
//! - a body over the limit is `BodyTooLarge`, whatever else is wrong;
//! - a tampered request (body changed after signing, another timestamp or id than signed, a
//!   secret the receiver does not hold) is never `Ok`, and no `Ok` lacks a signature, computed here
//!   from the documented recipe, of exactly these bytes;
//! - a request signed with a held secret (the current or the previous one), within the window,
//!   whose envelope members occur once with their documented types, is `Ok` exactly when the
//!   typed parse accepts the body, and then carries that event, the id and the timestamp sent;
//! - its dedupe keys (Valara: nonce and event id; others: the delivery id) claim, refuse a second
//!   claimer, complete only for their claimer, and then report the delivery done, also for a
//!   replay of the same request.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use proptech_events::receive::{
    Claim, ClaimToken, Delivery, ENTRY_BYTES, EverrealReceiver, InMemoryStore, LavandaReceiver,
    Options, Partition, ReceiveError, RepullReceiver, StoreKey, ValaraReceiver,
};
use proptech_events::{AnyEvent, Provider};
use proptech_events_fuzz::*;

/// The body: every byte after the parameters.
struct Body(Vec<u8>);

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

impl<'a> Arbitrary<'a> for Body {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let len = u.arbitrary_len::<u8>()?;
        Ok(Body(u.bytes(len)?.to_vec()))
    }
    fn arbitrary_take_rest(u: Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Body(u.take_rest().to_vec()))
    }
}

/// One byte per parameter (`SIGNED_PARAMS` of them), then the body. All zero: the provider's
/// current secret, no skew, no tampering, the default limit, no replay.
#[derive(Arbitrary, Debug)]
struct Input {
    /// Which receiver (`provider`).
    provider: u8,
    /// The receiver's clock minus the delivery's timestamp, in steps of 5 s (±640 s).
    skew: i8,
    /// Which secret signs, modulo 3: the current one, the previous one (a rotation), or one the
    /// receiver does not hold.
    key: u8,
    /// How the request is altered after signing, modulo 8 (see `Tamper`); the rest picks the body
    /// byte to change.
    tamper: u8,
    /// The body limit: 0 the default (1 MiB), else this many times 64 bytes.
    limit: u8,
    /// Deliver the same request again after the first was processed.
    replay: bool,
    /// The body.
    body: Body,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tamper {
    /// Sent as signed.
    None,
    /// One body byte changed after signing.
    Body,
    /// The signature is over another timestamp than the one sent (Repull: over another body).
    Timestamp,
    /// Header names in upper case (still valid: names are case-insensitive).
    Upper,
    /// Lavanda: the `svix-*` spelling (still valid); others: header names in mixed case.
    Svix,
    /// A junk signature header before the good one.
    JunkFirst,
    /// Junk signature entries before the good one in the same header (valid for Lavanda).
    JunkEntries,
    /// Another delivery id in the headers than was signed (Valara: than the body's).
    Id,
}

impl Tamper {
    fn of(byte: u8) -> Self {
        [
            Tamper::None,
            Tamper::Body,
            Tamper::Timestamp,
            Tamper::Upper,
            Tamper::Svix,
            Tamper::JunkFirst,
            Tamper::JunkEntries,
            Tamper::Id,
        ][usize::from(byte % 8)]
    }
}

const LAVANDA_ID: &str = "msg_2Vq5cGfuzz";

fn store_is_exercised(keys: &[StoreKey], partition: Partition, replayed: bool) {
    let store = InMemoryStore::new(ENTRY_BYTES * 4, ENTRY_BYTES * 4);
    for key in keys {
        assert_eq!(key.partition(), partition, "{key:?}");
    }
    // A delivery's keys are one unit: claimed, completed and found done together.
    let (mine, other) = (ClaimToken::random(), ClaimToken::random());
    assert_eq!(
        store.claim_now(keys, mine, 30, NOW),
        Claim::Claimed,
        "{keys:?}"
    );
    assert_eq!(
        store.claim_now(keys, other, 30, NOW),
        Claim::InFlight { key: 0 },
        "{keys:?}"
    );
    assert!(
        !store.complete_now(keys, other, NOW),
        "{keys:?}: completed by another"
    );
    assert!(
        store.complete_now(keys, mine, NOW),
        "{keys:?}: not completed"
    );
    assert_eq!(
        store.claim_now(keys, other, 30, NOW + 1),
        Claim::Done { key: 0 },
        "{keys:?}"
    );
    if replayed {
        assert_eq!(
            store.claim_now(keys, other, 30, NOW + 2),
            Claim::Done { key: 0 },
            "{keys:?}"
        );
    }
}

fuzz_target!(|input: Input| {
    let provider = provider(input.provider);
    let tamper = Tamper::of(input.tamper);
    let mut body = input.body.0;
    let options = match input.limit {
        0 => Options::default(),
        limit => Options::default().with_max_body(usize::from(limit) * 64),
    };
    // The members a sender mirrors in the headers, read before any tampering.
    let sent = Members::of(&body);
    let sent_str = |name: &str| sent.as_ref().and_then(|h| h.str(name));

    // What a sender would put in the headers: Valara mirrors the body's event id and timestamp.
    // Repull signs no timestamp; its body's createdAt must lie within the replay horizon (7
    // days and the tolerance). Its skew spans about ±7.4 days, so both sides are reached.
    let created = sent_str("createdAt")
        .filter(|_| provider == Provider::Repull)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.timestamp());
    let timestamp = match provider {
        Provider::Valara => sent
            .as_ref()
            .and_then(|h| h.i64("timestamp"))
            .unwrap_or(NOW),
        Provider::Repull => created.unwrap_or(NOW),
        _ => NOW,
    };
    let now = match provider {
        Provider::Repull => timestamp.saturating_add(i64::from(input.skew) * 5_000),
        _ => timestamp.saturating_add(i64::from(input.skew) * 5),
    };
    let horizon = (REPLAY_HORIZON + TOLERANCE as u64) as i64;
    let in_window = match provider {
        Provider::Repull => created
            .is_none_or(|c| now.saturating_sub(c) <= horizon && c.saturating_sub(now) <= TOLERANCE),
        Provider::Everreal => true,
        _ => now.abs_diff(timestamp) <= TOLERANCE as u64,
    };
    let ts_text = timestamp.to_string();
    let signed_ts = if tamper == Tamper::Timestamp {
        timestamp.wrapping_add(1).to_string()
    } else {
        ts_text.clone()
    };
    let foreign = input.key % 3 == 2 && provider != Provider::Everreal;
    let secret = |secrets: [&'static str; 2]| match input.key % 3 {
        0 => secrets[0],
        1 => secrets[1],
        _ => FOREIGN_SECRET,
    };

    let valara_id = sent_str("event_id").unwrap_or_else(|| "evt_fuzz".to_owned());
    let mut headers: RawHeaders = match provider {
        Provider::Valara => {
            let tag = hmac_sha256(
                secret(VALARA_SECRETS).as_bytes(),
                &[signed_ts.as_bytes(), b".", &body],
            );
            vec![
                (
                    "X-Webhook-Signature".into(),
                    format!("sha256={}", hex::encode(tag)).into_bytes(),
                ),
                ("X-Webhook-Timestamp".into(), ts_text.clone().into_bytes()),
                ("X-Webhook-Event-Id".into(), valara_id.clone().into_bytes()),
            ]
        }
        Provider::Repull => {
            let extra: &[u8] = if tamper == Tamper::Timestamp {
                b" "
            } else {
                b""
            };
            let tag = hmac_sha256(secret(REPULL_SECRETS).as_bytes(), &[&body, extra]);
            vec![("X-Repull-Signature".into(), hex::encode(tag).into_bytes())]
        }
        Provider::Lavanda => {
            let tag = hmac_sha256(
                &lavanda_key(secret(LAVANDA_SECRETS)),
                &[
                    LAVANDA_ID.as_bytes(),
                    b".",
                    signed_ts.as_bytes(),
                    b".",
                    &body,
                ],
            );
            use base64::Engine as _;
            let entry = format!(
                "v1,{}",
                base64::engine::general_purpose::STANDARD.encode(tag)
            );
            vec![
                ("webhook-id".into(), LAVANDA_ID.as_bytes().to_vec()),
                ("webhook-timestamp".into(), ts_text.clone().into_bytes()),
                ("webhook-signature".into(), entry.into_bytes()),
            ]
        }
        _ => Vec::new(),
    };
    let signature_name = headers.iter().position(|(k, _)| k.ends_with("ignature"));
    match tamper {
        Tamper::None | Tamper::Timestamp => {}
        Tamper::Body => {
            if body.is_empty() {
                body.push(b' ');
            } else {
                let at = usize::from(input.tamper / 8) % body.len();
                body[at] ^= 0x01;
            }
        }
        Tamper::Upper => {
            for (k, _) in &mut headers {
                *k = k.to_ascii_uppercase();
            }
        }
        Tamper::Svix => {
            for (k, _) in &mut headers {
                *k = match k.strip_prefix("webhook-") {
                    Some(rest) => format!("svix-{rest}"),
                    None => k
                        .char_indices()
                        .map(|(i, c)| {
                            if i % 2 == 0 {
                                c.to_ascii_lowercase()
                            } else {
                                c.to_ascii_uppercase()
                            }
                        })
                        .collect(),
                };
            }
        }
        Tamper::JunkFirst => {
            if let Some(at) = signature_name {
                let name = headers[at].0.clone();
                headers.insert(0, (name, b"v1,AAAA sha256=00".to_vec()));
            }
        }
        Tamper::JunkEntries => {
            if let Some(at) = signature_name {
                let mut value = b"v1,AAAA v2,BBBB ".to_vec();
                value.extend_from_slice(&headers[at].1);
                headers[at].1 = value;
            }
        }
        Tamper::Id => {
            for (k, v) in &mut headers {
                if k.ends_with("-Id") || k.ends_with("-id") {
                    v.extend_from_slice(b"x");
                }
            }
        }
    }
    // Repull sends no id header: `Id` leaves its request as signed.
    let tampered = match provider {
        Provider::Valara | Provider::Lavanda => {
            matches!(tamper, Tamper::Body | Tamper::Timestamp | Tamper::Id)
        }
        Provider::Repull => matches!(tamper, Tamper::Body | Tamper::Timestamp),
        _ => false,
    };
    // Whether the crate's answer is pinned down: a junk signature header read first, or junk
    // entries where the contract allows one signature, leave it to the oracle alone.
    let definite = match tamper {
        Tamper::JunkFirst => false,
        Tamper::JunkEntries => provider == Provider::Lavanda || provider == Provider::Everreal,
        _ => true,
    };

    // The body as received, and the envelope members each receiver reads: present once, with
    // their documented types (Valara: equal to the headers, a timestamp as Unix seconds).
    let too_large = body.len() > options.max_body;
    let head = Members::of(&body);
    let head_str = |name: &str| head.as_ref().and_then(|h| h.str(name));
    let envelope = match provider {
        Provider::Valara => {
            head_str("event_type").is_some()
                && head_str("event_id") == Some(valara_id.clone())
                && !valara_id.is_empty()
                && head_str("nonce").is_some()
                && head.as_ref().and_then(|h| h.i64("timestamp")) == Some(timestamp)
                && timestamp >= 0
        }
        // Repull's createdAt dates every delivery ("the same outer envelope (type, deliveryId,
        // createdAt, data)"): once, an RFC 3339 date-time; an undated delivery could be replayed
        // for ever. The id is not empty.
        Provider::Repull => {
            head_str("type").is_some()
                && head_str("deliveryId").is_some_and(|id| !id.is_empty())
                && head.as_ref().is_some_and(|h| h.count("createdAt") == 1)
                && head_str("createdAt")
                    .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(&t).is_ok())
        }
        Provider::Lavanda => head_str("type").is_some(),
        _ => head_str("operation").is_some() && head_str("uuid").is_some_and(|id| !id.is_empty()),
    };
    let parsed = proptech_events::parse(provider, &body);

    let judge = Judge {
        too_large,
        body: &body,
        max_body: options.max_body,
        tampered,
        foreign,
        tamper,
        headers: &headers,
        definite,
        in_window,
        envelope,
        parsed: &parsed,
        timestamp: match provider {
            Provider::Valara | Provider::Lavanda => Some(timestamp),
            _ => None,
        },
    };

    match provider {
        Provider::Valara => {
            let r = ValaraReceiver::new(VALARA_SECRETS)
                .expect("secrets")
                .with_options(options.clone());
            let Some(v) = judge.check(
                r.receive_at(&headers, &body, now),
                |v| {
                    valara_signed(
                        &headers,
                        &body,
                        v.timestamp().unwrap_or(i64::MIN),
                        &VALARA_SECRETS,
                    )
                },
                &valara_id,
            ) else {
                return;
            };
            let keys = v.dedupe_keys();
            assert_eq!(keys.len(), 2, "a nonce and an event id: {keys:?}");
            if input.replay {
                let again = r
                    .receive_at(&headers, &body, now)
                    .expect("the same request again");
                assert_eq!(again, v);
            }
            store_is_exercised(&keys, Partition::Signed, input.replay);
        }
        Provider::Repull => {
            let r = RepullReceiver::new(REPULL_SECRETS)
                .expect("secrets")
                .with_options(options.clone());
            let delivery_id = head_str("deliveryId").unwrap_or_default();
            let Some(v) = judge.check(
                r.receive_at(&headers, &body, now),
                |_| repull_signed(&headers, &body, &REPULL_SECRETS),
                &delivery_id,
            ) else {
                return;
            };
            let keys = v.dedupe_keys();
            assert_eq!(keys.len(), 1, "{keys:?}");
            if input.replay {
                let again = r
                    .receive_at(&headers, &body, now)
                    .expect("the same request again");
                assert_eq!(again, v);
            }
            store_is_exercised(&keys, Partition::Signed, input.replay);
        }
        Provider::Lavanda => {
            let r = LavandaReceiver::new(LAVANDA_SECRETS)
                .expect("secrets")
                .with_options(options.clone());
            let Some(v) = judge.check(
                r.receive_at(&headers, &body, now),
                |v| {
                    lavanda_signed(
                        &headers,
                        &body,
                        v.id(),
                        v.timestamp().unwrap_or(i64::MIN),
                        &LAVANDA_SECRETS,
                    )
                },
                LAVANDA_ID,
            ) else {
                return;
            };
            let keys = v.dedupe_keys();
            assert_eq!(keys.len(), 1, "{keys:?}");
            if input.replay {
                let again = r
                    .receive_at(&headers, &body, now)
                    .expect("the same request again");
                assert_eq!(again, v);
            }
            store_is_exercised(&keys, Partition::Signed, input.replay);
        }
        _ => {
            let r = EverrealReceiver::unverified().with_options(options.clone());
            let uuid = head_str("uuid").unwrap_or_default();
            let Some(v) = judge.check(r.receive_unverified(&headers, &body), |_| true, &uuid)
            else {
                return;
            };
            let keys = v.dedupe_keys();
            assert_eq!(keys.len(), 1, "{keys:?}");
            store_is_exercised(&keys, Partition::Unverified, input.replay);
        }
    }
});

/// What the oracle knows of one request, to judge the answer of whichever provider's receiver.
struct Judge<'a> {
    too_large: bool,
    body: &'a [u8],
    max_body: usize,
    tampered: bool,
    foreign: bool,
    tamper: Tamper,
    headers: &'a RawHeaders,
    definite: bool,
    in_window: bool,
    envelope: bool,
    parsed: &'a Result<AnyEvent, proptech_events::ParseError>,
    timestamp: Option<i64>,
}

impl Judge<'_> {
    /// Checks a receiver's answer against the oracle; the delivery, if it was accepted and the
    /// checks go on.
    fn check<D>(
        &self,
        result: Result<D, ReceiveError>,
        signed: impl Fn(&D) -> bool,
        id: &str,
    ) -> Option<D>
    where
        D: Delivery + std::fmt::Debug,
        D::Event: Clone + Into<AnyEvent>,
    {
        if self.too_large {
            assert!(
                matches!(result, Err(ReceiveError::BodyTooLarge { .. })),
                "{} bytes over {}: {result:?}",
                self.body.len(),
                self.max_body
            );
            return None;
        }
        if self.tampered || self.foreign {
            assert!(
                result.is_err(),
                "tampered ({:?}, foreign key {}) but verified",
                self.tamper,
                self.foreign
            );
        }
        if let Ok(v) = &result {
            assert!(
                signed(v),
                "verified without a valid signature: {:?}",
                self.headers
            );
        }
        if self.definite && !self.tampered && !self.foreign {
            let expected = self.in_window && self.envelope && self.parsed.is_ok();
            assert_eq!(
                result.is_ok(),
                expected,
                "in window {}, envelope {}, typed parse {:?}: {result:?}",
                self.in_window,
                self.envelope,
                self.parsed
            );
        }
        let v = result.ok()?;
        assert_eq!(
            Ok(v.event().clone().into()),
            self.parsed.as_ref().map_err(ToString::to_string).cloned(),
            "the verified event is not the body's typed parse"
        );
        assert_eq!(v.id(), id, "the delivery id");
        assert_eq!(v.timestamp(), self.timestamp, "the timestamp");
        Some(v)
    }
}
