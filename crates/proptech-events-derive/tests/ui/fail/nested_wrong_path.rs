#[derive(proptech_events::WebhookEvent)]
#[webhook(provider = "repull", event = "reservation.created", path = "/data")]
struct Guests {}

#[derive(proptech_events::WebhookEvent)]
#[webhook(provider = "repull", event = "reservation.created", path = "/data")]
struct Reservation {
    guests: Guests,
}

fn main() {}
