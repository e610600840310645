//! Verified (and unverified) deliveries as CloudEvents 1.0 (feature `cloudevents`), for teams that
//! forward them to their own pipelines: one envelope for every provider.
//!
//! | attribute | value |
//! |---|---|
//! | `id` | the delivery's dedupe id ([`Verified::id`]): a retry carries it again |
//! | `source` | the provider's documented base URL (its descriptor's `[cloudevents]`; EverReal's names the customer's subdomain) |
//! | `type` | `<provider>.<event type>` (`repull.reservation.created`) |
//! | `time` | the envelope member the descriptor names (Repull's and EverReal's `createdAt`), else the signed timestamp |
//! | `dataschema` | the event schema's `$id`; absent for an event type this version does not know |
//! | `datacontenttype`, `data` | `application/json`, the delivery's JSON (the typed event keeps every member) |
//!
//! An [`Unverified`] delivery's CloudEvent is only what its body says: EverReal signs nothing,
//! so its `source` (the body's `subdomain`), `id` and `time` are the sender's word. Do not take
//! that `source` for the tenant's identity.
//!
//! ```
//! # #[cfg(feature = "repull")] {
//! use proptech_events::receive::{Receiver, RepullReceiver};
//! use cloudevents::AttributesReader;
//!
//! let secret = "whsec_k7d9f2example";
//! let body = br#"{"type":"repull.ping","deliveryId":"del_1","createdAt":"2026-05-01T12:00:00Z","data":{"message":"Ping"}}"#;
//! let headers = RepullReceiver::sign(&[secret], "del_1", 0, body)?;
//! let receiver = RepullReceiver::with_secrets([secret])?;
//! let now = 1_777_637_000; // 2026-05-01T12:03:20Z, inside Repull's replay horizon
//! let delivery = receiver.receive_at(&headers, body, now)?;
//! let event = delivery.to_cloud_event()?;
//! assert_eq!(event.ty(), "repull.repull.ping");
//! assert_eq!(event.source(), "https://api.repull.dev");
//! assert_eq!(event.id(), "del_1");
//! assert_eq!(event.time().map(|t| t.to_rfc3339()).as_deref(), Some("2026-05-01T12:00:00+00:00"));
//! assert_eq!(
//!     event.dataschema().map(|u| u.as_str()),
//!     Some("https://schemas.proptech-events.dev/repull/events/repull.ping.json")
//! );
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use cloudevents::{EventBuilder, EventBuilderV10};
use serde_json::Value;

use super::{Unverified, Verified};
use crate::__private::ProviderEvent;
use crate::Provider;

