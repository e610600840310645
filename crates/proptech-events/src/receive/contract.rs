//! A provider's delivery contract as data, and the one verifier that follows any contract.
//!
//! `cargo xtask gen` writes each provider's [`Contract`] from its descriptor
//! (`schemas/<provider>/provider.toml`): where the event type, the delivery id and the timestamp
//! are, how the signature is made (an HMAC described by algorithm, encoding, header, prefix,
//! separator, secret form and signed content), and which windows bound a replay. Every receiver
//! runs the same checks, in an order that bounds what an unauthenticated request costs:
//!
//! 1. the body size, then the headers the signature needs;
//! 2. the signed timestamp's window, **before any HMAC**;
//! 3. the signature header: at most [`Recipe::max_entries`] entries, each decoded once;
//! 4. **one HMAC per configured secret**, compared in constant time with every decoded tag;
//! 5. the envelope members, read in one pass: a header and the body member it mirrors must agree;
//!    a dating member must be inside the replay horizon;
//! 6. the typed parse.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use super::{Core, Dedupe, Headers, Partition, ReceiveError, SecretError, truncate};
use crate::{ParseError, ParseErrorKind, Provider};

/// How one provider delivers and signs, as its descriptor states it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Contract {
    /// The provider.
    pub provider: Provider,
    /// The body member that names the event type.
    pub type_member: &'static str,
    /// The body member that holds the delivery id, if the body has one.
    pub id_member: Option<&'static str>,
    /// The body member that holds the signed timestamp (Unix seconds), if the body has one.
    pub timestamp_member: Option<&'static str>,
    /// How deliveries are signed; `None` when the provider documents no signature (its
    /// deliveries are [`Unverified`](super::Unverified)).
    pub signature: Option<Recipe>,
    /// A body member that must not be seen twice within a window.
    pub nonce: Option<Nonce>,
    /// A body member that dates the delivery, and how old a delivery may be.
    pub horizon: Option<Horizon>,
    /// The documented tolerance of a signed timestamp, in seconds.
    pub tolerance: Option<u64>,
    /// The documented retry schedule: seconds from one attempt to the next.
    pub retry_schedule: &'static [u64],
    /// The secret the provider's docs sign their test vector with, if they publish one.
    pub test_secret: Option<&'static str>,
    /// What orders the provider's events, where its docs say delivery order is not guaranteed
    /// (read by the stream consumer's ordering guard).
    pub ordering: Option<Ordering>,
    /// What a delivery says as a CloudEvent beyond its envelope (its `source`, and what dates
    /// it); `None` when the descriptor says nothing of it.
    pub cloudevents: Option<CloudEvents>,
}

/// The CloudEvents attributes a delivery's envelope does not carry itself, as the provider's
/// descriptor states them.
#[derive(Debug)]
#[non_exhaustive]
pub struct CloudEvents {
    /// The provider's documented base URL: the CloudEvent's `source`. A `{member}` in it stands
    /// for the envelope member of that name (a DNS label), as in `https://{subdomain}.everreal.co`.
    pub source: &'static str,
    /// The envelope member (an RFC 3339 date-time) that dates the event; `None`: the signed
    /// timestamp does.
    pub time_member: Option<&'static str>,
}

/// The entity an event is about and the event's time, for the event types whose order matters.
#[derive(Debug)]
#[non_exhaustive]
pub struct Ordering {
    /// The body member (an RFC 3339 date-time) that dates each event.
    pub time_member: &'static str,
    /// Which member names the entity, per group of event types.
    pub entities: &'static [EntityRule],
}

/// The member that names the entity a group of event types is about.
#[derive(Debug)]
#[non_exhaustive]
pub struct EntityRule {
    /// The kind of entity (`reservation`): events of one kind with one id are ordered together.
    pub entity: &'static str,
    /// Where the entity's id is in the body (a JSON pointer).
    pub member: &'static str,
    /// The event types the rule applies to.
    pub events: &'static [&'static str],
}

/// An HMAC signature recipe.
#[derive(Debug)]
#[non_exhaustive]
pub struct Recipe {
    /// The hash under the HMAC.
    pub algorithm: Algorithm,
    /// How the MAC is written in the header.
    pub encoding: Encoding,
    /// The headers: the documented spelling first, then any other spelling of the same headers,
    /// read when the first spelling's id (or signature) header is absent.
    pub headers: &'static [HeaderNames],
    /// What comes before the encoded MAC in each entry (`sha256=`, `v1,`).
    pub prefix: &'static str,
    /// Several entries in one header, split by this (a key rotation); `None` for exactly one.
    pub separator: Option<&'static str>,
    /// The most entries a signature header may carry.
    pub max_entries: usize,
    /// How a secret becomes the HMAC key.
    pub secret: SecretForm,
    /// The signed content, in order; [`Part::Body`] comes once, last.
    pub content: &'static [Part],
}

