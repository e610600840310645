//! typify's types, generated from the bundle's draft-07 twins, accept every sample of every event:
//! each fixture, each `examples` entry, and the hand-made valid instance of an event without
//! example. The crate's own types accept the same corpus.

use std::sync::OnceLock;

use proptech_catalog::SchemaSet;
use proptech_events::{AnyEvent, Provider};
use proptech_publish::samples::Sample;
use serde_json::Value;

fn schema_set() -> &'static SchemaSet {
    static SET: OnceLock<SchemaSet> = OnceLock::new();
    SET.get_or_init(|| SchemaSet::load_workspace().expect("the schema set loads"))
}

/// The corpus every partner generator is checked with (`proptech_publish::samples`).
fn corpus() -> &'static [Sample] {
    static SAMPLES: OnceLock<Vec<Sample>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let valid = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../valid");
        proptech_publish::samples::samples(schema_set(), &valid).expect("the samples load")
    })
}

/// The samples of every event, grouped by event in catalog order.
fn by_event() -> Vec<(&'static str, &'static str, Vec<&'static Sample>)> {
    proptech_typify_partner::EVENTS
        .iter()
        .map(|&(provider, event_type)| {
            let samples: Vec<&Sample> = corpus()
                .iter()
                .filter(|s| s.provider == provider && s.event_type == event_type)
                .collect();
            assert!(!samples.is_empty(), "{provider} {event_type} has no sample");
            (provider, event_type, samples)
        })
        .collect()
}

#[test]
fn typify_generates_types_for_all_90_events() {
    assert_eq!(
        proptech_typify_partner::EVENTS.len(),
        schema_set().events().count()
    );
    assert_eq!(proptech_typify_partner::EVENTS.len(), 90);
    assert!(
        proptech_typify_partner::FAILED.is_empty(),
        "typify could not generate types for {} events: {:#?}",
        proptech_typify_partner::FAILED.len(),
        proptech_typify_partner::FAILED
    );
}

#[test]
fn typify_types_accept_every_valid_sample_of_every_event_and_reject_the_invalid_one() {
    let mut failures = Vec::new();
    let mut accepted_events = 0;
    let mut samples = 0;
    for (provider, event_type, event_samples) in by_event() {
        let mut all = true;
        for Sample {
            what, value, valid, ..
        } in event_samples
        {
            samples += 1;
            match proptech_typify_partner::round_trip(provider, event_type, value) {
                Some(Ok(_)) if *valid => {}
                Some(Err(_)) if !*valid => {}
                Some(Ok(_)) => {
                    all = false;
                    failures.push(format!(
                        "{provider} {event_type}, {what}: accepted, but it breaks the schema"
                    ));
                }
                Some(Err(e)) => {
                    all = false;
                    failures.push(format!("{provider} {event_type}, {what}: {e}"));
                }
                None => {
                    all = false;
                    failures.push(format!("{provider} {event_type}: typify made no types"));
                }
            }
        }
        accepted_events += usize::from(all);
    }
    assert!(
        failures.is_empty(),
        "{} of 90 events accept all their samples; rejected:\n{}",
        accepted_events,
        failures.join("\n")
    );
    assert_eq!(accepted_events, 90);
    assert_eq!(samples, corpus().len(), "every sample belongs to an event");
    assert!(
        corpus().iter().any(|s| !s.valid),
        "the corpus has a sample to reject"
    );
}

/// Whether the crate's own types parse `value` as the event `event_type` (not as `Unknown`).
fn own_types_accept(provider: &str, event_type: &str, value: &Value) -> Result<(), String> {
    let provider: Provider = provider
        .parse()
        .map_err(|e: proptech_events::UnknownProvider| e.to_string())?;
    let bytes = serde_json::to_vec(value).map_err(|e| e.to_string())?;
    let event = proptech_events::parse(provider, &bytes).map_err(|e| e.to_string())?;
    let unknown = matches!(
        &event,
        AnyEvent::Valara(proptech_events::valara::Event::Unknown(_))
            | AnyEvent::Repull(proptech_events::repull::Event::Unknown(_))
            | AnyEvent::Lavanda(proptech_events::lavanda::Event::Unknown(_))
            | AnyEvent::Everreal(proptech_events::everreal::Event::Unknown(_))
    );
    if unknown || event.event_type() != event_type {
        return Err(format!(
            "parsed as {:?}, not as this event",
            event.event_type()
        ));
    }
    Ok(())
}

