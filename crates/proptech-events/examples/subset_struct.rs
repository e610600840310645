//! A receiver's own three-field view of a Repull reservation, checked against the schema at compile
//! time, receiving a real delivery:
//!
//! ```text
//! cargo run -p proptech-events --example subset_struct -- schemas/repull/fixtures/reservation.created.event-page.json
//! ```

use proptech_events::WebhookEvent;
use serde::Deserialize;

#[derive(Deserialize, WebhookEvent)]
#[webhook(provider = "repull", event = "reservation.created", path = "/data")]
#[serde(rename_all = "camelCase")]
struct Reservation {
    confirmation_code: String,
    check_in: proptech_events::Date,
    nights: u64,
}

#[derive(Deserialize)]
struct Delivery {
    data: Reservation,
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: subset <delivery.json>");
    let body = std::fs::read(&path).expect("the delivery is readable");
    let delivery: Delivery = serde_json::from_slice(&body).expect("the delivery parses");
    let r = delivery.data;
    println!("{} {} {}", r.confirmation_code, r.check_in, r.nights);
}