/// One spelling of the headers a signature needs.
#[derive(Debug)]
#[non_exhaustive]
pub struct HeaderNames {
    /// The header that carries the signature.
    pub signature: &'static str,
    /// The header that carries the signed timestamp (Unix seconds).
    pub timestamp: Option<&'static str>,
    /// The header that carries the delivery id.
    pub id: Option<&'static str>,
}

/// The hash under an HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Algorithm {
    /// SHA-1 (20-byte MACs).
    Sha1,
    /// SHA-256 (32-byte MACs).
    Sha256,
    /// SHA-512 (64-byte MACs).
    Sha512,
}

impl Algorithm {
    /// The length of a MAC, in bytes.
    pub const fn mac_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    /// The HMAC of this hash keyed with `key`, ready to MAC any number of messages: the key's
    /// padding blocks are hashed once, not once per delivery.
    pub(crate) fn keyed(self, key: &[u8]) -> Keyed {
        fn new<M: Mac + hmac::digest::KeyInit>(key: &[u8]) -> M {
            <M as Mac>::new_from_slice(key).expect("HMAC takes any key length")
        }
        match self {
            Self::Sha1 => Keyed::Sha1(new(key)),
            Self::Sha256 => Keyed::Sha256(new(key)),
            Self::Sha512 => Keyed::Sha512(new(key)),
        }
    }

    /// The MAC of `parts` under `key`.
    pub(crate) fn mac(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
            let mut mac = <M as Mac>::new_from_slice(key).expect("HMAC takes any key length");
            for p in parts {
                mac.update(p);
            }
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            Self::Sha1 => run::<Hmac<sha1::Sha1>>(key, parts),
            Self::Sha256 => run::<Hmac<sha2::Sha256>>(key, parts),
            Self::Sha512 => run::<Hmac<sha2::Sha512>>(key, parts),
        }
    }
}

/// An HMAC already keyed with one secret (see [`Algorithm::keyed`]).
#[derive(Clone)]
pub(crate) enum Keyed {
    Sha1(Hmac<sha1::Sha1>),
    Sha256(Hmac<sha2::Sha256>),
    Sha512(Hmac<sha2::Sha512>),
}

impl Keyed {
    /// The hash under this HMAC.
    pub(crate) fn algorithm(&self) -> Algorithm {
        match self {
            Self::Sha1(_) => Algorithm::Sha1,
            Self::Sha256(_) => Algorithm::Sha256,
            Self::Sha512(_) => Algorithm::Sha512,
        }
    }

    /// The MAC of `parts`, written into `out` (at least 64 bytes); its length.
    pub(crate) fn mac(&self, parts: &[&[u8]], out: &mut [u8; 64]) -> usize {
        fn run<M: Mac + Clone>(keyed: &M, parts: &[&[u8]], out: &mut [u8]) -> usize {
            let mut mac = keyed.clone();
            for p in parts {
                mac.update(p);
            }
            let tag = mac.finalize().into_bytes();
            out[..tag.len()].copy_from_slice(&tag);
            tag.len()
        }
        match self {
            Self::Sha1(m) => run(m, parts, out),
            Self::Sha256(m) => run(m, parts, out),
            Self::Sha512(m) => run(m, parts, out),
        }
    }
}

/// How a MAC is written in a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// Hexadecimal digits (either case).
    Hex,
    /// Standard base64, padded.
    Base64,
}

impl Encoding {
    fn name(self) -> &'static str {
        match self {
            Self::Hex => "hex",
            Self::Base64 => "base64",
        }
    }

    fn encode(self, mac: &[u8]) -> String {
        match self {
            Self::Hex => hex::encode(mac),
            Self::Base64 => STANDARD.encode(mac),
        }
    }
}

/// How a secret becomes the HMAC key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretForm {
    /// The secret's UTF-8 bytes, exactly as written (a `whsec_` prefix included).
    Literal,
    /// The base64 after an optional `whsec_` prefix (Standard Webhooks).
    WhsecBase64,
}

impl SecretForm {
    /// The key of `secret`.
    pub(crate) fn key(self, secret: &str) -> Result<Vec<u8>, SecretError> {
        match self {
            Self::Literal => Ok(secret.as_bytes().to_vec()),
            Self::WhsecBase64 => {
                let b64 = secret.strip_prefix("whsec_").unwrap_or(secret);
                if b64.is_empty() {
                    return Err(SecretError::Empty);
                }
                STANDARD.decode(b64).map_err(|_| SecretError::NotBase64)
            }
        }
    }
}

