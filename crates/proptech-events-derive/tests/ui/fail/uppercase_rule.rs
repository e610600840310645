// `UPPERCASE` keeps underscores as serde does: the checked name is `LISTING_NUMBER`.
#[derive(serde::Deserialize, proptech_events::WebhookEvent)]
#[webhook(provider = "valara", event = "appointment.scheduled", path = "/data")]
#[serde(rename_all = "UPPERCASE")]
struct Shoot {
    listing_number: String,
}

fn main() {}
