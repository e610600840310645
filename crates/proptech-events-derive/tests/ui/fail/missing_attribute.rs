#[derive(proptech_events::WebhookEvent)]
struct Reservation;

fn main() {}
