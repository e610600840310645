struct Count(u32);

#[derive(proptech_events::WebhookEvent)]
#[webhook(provider = "repull", event = "reservation.created", path = "/data")]
struct Reservation {
    nights: Count,
}

fn main() {}
