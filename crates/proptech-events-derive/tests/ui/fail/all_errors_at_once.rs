// Every problem of one struct is reported in one expansion.
#[derive(serde::Deserialize, proptech_events::WebhookEvent)]
#[webhook(provider = "valara", event = "appointment.scheduled", path = "/data")]
struct Shoot {
    #[serde(alias = "listing")]
    listing_no: String,
    duration_minutes: bool,
    #[serde(rename(serialize = "agency_id"))]
    agency: String,
    #[webhook(nonsense)]
    tour_id: String,
}

fn main() {}
