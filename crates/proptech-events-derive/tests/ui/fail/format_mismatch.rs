#[derive(proptech_events::WebhookEvent)]
#[webhook(provider = "valara", event = "appointment.scheduled", path = "/data")]
struct Shoot {
    scheduled_at: proptech_events::DateTime,
}

fn main() {}
