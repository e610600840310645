//! A provider's descriptor, `schemas/<provider>/provider.toml`: everything about a provider that
//! is not an event schema (its names, its envelope, how it signs, its windows, its retries), each
//! fact with the document words it rests on. The generator writes the provider layer of
//! `proptech-events` from it; the publisher renders its delivery contract from it.

use std::path::Path;

use serde::Deserialize;

use crate::Error;

/// One provider, as its descriptor states it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Descriptor {
    /// The provider's name as the schemas spell it: its folder under `schemas/`, its Cargo feature
    /// and its module in `proptech-events` (lowercase ASCII letters, digits and `_`).
    pub name: String,
    /// The name written in prose (`EverReal`).
    pub display_name: String,
    /// What its events are about, for the docs of its `Provider` variant.
    pub summary: String,
    /// Its place in the project's lists (1 first): the order of `Provider::ALL` and of every
    /// generated table.
    pub listed: u32,
    /// The documents the provider's facts come from, as stored with the provider docs.
    pub documents: Vec<String>,
    /// The shape every delivery body shares.
    pub envelope: Envelope,
    /// How a delivery travels: method, content type, the contract in prose, retries and headers.
    pub delivery: Delivery,
    /// How a delivery is signed.
    pub signature: Signature,
    /// How replays are refused.
    #[serde(default)]
    pub replay: Replay,
    /// The HTTP headers every delivery carries, as the docs describe them.
    #[serde(default, rename = "header")]
    pub headers: Vec<Header>,
    /// What orders the provider's events, where its docs say delivery order is not guaranteed:
    /// the consumer's ordering guard reads it.
    #[serde(default)]
    pub ordering: Option<Ordering>,
    /// What a delivery says as a CloudEvent: its `source`, and where its `time` is.
    #[serde(default)]
    pub cloudevents: Option<CloudEvents>,
}

/// The CloudEvents attributes a delivery's envelope does not carry itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudEvents {
    /// The provider's documented base URL (the CloudEvent's `source`). One `{member}` may name a
    /// top-level envelope member holding a DNS label (EverReal's `https://{subdomain}.everreal.co`).
    pub source: String,
    /// The envelope member (an RFC 3339 date-time) that dates the event; without one, the signed
    /// timestamp does.
    #[serde(default)]
    pub time_member: Option<String>,
    /// Where the docs give the base URL.
    pub evidence: Quote,
}

impl CloudEvents {
    /// The envelope member `source` names in braces, if any.
    pub fn source_member(&self) -> Option<&str> {
        let (_, rest) = self.source.split_once('{')?;
        rest.split_once('}').map(|(member, _)| member)
    }
}

/// The entity an event is about and the event's time, for the events whose order matters.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ordering {
    /// The envelope member (an RFC 3339 date-time) that dates each event.
    pub time_member: String,
    /// Which member names the entity, per group of event types.
    #[serde(rename = "entity")]
    pub entities: Vec<Entity>,
    /// The words that say order is not guaranteed.
    pub evidence: Quote,
}

/// The member that names the entity a group of event types is about.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    /// The kind of entity (`reservation`): events of one kind with one id are ordered together.
    pub name: String,
    /// Where the entity's id is in the body (a JSON pointer, `/data/id`).
    pub member: String,
    /// The event types it applies to.
    pub events: Vec<String>,
}

/// Where a descriptor's fact comes from: a stored document and its words.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Quote {
    /// The document, as stored with the provider docs (a path under the docs folder).
    pub document: String,
    /// The document's words (whitespace aside, they must be in it).
    pub quote: String,
}

/// The members of a delivery body the receiver reads before the typed parse.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The envelope schema, relative to the provider's folder; none for flat events.
    #[serde(default)]
    pub schema: Option<String>,
    /// The member that names the event type.
    pub type_member: String,
    /// The member that holds the delivery id, where the body has one.
    #[serde(default)]
    pub id_member: Option<String>,
    /// The member that holds the signed timestamp (Unix seconds, an integer), where the body has
    /// one.
    #[serde(default)]
    pub timestamp_member: Option<String>,
    /// Why these members.
    pub evidence: Quote,
}

