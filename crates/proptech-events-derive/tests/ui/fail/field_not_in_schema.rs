#[derive(proptech_events::WebhookEvent)]
#[webhook(provider = "repull", event = "reservation.created", path = "/data")]
struct Reservation {
    confirmation_code: String,
}

fn main() {}
