#[derive(proptech_events::WebhookEvent)]
#[webhook(provider = "repull")]
struct Reservation;

fn main() {}
