//! The typed parse against the schemas, judged by an independent validator (the `jsonschema`
//! crate, formats asserted) over systematic mutants of every valid instance the project ships: the
//! documented samples after errata, the hand-made instances of `tests/valid/`, and the schemas'
//! `examples`.
//!
//! Each mutant deletes one member, replaces one value with a value of each JSON type (and with
//! out-of-range numbers and strings that break formats and patterns), or adds an unknown member to
//! one object. The typed parse must accept exactly what the schema accepts, with two deliberate
//! exceptions: a value outside a closed `enum` (or `const`) kept in the enum's catch-all, and an
//! event type the crate does not know kept in `Unknown`. Every accepted mutant must serialise back
//! to JSON equal to itself, unknown members included. The validated route
//! (`receive::parse_validated`, what a receiver with `validate` runs) is judged on the same
//! mutants with no exception at all. The seeds and the judge are the library's
//! (`proptech_conformance::{seeds, judge}`), shared with the `differential` fuzz target.

use std::collections::BTreeMap;

use proptech_conformance::judge::{
    Typed, Verdict, judge, judge_validated_violations, judge_violations, type_pointer,
};
use proptech_conformance::mutate::mutants;
use proptech_conformance::seeds::valid_seeds;
use proptech_conformance::{tests_dir, violations};
use proptech_events::{AnyEvent, Provider};
use serde_json::json;

/// What the typed parse made of `body`, as the judge reads it.
fn typed(provider: Provider, body: &[u8]) -> Typed {
    match proptech_events::parse(provider, body) {
        Ok(event) => {
            let back = serde_json::to_value(&event).expect("serialises");
            if event.unknown().is_some() {
                Typed::Unknown { back }
            } else {
                Typed::Known { back }
            }
        }
        Err(e) => Typed::Rejected(e.to_string()),
    }
}

/// What the validated route (`receive::parse_validated`) made of `body`: the event serialised
/// again, or the error.
fn validated(provider: Provider, body: &[u8]) -> Result<serde_json::Value, String> {
    proptech_events::receive::parse_validated(provider, body)
        .map(|event| serde_json::to_value(&event).expect("serialises"))
        .map_err(|e| e.to_string())
}

#[derive(Default)]
struct Tally {
    mutants: usize,
    both_accept: usize,
    both_reject: usize,
    catch_all: usize,
    unknown: usize,
    validated_accept: usize,
    validated_reject: usize,
}

