#[derive(proptech_events::WebhookEvent)]
#[webhook(provider = "repull", event = "reservation.create")]
struct Reservation;

fn main() {}
