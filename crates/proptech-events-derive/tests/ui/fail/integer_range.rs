#[derive(proptech_events::WebhookEvent)]
#[webhook(provider = "repull", event = "reservation.created", path = "/data")]
struct Reservation {
    nights: u8,
    id: u64,
}

fn main() {}
