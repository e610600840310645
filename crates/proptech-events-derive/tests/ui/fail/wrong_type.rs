#[derive(serde::Deserialize, proptech_events::WebhookEvent)]
#[webhook(provider = "repull", event = "reservation.created", path = "/data")]
#[serde(rename_all = "camelCase")]
struct Reservation {
    listing_id: String,
}

fn main() {}
