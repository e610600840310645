//! Serde's attributes as serde reads them: `rename_all` rules keep underscores, the deserialize
//! half of a split rule counts, aliases, defaults, skipped and flattened fields, and transparent
//! wrappers.

use serde::Deserialize;

/// `lowercase` keeps underscores: `listing_number` stays `listing_number`.
#[derive(Deserialize, proptech_events::WebhookEvent)]
#[webhook(provider = "valara", event = "appointment.scheduled", path = "/data")]
#[serde(rename_all = "lowercase")]
struct Lowercase {
    listing_number: String,
    duration_minutes: u16,
}

/// Only the deserialize rule names what is read.
#[derive(Deserialize, proptech_events::WebhookEvent)]
#[webhook(provider = "repull", event = "reservation.created", path = "/data")]
#[serde(rename_all(serialize = "SCREAMING_SNAKE_CASE", deserialize = "camelCase"))]
struct SplitRule {
    confirmation_code: String,
    #[serde(rename(serialize = "IN", deserialize = "checkIn"))]
    arrival: proptech_events::Date,
}

/// A field read under an alias that is a property; skipped and flattened fields are not
/// properties themselves; a container default makes optional members fine.
#[derive(Deserialize, proptech_events::WebhookEvent)]
#[webhook(provider = "valara", event = "appointment.scheduled", path = "/data")]
#[serde(default)]
struct Shoot {
    #[serde(alias = "listing_number")]
    listing: String,
    #[serde(skip)]
    seen: bool,
    #[serde(flatten)]
    rest: std::collections::BTreeMap<String, serde_json::Value>,
}

impl Default for Shoot {
    fn default() -> Self {
        Shoot {
            listing: String::new(),
            seen: true,
            rest: Default::default(),
        }
    }
}

/// A transparent wrapper reads as its one field, checked against the schema at its path.
#[derive(Deserialize, proptech_events::WebhookEvent)]
#[webhook(provider = "valara", event = "appointment.scheduled", path = "/data/duration_minutes")]
#[serde(transparent)]
struct Minutes(u16);

fn main() {
    let data = serde_json::json!({
        "agency_id": "a", "listing_number": "abc1234", "tour_id": "t",
        "calendar_event_id": "c", "scheduled_at": "s", "duration_minutes": 30
    });
    let l: Lowercase = serde_json::from_value(data.clone()).expect("lowercase keeps underscores");
    assert_eq!((l.listing_number.as_str(), l.duration_minutes), ("abc1234", 30));
    let s: Shoot = serde_json::from_value(data.clone()).expect("the alias is read");
    assert_eq!(s.listing, "abc1234");
    assert!(s.seen && s.rest.contains_key("tour_id"));
    let m: Minutes = serde_json::from_value(data["duration_minutes"].clone()).expect("transparent");
    assert_eq!(m.0, 30);
    let _ = std::mem::size_of::<SplitRule>();
}