/// How a delivery travels, in prose for the published contract.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// The HTTP method.
    pub method: String,
    /// The content type of the body.
    pub content_type: String,
    /// The verification contract, in Markdown.
    pub verification: String,
    /// The page the verification contract comes from.
    pub verification_source: String,
    /// The retry behaviour, in Markdown.
    pub retries: String,
    /// The page the retry behaviour comes from.
    pub retries_source: String,
    /// The documented retry schedule: seconds from one attempt to the next (empty where the docs
    /// state none).
    #[serde(default)]
    pub retry_schedule: Vec<u64>,
    /// Why that schedule (required with a schedule).
    #[serde(default)]
    pub retry_evidence: Option<Quote>,
}

/// An HTTP header a provider sets on every delivery.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// The header's name, as the docs spell it.
    pub name: String,
    /// What it carries.
    pub description: String,
    /// A pattern its value matches, where the docs state its form.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Whether every delivery carries it.
    #[serde(default = "yes")]
    pub required: bool,
    /// Which part of a signature test vector it holds: `signature`, `timestamp` or `id`.
    #[serde(default)]
    pub carries: Option<String>,
    /// The page that documents it.
    pub source: String,
}

fn yes() -> bool {
    true
}

/// How a provider signs its deliveries.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "scheme", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Signature {
    /// An HMAC described by its parts.
    Hmac(Box<Hmac>),
    /// Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`: `v1,<base64>`
    /// entries of HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed with the base64 of
    /// `whsec_<base64>`).
    StandardWebhooks(StandardWebhooks),
    /// No signature: deliveries can only be received as unverified.
    None(Unsigned),
}

/// A signature scheme with no signature.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unsigned {
    /// The words that say the provider documents no signature.
    pub evidence: Quote,
}

/// An HMAC recipe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hmac {
    /// `sha1`, `sha256` or `sha512`.
    pub algorithm: String,
    /// How the MAC is written in the header: `hex` or `base64`.
    pub encoding: String,
    /// The header that carries the signature.
    pub header: String,
    /// What comes before the encoded MAC in the header value (`sha256=`), in each entry.
    #[serde(default)]
    pub prefix: String,
    /// Several signatures in one header, split by this separator (a key rotation).
    #[serde(default)]
    pub separator: Option<String>,
    /// How the secret becomes the key: `literal` (its UTF-8 bytes as written) or `whsec-base64`
    /// (the base64 after an optional `whsec_` prefix).
    pub secret: String,
    /// The signed content: a template over `{id}`, `{timestamp}` and `{body}`, with literal text
    /// between them; `{body}` comes once, last.
    pub content: String,
    /// Where the signed timestamp comes from, if the content or the window uses one.
    #[serde(default)]
    pub timestamp: Option<Origin>,
    /// Where the delivery id comes from (else the envelope's id member).
    #[serde(default)]
    pub id: Option<Origin>,
    /// The secret the provider's docs sign their test vector with, if they publish one.
    #[serde(default)]
    pub test_secret: Option<String>,
    /// The words the recipe rests on.
    pub evidence: Quote,
}

/// The Standard Webhooks scheme, and the other header names it also comes under.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardWebhooks {
    /// A second spelling of the three headers, read when the standard ones are absent (`svix-`).
    #[serde(default)]
    pub alias_prefix: Option<String>,
    /// The secret the provider's docs sign their test vector with, if they publish one.
    #[serde(default)]
    pub test_secret: Option<String>,
    /// The words that say the provider uses it.
    pub evidence: Quote,
}

/// Where a value of the signature comes from: a header, a body member, or both (which must then
/// agree).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    /// The header.
    #[serde(default)]
    pub header: Option<String>,
    /// The body member.
    #[serde(default)]
    pub member: Option<String>,
}

/// How replays are refused.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replay {
    /// How far a signed timestamp may be from the receiver's clock, either way, in seconds.
    #[serde(default)]
    pub tolerance: Option<u64>,
    /// A body member that is unique per delivery and must not be seen twice within a window.
    #[serde(default)]
    pub nonce: Option<Nonce>,
    /// A body member (an RFC 3339 date-time) that dates the delivery; older than the horizon is
    /// refused.
    #[serde(default)]
    pub horizon: Option<Horizon>,
    /// The words the windows rest on.
    #[serde(default)]
    pub evidence: Option<Quote>,
}

