#[derive(serde::Deserialize, proptech_events::WebhookEvent)]
#[webhook(provider = "everreal", event = "CANDIDATE_PARSED", path = "/data")]
struct Candidate {
    #[serde(rename = "phoneNumber")]
    phone_number: String,
}

fn main() {}