/// A piece of the signed content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Part {
    /// The delivery id, as its header carries it.
    Id,
    /// The signed timestamp, as its header carries it.
    Timestamp,
    /// The raw body.
    Body,
    /// Literal text.
    Literal(&'static str),
}

/// A nonce member and how long it is remembered at least.
#[derive(Debug)]
#[non_exhaustive]
pub struct Nonce {
    /// The body member.
    pub member: &'static str,
    /// How long it is remembered at least, in seconds.
    pub window: u64,
}

/// A member that dates the delivery (RFC 3339), and how old a delivery may be.
#[derive(Debug)]
#[non_exhaustive]
pub struct Horizon {
    /// The body member.
    pub member: &'static str,
    /// How old a delivery may be, in seconds (the tolerance is added).
    pub seconds: u64,
}

/// What the signature check read off the headers.
#[derive(Debug, Default)]
struct Signed<'h> {
    /// The id header's name and value.
    id: Option<(&'static str, &'h str)>,
    /// The timestamp header's name, text and value.
    timestamp: Option<(&'static str, &'h str, i64)>,
}

/// The members of the body the contract reads before the typed parse.
#[derive(Debug, Default)]
struct Head<'a> {
    event_type: Option<Cow<'a, str>>,
    id: Option<Cow<'a, str>>,
    timestamp: Option<i64>,
    nonce: Option<Cow<'a, str>>,
    horizon: Option<Cow<'a, str>>,
}

/// A verified (or, without a recipe, merely read) delivery, before it is wrapped. Not public API.
#[doc(hidden)]
#[derive(Debug)]
pub struct Received<E> {
    pub(crate) event: E,
    pub(crate) id: String,
    pub(crate) timestamp: Option<i64>,
    pub(crate) dedupe: Dedupe,
}

impl Recipe {
    /// The header spelling the delivery uses.
    fn names<H: Headers + ?Sized>(&self, headers: &H) -> &HeaderNames {
        let primary = &self.headers[0];
        let key = |n: &HeaderNames| n.id.unwrap_or(n.signature);
        if headers.get_header(key(primary)).is_none() {
            for other in &self.headers[1..] {
                if headers.get_header(key(other)).is_some() {
                    return other;
                }
            }
        }
        primary
    }

    /// The decoded tags of a signature header.
    fn tags(&self, name: &'static str, value: &str) -> Result<Vec<Vec<u8>>, ReceiveError> {
        let invalid = |reason: String| ReceiveError::InvalidHeader { name, reason };
        let Some(separator) = self.separator else {
            let encoded = value.strip_prefix(self.prefix).ok_or_else(|| {
                invalid(format!(
                    "expected {}<{}>",
                    self.prefix,
                    self.encoding.name()
                ))
            })?;
            let tag = self.decode(encoded).map_err(&invalid)?;
            let want = self.algorithm.mac_len();
            if tag.len() != want {
                return Err(invalid(match self.encoding {
                    Encoding::Hex => {
                        format!("expected {} hex digits, found {}", want * 2, encoded.len())
                    }
                    Encoding::Base64 => format!("expected {want} bytes, found {}", tag.len()),
                }));
            }
            return Ok(vec![tag]);
        };
        // At most one entry past the bound is split off: a flood of entries costs no more.
        let bound = self.max_entries + 1;
        let entries: Vec<&str> = match separator.as_bytes() {
            // A one-character separator is split on as a `char`, far cheaper than a substring
            // search.
            [byte] if byte.is_ascii() => value
                .split(char::from(*byte))
                .filter(|e| !e.is_empty())
                .take(bound)
                .collect(),
            _ => value
                .split(separator)
                .filter(|e| !e.is_empty())
                .take(bound)
                .collect(),
        };
        if entries.len() > self.max_entries {
            return Err(invalid(format!(
                "more than {} signature entries ({} bytes)",
                self.max_entries,
                value.len()
            )));
        }
        let tags: Vec<Vec<u8>> = entries
            .into_iter()
            .filter_map(|entry| entry.strip_prefix(self.prefix))
            .filter_map(|encoded| self.decode(encoded).ok())
            .filter(|tag| !tag.is_empty())
            .collect();
        if tags.is_empty() {
            return Err(invalid(format!(
                "no {}<{}> signature in {:?}",
                self.prefix,
                self.encoding.name(),
                truncate(value)
            )));
        }
        Ok(tags)
    }

