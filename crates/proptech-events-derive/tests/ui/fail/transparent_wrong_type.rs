// A transparent wrapper is checked as its one field.
#[derive(serde::Deserialize, proptech_events::WebhookEvent)]
#[webhook(provider = "valara", event = "appointment.scheduled", path = "/data/duration_minutes")]
#[serde(transparent)]
struct Minutes(String);

fn main() {}
