//! The typed parse of each provider (`proptech_events::parse`) on arbitrary bytes.
//!
//! Input: a provider byte, then the body.
//!
//! Invariants, beyond "no panic" and libFuzzer's time and memory limits: every accepted body is
//! JSON text (UTF-8), and its event serialises back to JSON equal to the body (the types guide's
//! lossless promise: `serde_json::Value` equality where the body parses as a `Value`, and numbers
//! no `f64` holds, like `1e400`, kept as the same text; see `same_json`); parsing that JSON again
//! gives the same event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proptech_events_fuzz::{provider, same_json};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let provider = provider(selector);
    let Ok(event) = proptech_events::parse(provider, body) else {
        return;
    };
    let text = std::str::from_utf8(body).expect("an accepted body is UTF-8");
    let back = serde_json::to_string(&event).expect("an event serialises");
    if let Ok(sent) = serde_json::from_str::<serde_json::Value>(text) {
        let back_value: serde_json::Value = serde_json::from_str(&back).expect("JSON");
        assert_eq!(back_value, sent, "not equal as serde_json::Value");
    }
    if let Err(at) = same_json(text, &back) {
        panic!("the event does not serialise back to the body: {at}");
    }
    let again = proptech_events::parse(provider, back.as_bytes())
        .unwrap_or_else(|e| panic!("the serialised event does not parse again: {e}\n{back}"));
    assert_eq!(
        again, event,
        "parsing the serialised event gives another event"
    );
});