    fn decode(&self, encoded: &str) -> Result<Vec<u8>, String> {
        match self.encoding {
            Encoding::Hex => hex::decode(encoded).map_err(|e| format!("not hex: {e}")),
            Encoding::Base64 => STANDARD
                .decode(encoded)
                .map_err(|e| format!("not base64: {e}")),
        }
    }

    /// The signed content's pieces before and including the body.
    fn content<'a>(&self, id: &'a str, timestamp: &'a str, body: &'a [u8]) -> Vec<&'a [u8]> {
        self.content
            .iter()
            .map(|part| match part {
                Part::Id => id.as_bytes(),
                Part::Timestamp => timestamp.as_bytes(),
                Part::Body => body,
                Part::Literal(text) => text.as_bytes(),
            })
            .collect()
    }
}

impl Contract {
    /// The HMAC keys of `secrets`, as this contract's secret form makes them.
    pub(crate) fn keys<S: AsRef<str>>(
        &self,
        secrets: impl IntoIterator<Item = S>,
    ) -> Result<Vec<Vec<u8>>, SecretError> {
        let form = self
            .signature
            .as_ref()
            .map_or(SecretForm::Literal, |r| r.secret);
        secrets.into_iter().map(|s| form.key(s.as_ref())).collect()
    }

    /// The headers a delivery of `body` needs, signed with each of `secrets` (one entry per
    /// secret where the header takes several, else the first secret), with `id` and `timestamp`
    /// in the headers that carry them. Empty for a provider that signs nothing.
    pub fn sign<S: AsRef<str>>(
        &self,
        secrets: &[S],
        id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Result<Vec<(&'static str, String)>, SecretError> {
        let Some(recipe) = &self.signature else {
            return Ok(Vec::new());
        };
        if secrets.is_empty() {
            return Err(SecretError::NoSecrets);
        }
        let keys = self.keys(secrets)?;
        let timestamp_text = timestamp.to_string();
        let content = recipe.content(id, &timestamp_text, body);
        let take = if recipe.separator.is_some() {
            keys.len()
        } else {
            1
        };
        let entries: Vec<String> = keys[..take]
            .iter()
            .map(|key| {
                let mac = recipe.algorithm.mac(key, &content);
                format!("{}{}", recipe.prefix, recipe.encoding.encode(&mac))
            })
            .collect();
        let names = &recipe.headers[0];
        let mut headers = Vec::with_capacity(3);
        if let Some(name) = names.id {
            headers.push((name, id.to_owned()));
        }
        if let Some(name) = names.timestamp {
            headers.push((name, timestamp_text.clone()));
        }
        headers.push((
            names.signature,
            entries.join(recipe.separator.unwrap_or("")),
        ));
        Ok(headers)
    }

    /// The signature check alone: what the signature covers and whether a key signs it.
    pub(crate) fn check_signature<H: Headers + ?Sized>(
        &self,
        core: &Core,
        headers: &H,
        body: &[u8],
    ) -> Result<super::SignatureCheck, ReceiveError> {
        let Some(recipe) = &self.signature else {
            return Err(ReceiveError::Unsigned {
                provider: self.provider.as_str(),
            });
        };
        let names = recipe.names(headers);
        let (signed, tags) = self.read_signature(recipe, names, headers, None)?;
        let id = signed.id.map_or("", |(_, v)| v);
        let timestamp = signed.timestamp.map_or("", |(_, t, _)| t);
        let tags: Vec<&[u8]> = tags.iter().map(Vec::as_slice).collect();
        let content = recipe.content(id, timestamp, body);
        let prefix: Vec<u8> = content[..content.len() - 1].concat();
        Ok(super::SignatureCheck {
            header: names.signature,
            signed_prefix: String::from_utf8_lossy(&prefix).into_owned(),
            timestamp: signed.timestamp.map(|(_, _, t)| t),
            matches: core.any_key_signs(recipe.algorithm, &content, &tags),
        })
    }

    /// Reads the signature headers, checks the window (when `now` is given) and decodes the
    /// tags.
    fn read_signature<'h, H: Headers + ?Sized>(
        &self,
        recipe: &Recipe,
        names: &HeaderNames,
        headers: &'h H,
        window: Option<(&Core, i64)>,
    ) -> Result<(Signed<'h>, Vec<Vec<u8>>), ReceiveError> {
        let signature = super::header(headers, names.signature)?;
        let timestamp_text = match names.timestamp {
            Some(name) => Some((name, super::header(headers, name)?)),
            None => None,
        };
        let id = match names.id {
            Some(name) => Some((name, super::header(headers, name)?)),
            None => None,
        };
        let timestamp = match timestamp_text {
            Some((name, text)) => Some((name, text, super::timestamp_header(text, name)?)),
            None => None,
        };
        if let (Some((core, now)), Some((_, _, t))) = (window, timestamp) {
            core.check_window(t, now)?;
        }
        let tags = recipe.tags(names.signature, signature)?;
        Ok((Signed { id, timestamp }, tags))
    }

