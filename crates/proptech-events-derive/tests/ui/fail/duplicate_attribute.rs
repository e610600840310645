#[derive(proptech_events::WebhookEvent)]
#[webhook(provider = "repull", event = "reservation.created")]
#[webhook(provider = "repull", event = "reservation.updated")]
struct Reservation;

fn main() {}
