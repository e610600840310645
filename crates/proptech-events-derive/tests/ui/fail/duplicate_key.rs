#[derive(proptech_events::WebhookEvent)]
#[webhook(provider = "repull", provider = "valara", event = "reservation.created")]
struct Reservation;

fn main() {}