/// Why a delivery cannot be written as a CloudEvent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CloudEventError {
    /// The provider's descriptor has no `[cloudevents]` table: no documented base URL for `source`.
    #[error("{provider} documents no base URL for a CloudEvent's source")]
    NoSource {
        /// The provider.
        provider: Provider,
    },
    /// The envelope member the source names is missing, or not a DNS label.
    #[error("the envelope member {member} is missing or not a DNS label: no CloudEvent source")]
    SourceMember {
        /// The member.
        member: &'static str,
    },
    /// The member that dates the event is not an RFC 3339 date-time.
    #[error("the envelope member {member} is not an RFC 3339 date-time")]
    Time {
        /// The member.
        member: &'static str,
    },
    /// The typed event did not serialise (it always does for a parsed delivery).
    #[error("the event did not serialise: {0}")]
    Data(#[from] serde_json::Error),
    /// The SDK refused an attribute.
    #[error(transparent)]
    Build(#[from] cloudevents::event::EventBuilderError),
}

impl<E: ProviderEvent> Verified<E> {
    /// The delivery as a CloudEvent 1.0 (see [the module](self) for each attribute).
    pub fn to_cloud_event(&self) -> Result<cloudevents::Event, CloudEventError> {
        cloud_event(&self.event, &self.id, self.timestamp)
    }
}

impl<E: ProviderEvent> Unverified<E> {
    /// The delivery as a CloudEvent 1.0 (see [the module](self)); its authenticity is not
    /// established, and nothing in the CloudEvent says otherwise.
    pub fn to_cloud_event(&self) -> Result<cloudevents::Event, CloudEventError> {
        cloud_event(&self.event, &self.id, None)
    }
}

fn cloud_event<E: ProviderEvent>(
    event: &E,
    id: &str,
    signed_at: Option<i64>,
) -> Result<cloudevents::Event, CloudEventError> {
    let provider = E::PROVIDER;
    let contract = provider.contract();
    let attributes = contract
        .cloudevents
        .as_ref()
        .ok_or(CloudEventError::NoSource { provider })?;
    let data = serde_json::to_value(event)?;
    let source = source(attributes.source, &data)?;
    let event_type = event.event_type();
    let mut builder = EventBuilderV10::new()
        .id(id)
        .source(source)
        .ty(format!("{}.{event_type}", provider.as_str()));
    let time = match attributes.time_member {
        Some(member) => match data.get(member) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(
                chrono::DateTime::parse_from_rfc3339(text)
                    .map_err(|_| CloudEventError::Time { member })?
                    .to_utc(),
            ),
            Some(_) => return Err(CloudEventError::Time { member }),
        },
        None => signed_at.and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
    };
    if let Some(time) = time {
        builder = builder.time(time);
    }
    builder = match provider
        .event(event_type)
        .and_then(|info| schema_id(info.json_schema))
    {
        Some(schema) => builder.data_with_schema("application/json", schema.as_str(), data),
        None => builder.data("application/json", data),
    };
    Ok(builder.build()?)
}

/// `template` with its `{member}` replaced by that envelope member of `data`, which must be a DNS
/// label (it becomes part of a host name).
fn source(template: &'static str, data: &Value) -> Result<String, CloudEventError> {
    let Some((head, rest)) = template.split_once('{') else {
        return Ok(template.to_owned());
    };
    let Some((member, tail)) = rest.split_once('}') else {
        return Ok(template.to_owned());
    };
    // The member's name is a slice of the template: 'static.
    let member: &'static str = &template[head.len() + 1..head.len() + 1 + member.len()];
    let label = data
        .get(member)
        .and_then(Value::as_str)
        .filter(|l| is_dns_label(l))
        .ok_or(CloudEventError::SourceMember { member })?;
    // Host names are case-insensitive: one tenant, one source.
    Ok(format!("{head}{}{tail}", label.to_ascii_lowercase()))
}

/// RFC 1123: 1 to 63 letters, digits and hyphens, neither first nor last a hyphen.
fn is_dns_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// The `$id` of a schema's text.
fn schema_id(schema: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Id {
        #[serde(rename = "$id")]
        id: String,
    }
    serde_json::from_str::<Id>(schema).ok().map(|i| i.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_member_must_be_a_dns_label() {
        let template = "https://{subdomain}.everreal.co";
        let ok = serde_json::json!({ "subdomain": "Acme-Homes" });
        assert_eq!(
            source(template, &ok).expect("a label"),
            "https://acme-homes.everreal.co"
        );
        for bad in [
            serde_json::json!({ "subdomain": "evil.com/x?" }),
            serde_json::json!({ "subdomain": "" }),
            serde_json::json!({ "subdomain": "-a" }),
            serde_json::json!({ "subdomain": 7 }),
            serde_json::json!({}),
        ] {
            let err = source(template, &bad).expect_err("not a label");
            assert!(
                matches!(
                    err,
                    CloudEventError::SourceMember {
                        member: "subdomain"
                    }
                ),
                "{bad}: {err:?}"
            );
        }
        assert_eq!(
            source("https://api.repull.dev", &ok).expect("no member"),
            "https://api.repull.dev"
        );
    }
}
