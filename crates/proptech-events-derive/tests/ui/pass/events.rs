use proptech_events::{Provider, WebhookEvent};

#[derive(WebhookEvent)]
#[webhook(provider = "repull", event = "reservation.created")]
struct Reservation;

#[derive(WebhookEvent)]
#[webhook(provider = "lavanda", event = "v1.crm.lead.created")]
struct Lead<T> {
    #[webhook(unchecked)]
    _marker: std::marker::PhantomData<T>,
}

#[derive(WebhookEvent)]
#[webhook(event = "LISTING_CANDIDATE_APPLIED", provider = "everreal")]
enum Applied {}

fn main() {
    assert_eq!(Reservation::PROVIDER, Provider::Repull);
    assert_eq!(Reservation::EVENT_TYPE, "reservation.created");
    assert_eq!(Reservation::CATEGORY, "Reservations");
    assert_eq!(<Lead<u8>>::EVENT_TYPE, "v1.crm.lead.created");
    assert_eq!(Applied::DOCUMENTATION_STATUS, proptech_events::DocumentationStatus::Complete);
    assert_eq!(Applied::DOCUMENTATION_STATUS.as_str(), "complete");
    let schema = Reservation::json_schema();
    assert_eq!(schema["x-event-type"], "reservation.created");
    assert!(schema["$defs"]["envelope"].is_object(), "the schema is bundled");
}
