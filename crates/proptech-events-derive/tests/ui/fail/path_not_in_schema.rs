#[derive(proptech_events::WebhookEvent)]
#[webhook(provider = "repull", event = "reservation.created", path = "/dat")]
struct Reservation {}

fn main() {}