#[test]
fn typed_parse_accepts_exactly_what_the_schema_accepts() {
    let seeds = valid_seeds();
    assert!(seeds.len() >= 134, "{} seeds", seeds.len());
    let mut tally = Tally::default();
    let mut per_provider: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for seed in &seeds {
        let provider: Provider = seed.provider.parse().expect("provider");
        // The seed itself: valid, and parsed into its own variant.
        let seed_errors = violations(&seed.schema, &seed.value);
        assert!(
            seed_errors.is_empty(),
            "{}: the seed is not valid: {seed_errors:?}",
            seed.origin
        );
        for (what, mutant) in mutants(&seed.value) {
            tally.mutants += 1;
            *per_provider.entry(seed.provider.clone()).or_default() += 1;
            let body = serde_json::to_vec(&mutant).expect("serialises");
            let typed = typed(provider, &body);
            let errors = violations(&seed.schema, &mutant);
            match judge_violations(&type_pointer(&seed.provider), &errors, &mutant, &typed) {
                Ok(Verdict::BothAccept) => tally.both_accept += 1,
                Ok(Verdict::BothReject) => tally.both_reject += 1,
                Ok(Verdict::CatchAll) => tally.catch_all += 1,
                Ok(Verdict::Unknown) => tally.unknown += 1,
                Err(problem) => problems.push(format!("{} — {what}: {problem}", seed.origin)),
            }
            // The validated route, with no exception at all.
            let validated = validated(provider, &body);
            match judge_validated_violations(&errors, &mutant, &validated) {
                Ok(Verdict::BothAccept) => tally.validated_accept += 1,
                Ok(_) => tally.validated_reject += 1,
                Err(problem) => {
                    problems.push(format!("{} — {what} (validated): {problem}", seed.origin));
                }
            }
        }
    }
    println!(
        "{} seeds, {} mutants ({}): {} accepted by both and round-tripped, {} rejected by both, \
         {} kept in an enum's catch-all, {} kept as Unknown; validated route: {} accepted, {} \
         rejected",
        seeds.len(),
        tally.mutants,
        per_provider
            .iter()
            .map(|(p, n)| format!("{p} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        tally.both_accept,
        tally.both_reject,
        tally.catch_all,
        tally.unknown,
        tally.validated_accept,
        tally.validated_reject,
    );
    assert!(
        problems.is_empty(),
        "{} disagreements between the schemas and the typed parse:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        tally.both_accept > 0 && tally.both_reject > 0 && tally.catch_all > 0 && tally.unknown > 0
    );
    // Every catch-all and Unknown verdict of the typed parse is a rejection of the validated
    // route.
    assert_eq!(tally.validated_accept, tally.both_accept);
    assert_eq!(
        tally.validated_reject,
        tally.both_reject + tally.catch_all + tally.unknown
    );
}

/// Unknown members are kept at every level, readable without matching on JSON, and written back as
/// sent, even a number no `f64` holds.
#[test]
fn unknown_members_are_kept_and_readable() {
    let path = tests_dir().join("valid/valara/user.deactivated.json");
    let mut value = proptech_catalog::read_json(&path).expect("instance");
    value["data"]["nickname"] = json!("Ace");
    let body = serde_json::to_vec(&value).expect("serialises");
    let Ok(AnyEvent::Valara(proptech_events::valara::Event::UserDeactivated(e))) =
        proptech_events::parse(Provider::Valara, &body)
    else {
        panic!("user.deactivated with a new member does not parse");
    };
    let nickname = e.data.unknown_member("nickname").expect("kept");
    assert_eq!(nickname.get(), r#""Ace""#);
    assert_eq!(e.data.unknown_members().len(), 1);
    assert_eq!(serde_json::to_value(&e).expect("serialises"), value);

    let body = br#"{"type":"repull.ping","deliveryId":"d5","createdAt":"2026-05-01T12:34:56Z","data":{"message":"m","n":1e400,"o":{"p":[1,2]}}}"#;
    let Ok(AnyEvent::Repull(proptech_events::repull::Event::RepullPing(ping))) =
        proptech_events::parse(Provider::Repull, body)
    else {
        panic!("repull.ping with new members does not parse");
    };
    assert_eq!(
        ping.data.unknown_member("n").map(|n| n.get()),
        Some("1e400")
    );
    let back = serde_json::to_string(&ping).expect("serialises");
    assert!(
        back.contains(r#""n":1e400,"o":{"p":[1,2]}"#),
        "kept as sent: {back}"
    );
    let _: &[(String, Box<serde_json::value::RawValue>)] = ping.data.unknown_members();
}

/// Found by the `differential` fuzz target: a `uri` with a character RFC 3986 does not allow
/// (`^` in the path) was rejected by the schema and accepted by the typed parse. Each such
/// character, and a broken percent-escape, must now be rejected by both; escaped, it is accepted.
#[test]
fn uri_characters_outside_rfc3986_are_rejected_like_the_schema() {
    let schema = "valara/events/listing.created.json";
    let base = proptech_conformance::valid_instance(schema);
    for (url, valid) in [
        ("https://valara.cloud/prop^rty/abc1234", false),
        ("https://valara.cloud/a b", false),
        ("https://valara.cloud/{id}", false),
        ("https://valara.cloud/a|b", false),
        ("https://valara.cloud/caf\u{e9}", false),
        ("https://valara.cloud/a%2", false),
        ("https://valara.cloud/prop%5Erty/abc1234", true),
        ("https://valara.cloud/p?q=1&r=(2)#frag", true),
        // Found by the `differential` fuzz target: a port that is not digits.
        ("https://valara.clttps:./valara.cloubc1234", false),
        ("https://valara.cloud:8443/abc1234", true),
        ("https://valara.cloud:/abc1234", true),
        ("https://valara.cloud:84a3/abc1234", false),
        ("https://a:b:8443/abc1234", false),
        ("https://user:pw@valara.cloud:8443/x", true),
        ("https://[2001:db8::1]:8443/x", true),
        ("https://[2001:db8::1]x/x", false),
        ("https://[v1.fe80::a+en1]/x", true),
        ("https://[::ffff:192.0.2.300]/x", false),
        ("urn:isbn:0451450523", true),
        ("https:", true),
        ("//valara.cloud/x", false),
    ] {
        let mut instance = base.clone();
        instance["data"]["public_url"] = json!(url);
        let body = serde_json::to_vec(&instance).expect("serialises");
        let verdict = judge("valara", schema, &instance, &typed(Provider::Valara, &body));
        let expected = if valid {
            Verdict::BothAccept
        } else {
            Verdict::BothReject
        };
        assert_eq!(verdict, Ok(expected), "{url}");
    }
}

/// Found by the `differential` fuzz target: `john.)mith@getlavanda.com` was accepted by the typed
/// parse and rejected by the schema's `email` format. Each address below is judged by both sides,
/// which must agree (RFC 5321 syntax, ASCII local part, host-name or address-literal domain).
#[test]
fn email_addresses_are_judged_like_the_schema() {
    let schema = "lavanda/events/v1.crm.lead.created.json";
    let base = proptech_conformance::valid_instance(schema);
    let mut accepted = 0;
    for email in [
        "john.)mith@getlavanda.com",
        "john.smith@getlavanda.com",
        "john..smith@getlavanda.com",
        ".john@getlavanda.com",
        "john@getlavanda",
        "john@getlavanda.com.",
        "john@-getlavanda.com",
        "john@get_lavanda.com",
        "john@[192.0.2.1]",
        "john@[IPv6:2001:db8::1]",
        "john@[300.0.2.1]",
        "\"john smith\"@getlavanda.com",
        "\"\"@getlavanda.com",
        "j\u{f6}hn@getlavanda.com",
        "john@xn--bcher-kva.example",
        "john@xn--.example",
        "john@ab--cd.example",
        // A-labels whose decoded code points IDNA allows or not (RFC 5892): an ASCII hyphen
        // (`a-ü`), a letter number (`ⅷ`), a combining mark after a letter or first, a middle dot
        // between two `l`s or not, a superscript digit.
        "john@xn--a--yka.example",
        "john@XN--a--yka.example",
        "john@xn--e5g.example",
        "john@xn--ex-8tb.example",
        "john@xn--ex-7tb.example",
        "john@xn--ll-0ea.example",
        "john@xn--ab-0ea.example",
        "john@xn--pba.example",
        "john+tag!#$%&'*=?^_`{|}~@getlavanda.com",
        "john@getlavanda.com@x",
        "@getlavanda.com",
    ] {
        let mut instance = base.clone();
        instance["lead"]["contacts"][0]["contact"]["primaryEmail"] = json!(email);
        let body = serde_json::to_vec(&instance).expect("serialises");
        let verdict = judge(
            "lavanda",
            schema,
            &instance,
            &typed(Provider::Lavanda, &body),
        );
        assert!(
            matches!(verdict, Ok(Verdict::BothAccept | Verdict::BothReject)),
            "{email}: {verdict:?}"
        );
        accepted += usize::from(verdict == Ok(Verdict::BothAccept));
    }
    assert!(
        (5..15).contains(&accepted),
        "{accepted} accepted: the cases test too little"
    );
}

/// Found by the `differential` fuzz target: `" 2026-04-17"` (a leading space) was accepted by the
/// typed parse, as chrono reads it, and rejected by the schema's `date` format. Each value below
/// is judged by both sides, which must agree.
#[test]
fn dates_are_judged_like_the_schema() {
    let schema = "valara/events/invoice.payment_made.json";
    let base = proptech_conformance::valid_instance(schema);
    let mut accepted = 0;
    for date in [
        " 2026-04-17",
        "2026-04-17",
        "2026-04-17 ",
        "+2026-04-17",
        "02026-04-17",
        "2026-4-17",
        "2026-04-31",
        "2024-02-29",
        "2023-02-29",
        "0000-01-01",
        "2026/04/17",
        "2026-04-17T00:00:00Z",
    ] {
        let mut instance = base.clone();
        instance["api_version"] = json!(date);
        let body = serde_json::to_vec(&instance).expect("serialises");
        let verdict = judge("valara", schema, &instance, &typed(Provider::Valara, &body));
        assert!(
            matches!(verdict, Ok(Verdict::BothAccept | Verdict::BothReject)),
            "{date:?}: {verdict:?}"
        );
        accepted += usize::from(verdict == Ok(Verdict::BothAccept));
    }
    assert_eq!(
        accepted, 3,
        "2026-04-17, 2024-02-29 and 0000-01-01 are dates"
    );
}

/// `date-time` values at the edges of RFC 3339 where chrono and the schema's format could part:
/// a space for the `T`, a leap second away from 23:59 UTC, offsets past 23:59, a bare fraction.
/// Each value is judged by both sides, which must agree.
#[test]
fn date_times_are_judged_like_the_schema() {
    let schema = "repull/events/listing.deleted.json";
    let base = proptech_conformance::valid_instance(schema);
    let mut accepted = Vec::new();
    for date_time in [
        "2026-05-01T12:34:56Z",
        "2026-05-01t12:34:56z",
        "2026-05-01 12:34:56Z",
        "2026-05-01T12:34:56.123456789123Z",
        "2026-05-01T12:34:56.Z",
        "2026-05-01T12:34:56",
        "2026-05-01T12:34:56+0100",
        "2026-05-01T12:34:56+24:00",
        "2026-05-01T12:34:56-23:59",
        "2026-05-01T12:34:56-00:00",
        "2026-12-31T23:59:60Z",
        "2026-12-31T15:59:60-08:00",
        "2026-12-31T23:59:60+01:00",
        "2026-05-01T12:34:60Z",
        "2026-05-01T24:00:00Z",
        "2026-02-30T12:34:56Z",
        "0000-01-01T00:00:00+01:00",
        " 2026-05-01T12:34:56Z",
        "2026-05-01T12:34:56Z ",
        "2026-05-01T1:34:56Z",
    ] {
        let mut instance = base.clone();
        instance["data"]["deletedAt"] = json!(date_time);
        let body = serde_json::to_vec(&instance).expect("serialises");
        let verdict = judge("repull", schema, &instance, &typed(Provider::Repull, &body));
        assert!(
            matches!(verdict, Ok(Verdict::BothAccept | Verdict::BothReject)),
            "{date_time:?}: {verdict:?}"
        );
        if verdict == Ok(Verdict::BothAccept) {
            accepted.push(date_time);
        }
    }
    assert_eq!(
        accepted,
        [
            "2026-05-01T12:34:56Z",
            "2026-05-01t12:34:56z",
            "2026-05-01T12:34:56.123456789123Z",
            "2026-05-01T12:34:56-23:59",
            "2026-05-01T12:34:56-00:00",
            "2026-12-31T23:59:60Z",
            "2026-12-31T15:59:60-08:00",
            "0000-01-01T00:00:00+01:00",
        ]
    );
}

/// Every schema `pattern`'s generated matcher (a DFA written out as Rust) against the `jsonschema`
/// crate's `pattern` verdict, over every string of the valid corpus and strings one edit away
/// from each: a character dropped, doubled, or replaced by its neighbours and by a multi-byte one,
/// the case flipped, and text put before and after.
#[test]
fn pattern_matchers_agree_with_the_schema_validator() {
    fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            serde_json::Value::Object(map) => map.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    let mut corpus = Vec::new();
    for seed in valid_seeds() {
        strings(&seed.value, &mut corpus);
    }
    corpus.sort();
    corpus.dedup();
    let mut inputs = vec![String::new()];
    for s in &corpus {
        let chars: Vec<char> = s.chars().collect();
        inputs.push(s.clone());
        inputs.push(s.to_uppercase());
        inputs.push(s.to_lowercase());
        inputs.push(format!("x{s}"));
        inputs.push(format!("{s}x"));
        inputs.push(format!("{s}\n"));
        for i in 0..chars.len().min(40) {
            let with = |c: Option<char>, keep: bool| {
                let mut v = chars.clone();
                match (c, keep) {
                    (Some(c), true) => v.insert(i, c),
                    (Some(c), false) => v[i] = c,
                    (None, _) => {
                        v.remove(i);
                    }
                }
                v.into_iter().collect::<String>()
            };
            inputs.push(with(None, false));
            inputs.push(with(Some(chars[i]), true));
            let c = u32::from(chars[i]);
            for n in [c.wrapping_sub(1), c + 1, 0xE9] {
                if let Some(n) = char::from_u32(n) {
                    inputs.push(with(Some(n), false));
                }
            }
        }
    }
    inputs.sort();
    inputs.dedup();
    assert!(!proptech_events::__private::PATTERN_MATCHERS.is_empty());
    for &(pattern, matches) in proptech_events::__private::PATTERN_MATCHERS {
        let schema = json!({ "type": "string", "pattern": pattern });
        let validator = jsonschema::validator_for(&schema).expect("the pattern compiles");
        let (mut accepted, mut rejected) = (0, 0);
        for input in &inputs {
            let expected = validator.is_valid(&json!(input));
            assert_eq!(matches(input), expected, "{pattern} on {input:?}");
            if expected {
                accepted += 1;
            } else {
                rejected += 1;
            }
        }
        println!(
            "{pattern}: {accepted} accepted, {rejected} rejected of {}",
            inputs.len()
        );
        assert!(accepted > 0 && rejected > 0, "{pattern}");
    }
}