/// A nonce member and how long it is remembered.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nonce {
    /// The body member.
    pub member: String,
    /// How long it is remembered at least, in seconds.
    pub window: u64,
}

/// A dating member and how old a delivery may be.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Horizon {
    /// The body member (RFC 3339).
    pub member: String,
    /// How old a delivery may be, in seconds.
    pub seconds: u64,
}

/// Every descriptor's place and the words each fact quotes, for the evidence lint.
impl Descriptor {
    /// Reads `dir/provider.toml`.
    pub fn load(dir: &Path) -> Result<Self, Error> {
        let descriptor: Self = crate::read_toml(&dir.join("provider.toml"))?;
        descriptor.check().map_err(|reason| Error::Descriptor {
            provider: descriptor.name.clone(),
            reason,
        })?;
        Ok(descriptor)
    }

    /// Every quote the descriptor makes, with what it supports.
    pub fn quotes(&self) -> Vec<(&'static str, &Quote)> {
        let mut quotes = vec![("envelope", &self.envelope.evidence)];
        match &self.signature {
            Signature::Hmac(h) => quotes.push(("signature", &h.evidence)),
            Signature::StandardWebhooks(s) => quotes.push(("signature", &s.evidence)),
            Signature::None(n) => quotes.push(("signature", &n.evidence)),
        }
        if let Some(q) = &self.replay.evidence {
            quotes.push(("replay", q));
        }
        if let Some(q) = &self.delivery.retry_evidence {
            quotes.push(("retry_schedule", q));
        }
        if let Some(o) = &self.ordering {
            quotes.push(("ordering", &o.evidence));
        }
        if let Some(c) = &self.cloudevents {
            quotes.push(("cloudevents", &c.evidence));
        }
        quotes
    }

    /// The HMAC recipe the signature scheme comes to (Standard Webhooks spelled out), if signed.
    pub fn hmac(&self) -> Option<Hmac> {
        match &self.signature {
            Signature::Hmac(h) => Some((**h).clone()),
            Signature::StandardWebhooks(s) => Some(Hmac {
                algorithm: "sha256".into(),
                encoding: "base64".into(),
                header: "webhook-signature".into(),
                prefix: "v1,".into(),
                separator: Some(" ".into()),
                secret: "whsec-base64".into(),
                content: "{id}.{timestamp}.{body}".into(),
                timestamp: Some(Origin {
                    header: Some("webhook-timestamp".into()),
                    member: None,
                }),
                id: Some(Origin {
                    header: Some("webhook-id".into()),
                    member: None,
                }),
                test_secret: s.test_secret.clone(),
                evidence: s.evidence.clone(),
            }),
            Signature::None(_) => None,
        }
    }

    /// The second spelling of the signature headers (Standard Webhooks' `svix-`), if any.
    pub fn alias_prefix(&self) -> Option<&str> {
        match &self.signature {
            Signature::StandardWebhooks(s) => s.alias_prefix.as_deref(),
            _ => None,
        }
    }

    /// The member or header that holds the delivery id, as the published contract names it.
    pub fn id_field(&self) -> Option<String> {
        self.hmac()
            .and_then(|h| h.id)
            .and_then(|o| o.member.or(o.header))
            .or_else(|| self.envelope.id_member.clone())
    }

