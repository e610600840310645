#[derive(proptech_events::WebhookEvent)]
#[webhook(provider = "repull", event = "reservation.created", version = "1")]
struct Reservation;

fn main() {}