    /// Verifies (where the contract signs) and parses a delivery as if the clock read `now`.
    pub(crate) fn receive<E: crate::__private::ProviderEvent, H: Headers + ?Sized>(
        &self,
        core: &Core,
        headers: &H,
        body: &[u8],
        now: i64,
    ) -> Result<Received<E>, ReceiveError> {
        core.check_size(body)?;
        let mut signed = Signed::default();
        if let Some(recipe) = &self.signature {
            let names = recipe.names(headers);
            let (read, tags) = self.read_signature(recipe, names, headers, Some((core, now)))?;
            let id = read.id.map_or("", |(_, v)| v);
            let timestamp = read.timestamp.map_or("", |(_, t, _)| t);
            let content = recipe.content(id, timestamp, body);
            let tags: Vec<&[u8]> = tags.iter().map(Vec::as_slice).collect();
            if !core.any_key_signs(recipe.algorithm, &content, &tags) {
                return Err(ReceiveError::BadSignature {
                    header: names.signature,
                });
            }
            signed = read;
        }

        let head = self.read_head(body)?;
        let id = match (signed.id, self.id_member) {
            (Some((header, value)), Some(field)) => {
                let member = head.id.as_deref().unwrap_or_default();
                if member != value {
                    return Err(ReceiveError::HeaderBodyMismatch {
                        header,
                        header_value: truncate(value),
                        field,
                        body_value: truncate(member),
                    });
                }
                value.to_owned()
            }
            (Some((_, value)), None) => value.to_owned(),
            (None, _) => head.id.clone().unwrap_or_default().into_owned(),
        };
        if id.is_empty() {
            // Every empty id would be one delivery: the first would shadow the rest.
            return Err(match (signed.id, self.id_member) {
                (Some((name, _)), _) => ReceiveError::InvalidHeader {
                    name,
                    reason: "an empty delivery id".into(),
                },
                (None, member) => {
                    self.member_error(member.unwrap_or_default(), "an empty delivery id".into())
                }
            });
        }
        if let (Some((header, text, value)), Some(field)) =
            (signed.timestamp, self.timestamp_member)
        {
            let member = head.timestamp.unwrap_or_default();
            if member != value {
                return Err(ReceiveError::HeaderBodyMismatch {
                    header,
                    header_value: truncate(text),
                    field,
                    body_value: member.to_string(),
                });
            }
        }
        if let Some(horizon) = &self.horizon {
            // A delivery the contract dates must carry its date: an undated one (of an event type
            // this version does not know, which the typed parse would not hold to the envelope)
            // could be replayed for ever once its id has left the store.
            let dated = head.horizon.as_deref().ok_or_else(|| {
                self.member_error(
                    horizon.member,
                    format!("missing field `{}`", horizon.member),
                )
            })?;
            check_horizon(core, horizon, dated, now).map_err(|e| {
                e.unwrap_or_else(|| {
                    self.member_error(
                        horizon.member,
                        format!("{:?} is not an RFC 3339 date-time", truncate(dated)),
                    )
                })
            })?;
        }
        let event_type = head.event_type.unwrap_or_default().into_owned();
        let event = typed::<E>(core, self.type_member, event_type, body)?;

        let window = self.id_window(&core.options);
        let nonce = match (self.nonce_window(&core.options), head.nonce) {
            (Some(window), Some(value)) => Some((value.into_owned(), window)),
            _ => None,
        };
        Ok(Received {
            event,
            id,
            timestamp: signed.timestamp.map(|(_, _, t)| t),
            dedupe: Dedupe {
                namespace: std::sync::Arc::clone(&core.namespace),
                provider: self.provider.as_str(),
                partition: if self.signature.is_some() {
                    Partition::Signed
                } else {
                    Partition::Unverified
                },
                window,
                nonce,
            },
        })
    }

    /// A body member that does not fit the contract, as a typed error naming it.
    fn member_error(&self, member: &str, message: String) -> ReceiveError {
        ReceiveError::TypeMismatch(ParseError {
            provider: self.provider,
            event_type: None,
            path: format!("/{member}"),
            kind: ParseErrorKind::Data,
            message,
        })
    }