    /// What is wrong with the descriptor, if anything the types cannot say is.
    fn check(&self) -> Result<(), String> {
        let name_ok = !self.name.is_empty()
            && self.name.as_bytes()[0].is_ascii_lowercase()
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        // The name is a module, a feature and (in PascalCase) an enum variant: no keyword.
        const KEYWORDS: [&str; 52] = [
            "abstract", "as", "async", "await", "become", "box", "break", "const", "continue",
            "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen",
            "if", "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override",
            "priv", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
            "try", "type", "typeof", "union", "unsafe", "unsized", "use", "virtual", "where",
            "while", "yield",
        ];
        let name_ok = name_ok && !KEYWORDS.contains(&self.name.as_str());
        if !name_ok {
            return Err(format!(
                "name {:?}: lowercase ASCII letters, digits and `_`, starting with a letter, and no Rust keyword",
                self.name
            ));
        }
        if let Some(h) = self.hmac() {
            if !["sha1", "sha256", "sha512"].contains(&h.algorithm.as_str()) {
                return Err(format!(
                    "signature.algorithm {:?}: expected sha1, sha256 or sha512",
                    h.algorithm
                ));
            }
            if !["hex", "base64"].contains(&h.encoding.as_str()) {
                return Err(format!(
                    "signature.encoding {:?}: expected hex or base64",
                    h.encoding
                ));
            }
            if !["literal", "whsec-base64"].contains(&h.secret.as_str()) {
                return Err(format!(
                    "signature.secret {:?}: expected literal or whsec-base64",
                    h.secret
                ));
            }
            let parts = content_parts(&h.content)?;
            let bodies = parts.iter().filter(|p| **p == Part::Body).count();
            if bodies != 1 || parts.last() != Some(&Part::Body) {
                return Err(format!(
                    "signature.content {:?}: `{{body}}` must come once, last",
                    h.content
                ));
            }
            let has = |part: Part| parts.contains(&part);
            if has(Part::Timestamp)
                && h.timestamp
                    .as_ref()
                    .and_then(|o| o.header.as_ref())
                    .is_none()
            {
                return Err(
                    "signature.content signs `{timestamp}`: say its header in signature.timestamp"
                        .into(),
                );
            }
            if has(Part::Id) && h.id.as_ref().and_then(|o| o.header.as_ref()).is_none() {
                // The signature is checked before the body is read: a signed id is a header.
                return Err(
                    "signature.content signs `{id}`: say its header in signature.id".into(),
                );
            }
        }
        if self.id_field().is_none() {
            return Err(
                "no delivery id: set envelope.id_member or signature.id (receivers deduplicate on it)"
                    .into(),
            );
        }
        if !self.delivery.retry_schedule.is_empty() && self.delivery.retry_evidence.is_none() {
            return Err("delivery.retry_schedule needs delivery.retry_evidence".into());
        }
        if let Some(c) = &self.cloudevents {
            let braces = c.source.matches('{').count() + c.source.matches('}').count();
            let ordered = c.source.find('{') <= c.source.find('}');
            let member_ok = c
                .source_member()
                .is_none_or(|m| !m.is_empty() && !m.contains(['{', '/']));
            if braces > 2
                || braces == 1
                || !ordered
                || !member_ok
                || !c.source.starts_with("https://")
            {
                return Err(format!(
                    "cloudevents.source {:?}: an https URL with at most one `{{member}}`",
                    c.source
                ));
            }
        }
        if let Some(o) = &self.ordering {
            let mut seen = std::collections::BTreeSet::new();
            for e in &o.entities {
                if !e.member.starts_with('/') {
                    return Err(format!(
                        "ordering.entity {:?}: member {:?} is not a JSON pointer (`/data/id`)",
                        e.name, e.member
                    ));
                }
                if let Some(t) = e.events.iter().find(|t| !seen.insert(t.as_str())) {
                    return Err(format!(
                        "ordering.entity: event type {t:?} is named by two entity rules"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A piece of a signed-content template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// The delivery id.
    Id,
    /// The signed timestamp, as the header carries it.
    Timestamp,
    /// The raw body.
    Body,
    /// Literal text.
    Literal(String),
}

/// The pieces of a signed-content template such as `{timestamp}.{body}`.
pub fn content_parts(template: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('{') {
            let end = after
                .find('}')
                .ok_or_else(|| format!("signature.content {template:?}: unclosed `{{`"))?;
            parts.push(match &after[..end] {
                "id" => Part::Id,
                "timestamp" => Part::Timestamp,
                "body" => Part::Body,
                other => {
                    return Err(format!(
                        "signature.content {template:?}: unknown placeholder {{{other}}}; expected {{id}}, {{timestamp}} or {{body}}"
                    ));
                }
            });
            rest = &after[end + 1..];
        } else {
            let end = rest.find('{').unwrap_or(rest.len());
            parts.push(Part::Literal(rest[..end].to_owned()));
            rest = &rest[end..];
        }
    }
    Ok(parts)
}
