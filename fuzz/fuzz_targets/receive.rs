//! Each provider's receiver on arbitrary headers (names, values, repeats, lengths) and body, with
//! fixed secrets and clock.
//!
//! Input: a provider byte, header lines, an empty line, the body (`split_request`).
//!
//! Invariants, beyond "no panic" and libFuzzer's time and memory limits:
//! - a signed provider returns `Ok` only when the request carries a signature, computed here from
//!   the documented recipe, of exactly these bytes and of the id and timestamp the delivery
//!   reports, within the ±5-minute window; the event is the typed parse of those bytes;
//! - EverReal, unsigned by design, yields only `Unverified` (a different type), reads no header
//!   (the same body with no headers gives the same answer), and its id is the body's `uuid`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proptech_events::receive::{EverrealReceiver, LavandaReceiver, RepullReceiver, ValaraReceiver};
use proptech_events::{AnyEvent, Provider};
use proptech_events_fuzz::*;

struct Receivers {
    valara: ValaraReceiver,
    repull: RepullReceiver,
    lavanda: LavandaReceiver,
    everreal: EverrealReceiver,
}

fn receivers() -> &'static Receivers {
    static R: std::sync::OnceLock<Receivers> = std::sync::OnceLock::new();
    R.get_or_init(|| Receivers {
        valara: ValaraReceiver::new(VALARA_SECRETS)
            .expect("secrets")
            .with_clock(|| NOW),
        repull: RepullReceiver::new(REPULL_SECRETS)
            .expect("secrets")
            .with_clock(|| NOW),
        lavanda: LavandaReceiver::new(LAVANDA_SECRETS)
            .expect("secrets")
            .with_clock(|| NOW),
        everreal: EverrealReceiver::unverified().with_clock(|| NOW),
    })
}

fn typed_event(provider: Provider, body: &[u8]) -> AnyEvent {
    proptech_events::parse(provider, body).expect("a verified delivery parses on its own")
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (headers, body) = split_request(rest);
    let r = receivers();
    match provider(selector) {
        Provider::Valara => {
            if let Ok(v) = r.valara.receive(&headers, body) {
                let ts = v.timestamp().expect("Valara signs a timestamp");
                assert!(
                    valara_signed(&headers, body, ts, &VALARA_SECRETS),
                    "Valara: verified without a valid signature: {headers:?}"
                );
                assert!((ts - NOW).abs() <= TOLERANCE, "Valara: stale {ts} verified");
                assert_eq!(
                    AnyEvent::Valara(v.event().clone()),
                    typed_event(Provider::Valara, body)
                );
            }
        }
        Provider::Repull => {
            if let Ok(v) = r.repull.receive(&headers, body) {
                assert!(
                    repull_signed(&headers, body, &REPULL_SECRETS),
                    "Repull: verified without a valid signature: {headers:?}"
                );
                // Never older than the replay horizon (7 days and the tolerance), nor further
                // ahead than the tolerance.
                let created = serde_json::from_slice::<serde_json::Value>(body)
                    .ok()
                    .and_then(|b| {
                        b.get("createdAt")
                            .and_then(|c| c.as_str())
                            .map(str::to_owned)
                    })
                    .and_then(|c| chrono::DateTime::parse_from_rfc3339(&c).ok());
                // Every accepted delivery is dated: an undated one could be replayed for ever.
                let created = created.expect("Repull: an undated delivery verified");
                assert!(
                    NOW - created.timestamp() <= (REPLAY_HORIZON as i64) + TOLERANCE,
                    "Repull: stale {created} verified"
                );
                assert!(
                    created.timestamp() - NOW <= TOLERANCE,
                    "Repull: future {created} verified"
                );
                assert_eq!(
                    AnyEvent::Repull(v.event().clone()),
                    typed_event(Provider::Repull, body)
                );
            }
        }
        Provider::Lavanda => {
            if let Ok(v) = r.lavanda.receive(&headers, body) {
                let ts = v.timestamp().expect("Lavanda signs a timestamp");
                assert!(
                    lavanda_signed(&headers, body, v.id(), ts, &LAVANDA_SECRETS),
                    "Lavanda: verified without a valid signature: {headers:?}"
                );
                assert!(
                    (ts - NOW).abs() <= TOLERANCE,
                    "Lavanda: stale {ts} verified"
                );
                assert_eq!(
                    AnyEvent::Lavanda(v.event().clone()),
                    typed_event(Provider::Lavanda, body)
                );
            }
        }
        _ => {
            let got = r.everreal.receive_unverified(&headers, body);
            let bare = r.everreal.receive_unverified(&RawHeaders::new(), body);
            match (&got, &bare) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a, b, "EverReal: the headers changed the delivery");
                    assert_eq!(
                        AnyEvent::Everreal(a.event().clone()),
                        typed_event(Provider::Everreal, body)
                    );
                    let uuid = serde_json::from_slice::<serde_json::Value>(body)
                        .ok()
                        .and_then(|v| v.get("uuid").and_then(|u| u.as_str().map(str::to_owned)));
                    if let Some(uuid) = uuid {
                        assert_eq!(a.id(), uuid, "EverReal: the id is not the body's uuid");
                    }
                }
                (Err(a), Err(b)) => assert_eq!(a.code(), b.code()),
                _ => panic!("EverReal: the headers changed the answer: {got:?} vs {bare:?}"),
            }
        }
    }
});
