#[derive(serde::Deserialize, proptech_events::WebhookEvent)]
#[webhook(provider = "lavanda", event = "v1.crm.contact.created", path = "/contact")]
#[serde(rename_all = "camelCase")]
struct Contact {
    secondary_emails: Vec<i64>,
}

fn main() {}
