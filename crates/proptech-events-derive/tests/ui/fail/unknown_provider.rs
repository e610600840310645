#[derive(proptech_events::WebhookEvent)]
#[webhook(provider = "repul", event = "reservation.created")]
struct Reservation;

fn main() {}
