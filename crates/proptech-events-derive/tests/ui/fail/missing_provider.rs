#[derive(proptech_events::WebhookEvent)]
#[webhook(event = "reservation.created")]
struct Reservation;

fn main() {}
