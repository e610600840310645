#[derive(proptech_events::WebhookEvent)]
#[webhook(provider = "repull", event = "reservation.created", path = "/data")]
struct Reservation {
    #[webhook(skip)]
    id: i64,
}

fn main() {}