    /// Whether the contract signs a timestamp.
    fn signs_time(&self) -> bool {
        self.signature
            .as_ref()
            .is_some_and(|r| r.headers.iter().any(|h| h.timestamp.is_some()))
    }

    /// How long this contract keeps a delivery id once done, under `options`: the dedupe window,
    /// at least twice the tolerance where a signed timestamp is accepted that long, and at least
    /// the horizon plus twice the tolerance where the contract dates its deliveries (one dated the
    /// tolerance ahead is accepted until the horizon and the tolerance have passed).
    pub(crate) fn id_window(&self, options: &super::Options) -> u64 {
        let mut window = options.dedupe_window;
        if self.signs_time() {
            window = window.max(options.tolerance.saturating_mul(2));
        }
        if let Some(horizon) = &self.horizon {
            window = window.max(
                horizon
                    .seconds
                    .saturating_add(options.tolerance.saturating_mul(2)),
            );
        }
        window
    }

    /// How long this contract keeps a nonce, under `options`.
    pub(crate) fn nonce_window(&self, options: &super::Options) -> Option<u64> {
        self.nonce
            .as_ref()
            .map(|n| n.window.max(options.tolerance.saturating_mul(2)))
    }

    /// Reads the envelope members in one pass. A delivery is a JSON object; anything else is
    /// malformed, said as such. A member the contract needs and the body lacks is a typed error.
    fn read_head<'a>(&self, body: &'a [u8]) -> Result<Head<'a>, ReceiveError> {
        let provider = self.provider;
        let fail = |kind: ParseErrorKind, path: String, message: String| {
            ReceiveError::from_parse(ParseError {
                provider,
                event_type: None,
                path,
                kind,
                message,
            })
        };
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{') {
            return Err(fail(
                ParseErrorKind::Syntax,
                String::new(),
                "a delivery must be a JSON object".into(),
            ));
        }
        let failed_at = std::cell::Cell::new(None);
        let mut de = serde_json::Deserializer::from_slice(body);
        let head = HeadSeed(self, &failed_at)
            .deserialize(&mut de)
            .and_then(|head| de.end().map(|()| head))
            .map_err(|e| {
                let kind = if e.is_data() {
                    ParseErrorKind::Data
                } else {
                    ParseErrorKind::Syntax
                };
                let path = failed_at.get().map(|m| format!("/{m}")).unwrap_or_default();
                fail(kind, path, e.to_string())
            })?;
        let missing = |member: &str| {
            fail(
                ParseErrorKind::Data,
                String::new(),
                format!("missing field `{member}`"),
            )
        };
        if head.event_type.is_none() {
            return Err(missing(self.type_member));
        }
        if let (Some(member), None) = (self.id_member, &head.id) {
            return Err(missing(member));
        }
        if let (Some(member), None) = (self.timestamp_member, head.timestamp) {
            return Err(missing(member));
        }
        if let (Some(nonce), None) = (&self.nonce, &head.nonce) {
            return Err(missing(nonce.member));
        }
        Ok(head)
    }
}

/// Rejects a dating member older than the horizon, or further ahead of the clock than the
/// tolerance; `Err(None)` for a value that is not an RFC 3339 date-time.
fn check_horizon(
    core: &Core,
    horizon: &Horizon,
    dated: &str,
    now: i64,
) -> Result<(), Option<ReceiveError>> {
    let Ok(created) = chrono::DateTime::parse_from_rfc3339(dated) else {
        return Err(None);
    };
    let tolerance = core.options.tolerance;
    let created = created.timestamp();
    // A delivery from the future would never grow stale: as for signed timestamps, at most the
    // tolerance ahead of the clock.
    if created.saturating_sub(now) > i64::try_from(tolerance).unwrap_or(i64::MAX) {
        return Err(Some(ReceiveError::TimestampOutOfWindow {
            timestamp: created,
            now,
            skew: created.abs_diff(now),
            tolerance,
        }));
    }
    let limit = horizon.seconds.saturating_add(tolerance);
    let oldest = now.saturating_sub(i64::try_from(limit).unwrap_or(i64::MAX));
    if created < oldest {
        return Err(Some(ReceiveError::Stale {
            created_at: truncate(dated),
            now,
            horizon: limit,
        }));
    }
    Ok(())
}

