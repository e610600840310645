//! Hand-written subsets of four providers' events, checked against their schemas.

use proptech_events::WebhookEvent;
use serde::Deserialize;

/// Three fields of a Repull reservation, parsed from the envelope's `data`.
#[derive(Deserialize, WebhookEvent)]
#[webhook(provider = "repull", event = "reservation.created", path = "/data")]
#[serde(rename_all = "camelCase")]
struct Reservation {
    confirmation_code: String,
    check_in: proptech_events::Date,
    guests: Guests,
}

#[derive(Deserialize, WebhookEvent)]
#[webhook(provider = "repull", event = "reservation.created", path = "/data/guests")]
struct Guests {
    adults: u64,
    #[serde(rename = "children")]
    kids: i64,
}

/// Valara's shoot: a bounded integer fits a small type.
#[derive(Deserialize, WebhookEvent)]
#[webhook(provider = "valara", event = "appointment.scheduled", path = "/data")]
struct Shoot {
    listing_number: String,
    duration_minutes: u16,
    scheduled_at: std::borrow::Cow<'static, str>,
}

/// A flat Lavanda event, keeping a nested object as a JSON value.
#[derive(Deserialize, WebhookEvent)]
#[webhook(provider = "lavanda", event = "v1.crm.contact.created")]
struct Contact {
    id: String,
    contact: serde_json::Value,
}

/// An EverReal envelope with a checked nested payload.
#[derive(Deserialize, WebhookEvent)]
#[webhook(provider = "everreal", event = "LISTING_CANDIDATE_APPLIED")]
struct Applied {
    uuid: String,
    #[serde(rename = "createdAt")]
    created_at: String,
    data: Candidate,
}

#[derive(Deserialize, WebhookEvent)]
#[webhook(provider = "everreal", event = "LISTING_CANDIDATE_APPLIED", path = "/data")]
#[serde(rename_all = "camelCase")]
struct Candidate {
    email: String,
    first_name: String,
    #[webhook(unchecked)]
    listing: std::collections::HashMap<String, serde_json::Value>,
}

fn main() {
    let sample: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../../schemas/repull/fixtures/reservation.created.event-page.json"
    ))
    .expect("the fixture is JSON");
    let r: Reservation = serde_json::from_value(sample["data"].clone()).expect("the subset parses");
    assert_eq!(r.confirmation_code, "HMA1234567");
    assert_eq!(r.check_in.as_str(), "2026-06-01");
    assert_eq!((r.guests.adults, r.guests.kids), (2, 0));
    assert_eq!(Guests::SCHEMA_PATH, "/data/guests");
    assert_eq!(Shoot::CATEGORY, "Appointment Lifecycle");
    assert_eq!(Contact::EVENT_TYPE, "v1.crm.contact.created");
    assert_eq!(<Applied as WebhookEvent>::SCHEMA_PATH, "");
    assert_eq!(Candidate::SCHEMA_PATH, "/data");
}
