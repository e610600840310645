//! The same view with the JSON names forgotten: the derive must reject it.

use proptech_events::WebhookEvent;
use serde::Deserialize;

#[derive(Deserialize, WebhookEvent)]
#[webhook(provider = "repull", event = "reservation.created", path = "/data")]
struct Reservation {
    confirmation_code: String,
    nights: u64,
}

fn main() {}