/// The typed event of `body`, parsed straight from the bytes. With `Options::validate`, the
/// typed parse is the validation: the types accept exactly what the schemas accept except a value
/// outside an `enum` (kept in a catch-all, which the parse notes as it goes) and an event type the
/// schemas do not know, so a delivery that parses with neither is valid. The schema validator
/// runs only to explain a rejection.
fn typed<E: crate::__private::ProviderEvent>(
    core: &Core,
    type_member: &str,
    event_type: String,
    body: &[u8],
) -> Result<E, ReceiveError> {
    #[cfg(feature = "validate")]
    if core.options.validate {
        let (parsed, caught) =
            crate::__private::parse_watching_catch_alls(|| E::parse_typed(event_type, body));
        return super::validate::validated(
            E::PROVIDER,
            type_member,
            parsed,
            caught,
            E::event_type,
            body,
        );
    }
    #[cfg(not(feature = "validate"))]
    let _ = (core, type_member);
    E::parse_typed(event_type, body).map_err(ReceiveError::from_parse)
}

/// Reads the contract's members of a JSON object, skipping every other value unparsed; the member
/// whose value failed is noted in the cell.
struct HeadSeed<'c>(&'c Contract, &'c std::cell::Cell<Option<&'static str>>);

impl<'de> DeserializeSeed<'de> for HeadSeed<'_> {
    type Value = Head<'de>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeadSeed<'_> {
    type Value = Head<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        use serde::de::Error as _;
        let c = self.0;
        let failed = self.1;
        let mut head = Head::default();
        // A member's error is returned as it is; the member is noted so the caller can say where.
        let at = |member: &'static str| {
            move |e: A::Error| {
                failed.set(Some(member));
                e
            }
        };
        let duplicate = |member: &str| A::Error::custom(format_args!("duplicate field `{member}`"));
        let nonce = c.nonce.as_ref().map(|n| n.member);
        let horizon = c.horizon.as_ref().map(|h| h.member);
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let key = key.as_ref();
            if key == c.type_member {
                let m = c.type_member;
                if head.event_type.is_some() {
                    return Err(duplicate(m));
                }
                head.event_type = Some(map.next_value::<Str<'de>>().map_err(at(m))?.0);
            } else if let Some(m) = c.id_member.filter(|m| *m == key) {
                if head.id.is_some() {
                    return Err(duplicate(m));
                }
                head.id = Some(map.next_value::<Str<'de>>().map_err(at(m))?.0);
            } else if let Some(m) = c.timestamp_member.filter(|m| *m == key) {
                if head.timestamp.is_some() {
                    return Err(duplicate(m));
                }
                head.timestamp = Some(map.next_value::<i64>().map_err(at(m))?);
            } else if let Some(m) = nonce.filter(|m| *m == key) {
                if head.nonce.is_some() {
                    return Err(duplicate(m));
                }
                head.nonce = Some(map.next_value::<Str<'de>>().map_err(at(m))?.0);
            } else if let Some(m) = horizon.filter(|m| *m == key) {
                if head.horizon.is_some() {
                    return Err(duplicate(m));
                }
                // Its format is the typed parse's to check; only a string is read here.
                head.horizon = map
                    .next_value::<Option<Str<'de>>>()
                    .map_err(at(m))?
                    .map(|s| s.0);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(head)
    }
}

/// A JSON string, borrowed where it has no escapes.
struct Str<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Str<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    //! The work per request is bounded whatever the input: counted in MACs, on the contract with
    //! the most entries per header (chosen from the descriptors, not by name).

    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use super::{Algorithm, Contract, Encoding, Recipe};
    use crate::Provider;
    use crate::receive::{Options, ReceiveError, Receiver, Visit, dispatch};

    const NOW: i64 = 1_800_000_000;

    fn macs() -> usize {
        super::super::MACS.with(std::cell::Cell::get)
    }

    /// The enabled provider whose signature header takes the most entries, if one takes several.
    fn flooded() -> Option<Provider> {
        Provider::ALL
            .into_iter()
            .filter(|p| p.enabled() && p.contract().test_secret.is_some())
            .filter(|p| recipe(p.contract()).is_some_and(|r| r.separator.is_some()))
            .max_by_key(|p| recipe(p.contract()).map_or(0, |r| r.max_entries))
    }

    fn recipe(contract: &Contract) -> Option<&Recipe> {
        contract.signature.as_ref()
    }

    /// The recipe's headers for `signature`, with the delivery id and timestamp where it signs them.
    fn headers(recipe: &Recipe, signature: String, ts: i64) -> Vec<(&'static str, String)> {
        let names = &recipe.headers[0];
        let mut headers = vec![(names.signature, signature)];
        headers.extend(names.timestamp.map(|t| (t, ts.to_string())));
        headers.extend(names.id.map(|i| (i, "msg_flood".to_owned())));
        headers
    }

    /// A well-formed entry whose MAC is wrong: the prefix, then a MAC-sized run of bytes encoded.
    fn decoy(recipe: &Recipe) -> String {
        let len = match recipe.algorithm {
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        };
        let mac = vec![7u8; len];
        let encoded = match recipe.encoding {
            Encoding::Hex => hex::encode(mac),
            Encoding::Base64 => STANDARD.encode(mac),
        };
        format!("{}{encoded}", recipe.prefix)
    }

    /// Runs the check `make` names with the receiver type of the flooded provider, its recipe and
    /// its test secret.
    fn with_flooded(make: fn(&'static Recipe, &'static str) -> Check) {
        let Some(provider) = flooded() else {
            return;
        };
        let contract = provider.contract();
        let (Some(recipe), Some(secret)) = (recipe(contract), contract.test_secret) else {
            return;
        };
        dispatch(provider, make(recipe, secret));
    }

    /// The error of a delivery that must be rejected.
    fn rejected<T>(got: Result<T, ReceiveError>) -> ReceiveError {
        match got {
            Ok(_) => panic!("accepted"),
            Err(e) => e,
        }
    }

    /// Which check to run with the receiver type.
    enum Check {
        Bounded(&'static Recipe, &'static str),
        ValidAmongDecoys(&'static Recipe, &'static str),
    }

    impl Visit for Check {
        type Output = ();

        fn visit<R: Receiver>(self) {
            match self {
                Check::Bounded(recipe, secret) => bounded::<R>(recipe, secret),
                Check::ValidAmongDecoys(recipe, secret) => valid_among_decoys::<R>(recipe, secret),
            }
        }

        fn disabled(self, _: Provider) {}
    }

    fn bounded<R: Receiver>(recipe: &Recipe, secret: &str) {
        let options = Options {
            max_body: 2 << 20,
            ..Default::default()
        };
        let receiver = R::with_secrets([secret])
            .expect("secret")
            .with_options(options.clone());
        // A 1 MiB body: nothing but the signature header is looked at before it is rejected.
        let body = vec![b' '; 1 << 20];
        let separator = recipe.separator.expect("several entries");
        let flood = vec![decoy(recipe); 10_000].join(separator);
        let before = macs();
        let err = rejected(receiver.receive_at(&headers(recipe, flood, NOW), &body, NOW));
        assert_eq!(err.code(), "invalid_header", "{err}");
        assert_eq!(macs() - before, 0, "no HMAC for an over-long header");
        assert!(
            err.to_string().len() < 200,
            "the value is not echoed: {err}"
        );

        // At the cap: one MAC per secret, not one per entry.
        let capped = vec![decoy(recipe); recipe.max_entries].join(separator);
        let before = macs();
        let err = rejected(receiver.receive_at(&headers(recipe, capped.clone(), NOW), &body, NOW));
        assert_eq!(err.code(), "bad_signature");
        assert_eq!(macs() - before, 1, "one secret, one MAC");

        let two = R::with_secrets([secret, secret])
            .expect("secrets")
            .with_options(options);
        let before = macs();
        let _ = two.receive_at(&headers(recipe, capped.clone(), NOW), &body, NOW);
        assert_eq!(macs() - before, 2, "two secrets, two MACs");

        // A stale timestamp is rejected before any HMAC, where one is signed.
        if recipe.headers[0].timestamp.is_some() {
            let before = macs();
            let err =
                rejected(receiver.receive_at(&headers(recipe, capped, NOW - 10_000), &body, NOW));
            assert_eq!(err.code(), "timestamp_out_of_window");
            assert_eq!(macs() - before, 0, "the window is checked first");
        }
    }

    fn valid_among_decoys<R: Receiver>(recipe: &Recipe, secret: &str) {
        let receiver = R::with_secrets([secret]).expect("secret");
        let body = br#"{"type":"flood.test","data":{}}"#;
        let good = R::signature(&[secret], "msg_flood", NOW, body).expect("sign");
        let mut entries = vec![decoy(recipe); recipe.max_entries - 1];
        entries.push(good);
        let separator = recipe.separator.expect("several entries");
        let got = receiver.receive_at(&headers(recipe, entries.join(separator), NOW), body, NOW);
        assert!(
            !matches!(got, Err(ReceiveError::BadSignature { .. })),
            "{:?}",
            got.err()
        );
    }

    #[test]
    fn ten_thousand_entries_and_a_mebibyte_cost_no_hash() {
        with_flooded(Check::Bounded);
    }

    #[test]
    fn a_valid_signature_among_capped_entries_verifies() {
        with_flooded(Check::ValidAmongDecoys);
    }
}
