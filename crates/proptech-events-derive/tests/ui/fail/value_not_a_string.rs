#[derive(proptech_events::WebhookEvent)]
#[webhook(provider = repull, event = "reservation.created")]
struct Reservation;

fn main() {}
