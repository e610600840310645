#[derive(proptech_events::WebhookEvent)]
#[webhook(provider = "valara", event = "listing.created", path = "/data")]
struct Listing {
    agent_two_id: String,
}

fn main() {}