#[test]
fn the_crates_own_types_judge_the_same_samples_alike() {
    let mut failures = Vec::new();
    let mut samples = 0;
    for (provider, event_type, event_samples) in by_event() {
        for Sample {
            what, value, valid, ..
        } in event_samples
        {
            samples += 1;
            match (own_types_accept(provider, event_type, value), valid) {
                (Ok(()), true) | (Err(_), false) => {}
                (Ok(()), false) => failures.push(format!(
                    "{provider} {event_type}, {what}: accepted, but it breaks the schema"
                )),
                (Err(e), true) => failures.push(format!("{provider} {event_type}, {what}: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "rejected:\n{}", failures.join("\n"));
    assert_eq!(samples, corpus().len(), "every sample belongs to an event");
}

/// The comparison in `crates/proptech-codegen`'s docs, measured on the corpus: how many valid
/// samples each set of types gives back unchanged when serialised again, and whether a type error
/// deep in a payload is reported with its place. Run with `--nocapture` to see the figures.
#[test]
fn round_trips_and_error_places_of_both_generators() {
    let valid: Vec<&Sample> = corpus().iter().filter(|s| s.valid).collect();
    let mut typify_lossless = 0;
    let mut own_lossless = 0;
    for sample in &valid {
        let again = proptech_typify_partner::round_trip(
            &sample.provider,
            &sample.event_type,
            &sample.value,
        )
        .expect("typify has types for every event")
        .expect("typify accepts every valid sample");
        typify_lossless += usize::from(again == sample.value);
        let provider: Provider = sample.provider.parse().expect("a provider");
        let bytes = serde_json::to_vec(&sample.value).expect("serialises");
        let event =
            proptech_events::parse(provider, &bytes).expect("the crate accepts every valid sample");
        own_lossless +=
            usize::from(serde_json::to_value(&event).expect("serialises") == sample.value);
    }
    println!(
        "valid samples: {}; unchanged after a round trip: typify {typify_lossless}, own {own_lossless}",
        valid.len()
    );
    // The README promises the crate's own types are lossless; typify's are not (it normalises
    // date-times and drops explicit nulls of optional members).
    assert_eq!(own_lossless, valid.len());
    assert!(typify_lossless < valid.len());

    // A value the docs do not list for an enum (Valara's `source` is documented as "api" or
    // "dashboard"): the crate's open enums keep it.
    let sample = valid
        .iter()
        .find(|s| s.provider == "valara" && s.event_type == "listing.cancelled")
        .expect("the valara listing.cancelled sample");
    let mut new_value = sample.value.clone();
    *new_value
        .pointer_mut("/data/source")
        .expect("the member exists") = Value::from("mobile_app");
    let typify_new = proptech_typify_partner::round_trip("valara", "listing.cancelled", &new_value)
        .expect("typify has the type");
    let own_new = proptech_events::parse(
        Provider::Valara,
        &serde_json::to_vec(&new_value).expect("serialises"),
    )
    .map(|e| serde_json::to_value(&e).expect("serialises"));
    println!("an undocumented enum value: typify {typify_new:?}, own {own_new:?}");
    assert_eq!(own_new.ok().as_ref(), Some(&new_value));
    assert!(typify_new.is_err(), "typify's enums are closed");

    // A mistyped member deep in a payload: does the error say where?
    let sample = valid
        .iter()
        .find(|s| s.provider == "repull" && s.event_type == "reservation.created")
        .expect("the repull reservation.created sample");
    let mut broken = sample.value.clone();
    *broken
        .pointer_mut("/data/guests/adults")
        .expect("the member exists") = Value::from("two");
    let typify_error =
        proptech_typify_partner::round_trip("repull", "reservation.created", &broken)
            .expect("typify has the type")
            .expect_err("a string for an integer is rejected");
    let own_error = proptech_events::parse(
        Provider::Repull,
        &serde_json::to_vec(&broken).expect("serialises"),
    )
    .expect_err("a string for an integer is rejected")
    .to_string();
    println!("typify: {typify_error}\nown: {own_error}");
    assert!(own_error.contains("/data/guests/adults"), "{own_error}");
    assert!(
        !typify_error.contains("adults"),
        "typify's error now names the place: {typify_error}"
    );
}
