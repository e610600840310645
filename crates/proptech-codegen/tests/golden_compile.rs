//! Every golden file compiles, and code written against the types of a schema set still compiles
//! after changes `cargo xtask compat` calls compatible for the Rust API (`compat_v1` →
//! `compat_v2`: a new optional member, a new enum value, a loosened bound, a new event type).
//! `compat_clients.rs` proves the same for every change kind, both outcomes.
//!
//! Generated code names the items of `proptech-events` as `crate::…` and invokes its internal
//! `open_enum!`/`pattern_string!` macros, so this test crate re-exports the crate at its root and
//! includes the same macro file before the golden modules.
#![allow(
    dead_code,
    unused_imports,
    unused_macros,
    unexpected_cfgs,
    missing_docs,
    clippy::exhaustive_structs
)]

pub use proptech_events::*;

/// `crate::__private` as generated code sees it, with one difference: the catch-all of an open
/// enum is built by `open_enum!` in the module that invokes it, and the real one's field is private
/// to `proptech-events`, so this crate supplies a twin with a public field.
pub mod __private {
    pub use proptech_events::__private::*;

    #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct PrivOwnedStr(pub Box<str>);

    impl PrivOwnedStr {
        pub fn as_str(&self) -> &str {
            &self.0
        }
    }
}

#[macro_use]
#[path = "../../proptech-events/src/macros.rs"]
mod macros;

#[rustfmt::skip]
#[path = "golden/generated@all_of.snap.rs"]
mod all_of;
#[rustfmt::skip]
#[path = "golden/generated@basic.snap.rs"]
mod basic;
#[rustfmt::skip]
#[path = "golden/generated@checks.snap.rs"]
mod checks;
#[rustfmt::skip]
#[path = "golden/generated@compat_v1.snap.rs"]
mod compat_v1;
#[rustfmt::skip]
#[path = "golden/generated@compat_v2.snap.rs"]
mod compat_v2;
#[rustfmt::skip]
#[path = "golden/generated@envelope.snap.rs"]
mod envelope;
#[rustfmt::skip]
#[path = "golden/generated@enums.snap.rs"]
mod enums;
#[rustfmt::skip]
#[path = "golden/generated@nested.snap.rs"]
mod nested;
#[rustfmt::skip]
#[path = "golden/generated@names.snap.rs"]
mod names;
#[rustfmt::skip]
#[path = "golden/generated@one_of.snap.rs"]
mod one_of;
#[rustfmt::skip]
#[path = "golden/generated@pattern_properties.snap.rs"]
mod pattern_properties;
#[rustfmt::skip]
#[path = "golden/generated@patterns.snap.rs"]
mod patterns;
#[rustfmt::skip]
#[path = "golden/generated@prefix_items.snap.rs"]
mod prefix_items;
#[rustfmt::skip]
#[path = "golden/generated@recursive.snap.rs"]
mod recursive;
#[rustfmt::skip]
#[path = "golden/generated@personal.snap.rs"]
mod personal_members;

/// A client of the `compat_v*` types as a user writes it: builds an event with `new`, sets an
/// optional member, matches the enum with a wildcard, reads `as_str()`, and parses deliveries.
/// `tests/compat/breaking.rs` is the same client against a breaking change and must not compile.
macro_rules! client {
    ($name:ident, $m:ident) => {
        #[test]
        fn $name() {
            let mut unit = $m::SpacesUnitCreated::new(
                "Flat 3".to_owned(),
                $m::SpacesUnitCreatedStatus::Active,
            );
            unit.note = Some("garden view".to_owned());
            unit.rooms = Some(3);
            let label = match &unit.status {
                $m::SpacesUnitCreatedStatus::Active => "live",
                $m::SpacesUnitCreatedStatus::Archived => "gone",
                _ => "other",
            };
            assert_eq!(label, "live");
            assert_eq!(unit.status.as_str(), "active");
            let body = serde_json::to_vec(&unit).expect("serialises");
            match $m::parse(&body).expect("own output parses") {
                $m::Event::SpacesUnitCreated(back) => assert_eq!(back, unit),
                other => panic!("{other:?}"),
            }
            let body = br#"{"type":"v1.spaces.unit.created","name":"B","status":"frozen"}"#;
            match $m::parse(body).expect("parses") {
                $m::Event::SpacesUnitCreated(u) => {
                    assert_eq!(u.status.as_str(), "frozen");
                    assert!(!u.status.is_documented());
                }
                other => panic!("{other:?}"),
            }
            let body = br#"{"type":"v1.unit.moved","name":"C"}"#;
            let event = $m::parse(body).expect("parses");
            assert_eq!(event.event_type(), "v1.unit.moved");
            assert!(matches!(event, $m::Event::Unknown(_)), "{event:?}");
        }
    };
}

client!(client_compiles_against_version_1, compat_v1);
client!(client_compiles_against_version_2, compat_v2);

#[test]
fn version_2_reads_what_version_1_did_not_know() {
    let body =
        br#"{"type":"v1.spaces.unit.created","name":"A","status":"draft","floor":2,"rooms":0}"#;
    match compat_v2::parse(body).expect("parses") {
        compat_v2::Event::SpacesUnitCreated(u) => {
            assert!(matches!(
                u.status,
                compat_v2::SpacesUnitCreatedStatus::Draft
            ));
            assert_eq!(u.rooms, Some(0));
        }
        other => panic!("{other:?}"),
    }
    // The same delivery under version 1: the bound it had rejects `rooms: 0`.
    assert!(compat_v1::parse(body).is_err());
}

/// Evidence for two wire verdicts of `compat` (issue #29): a member that is no longer required
/// and a type widened from `integer` to `number` let the provider send deliveries that a receiver
/// on the old schema rejects (Confluent's FORWARD direction), here the generated `compat_v1`.
#[test]
fn a_dropped_required_or_a_widened_type_breaks_receivers_on_the_old_schema() {
    let ok = br#"{"type":"v1.spaces.unit.created","name":"A","status":"active","rooms":2}"#;
    assert!(compat_v1::parse(ok).is_ok());
    let without_name = br#"{"type":"v1.spaces.unit.created","status":"active"}"#;
    let error = compat_v1::parse(without_name).expect_err("`name` is required in version 1");
    assert!(error.message.contains("missing field `name`"), "{error}");
    let fractional =
        br#"{"type":"v1.spaces.unit.created","name":"A","status":"active","rooms":1.5}"#;
    let error = compat_v1::parse(fractional).expect_err("`rooms` is an integer in version 1");
    assert_eq!(error.path, "/rooms", "{error}");
}

#[test]
fn golden_modules_parse_what_they_promise() {
    let event = basic::parse(
        br#"{"id":"3f1c6f0e-8a5b-4c1e-9d2a-0b6e1f2a3c4d","type":"v1.spaces.building.created","name":"a","deleted_at":null}"#,
    )
    .expect("valid event parses");
    assert!(
        matches!(event, basic::Event::SpacesBuildingCreated(_)),
        "{event:?}"
    );
    assert!(
        basic::parse(
            br#"{"id":"x","type":"v1.spaces.building.created","name":"a","deleted_at":null}"#
        )
        .is_err()
    );
    assert!(patterns::parse(br#"{"type":"v1.booking.updated","listing":"ABC"}"#).is_err());
    assert!(patterns::parse(br#"{"type":"v1.booking.updated","listing":"abc1234"}"#).is_ok());
}

/// Members marked `x-personal-data` print their placeholder in `Debug` (a nested struct's marks
/// too, unknown members by name only); unmarked members print as they are.
#[test]
fn debug_redacts_marked_members_and_shows_the_rest() {
    let body = br#"{"id":"c1","type":"v1.crm.contact.created","name":"Ana Ruiz",
        "email":"ana@example.com","nickname":null,"phones":["+351 900 000 000"],
        "source":"website","home":{"street":"Rua Augusta 1","country":"PT"},
        "notes":{"text":"prefers calls"},"guestPhone":"+351 911 111 111"}"#;
    let event = personal_members::parse(body).expect("parses");
    let shown = format!("{event:?}");
    for hidden in [
        "Ana Ruiz",
        "ana@example.com",
        "+351 900",
        "Rua Augusta",
        "prefers calls",
        "+351 911",
    ] {
        assert!(!shown.contains(hidden), "{hidden} in {shown}");
    }
    for visible in [
        "\"website\"",
        "\"PT\"",
        "[redacted: identity, 8 chars]",
        "[redacted: contact, 1 items]",
        "[redacted: free-text, 1 members]",
        "nickname: None",
        "\"guestPhone\": [not shown: string]",
    ] {
        assert!(shown.contains(visible), "no {visible} in {shown}");
    }
}

#[test]
fn a_breaking_change_breaks_the_client() {
    trybuild::TestCases::new().compile_fail("tests/compat/breaking.rs");
}

/// The envelope's members besides `data` are read by code that does not know the payload type;
/// what it reads must be exactly what a per-payload reader would: every member, the event type
/// checked, unknown members kept in place, and errors naming the member that failed.
#[test]
fn the_generic_envelope_reads_every_member() {
    let body = br#"{"uuid":"u1","operation":"UNIT_CREATED","createdAt":"2026-05-01T12:34:56Z","data":{"id":"7"},"tenant":{"a":1}}"#;
    let envelope::Event::UnitCreated(event) = envelope::parse(body).expect("valid delivery parses")
    else {
        panic!("not UnitCreated");
    };
    assert_eq!(event.uuid, "u1");
    assert_eq!(event.data.id, "7");
    assert_eq!(
        event.created_at.as_ref().map(|t| t.as_str()),
        Some("2026-05-01T12:34:56Z")
    );
    assert_eq!(
        event.unknown_member("tenant").map(|raw| raw.get()),
        Some(r#"{"a":1}"#)
    );
    assert_eq!(
        serde_json::to_vec(&event).expect("serialises"),
        body.to_vec()
    );

    let error = |body: &[u8]| envelope::parse(body).expect_err("rejected");
    let e = error(br#"{"uuid":"u1","operation":"UNIT_CREATED","data":{}}"#);
    assert_eq!(
        (e.path.as_str(), e.message.contains("`id`")),
        ("/data", true),
        "{e}"
    );
    let e = error(
        br#"{"uuid":"u1","operation":"UNIT_CREATED","createdAt":"2026-05-01","data":{"id":"7"}}"#,
    );
    assert_eq!(e.path, "/createdAt", "{e}");
    let e = error(br#"{"uuid":"u1","uuid":"u2","operation":"UNIT_CREATED","data":{"id":"7"}}"#);
    assert!(e.message.contains("duplicate field `uuid`"), "{e}");
    let e =
        error(br#"{"uuid":"u1","operation":"UNIT_CREATED","data":{"id":"7"},"data":{"id":"8"}}"#);
    assert!(e.message.contains("duplicate field `data`"), "{e}");
    let e = error(br#"{"operation":"UNIT_CREATED","data":{"id":"7"}}"#);
    assert!(e.message.contains("missing field `uuid`"), "{e}");
    let e = error(br#"{"uuid":"u1","operation":"UNIT_CREATED"}"#);
    assert!(e.message.contains("missing field `data`"), "{e}");
}

/// The construct corpus: each construct's golden set (`tests/schemas/<set>`) with its valid
/// instances (`tests/constructs/<set>.json`), mutated as the differential test mutates the
/// provider samples (`proptech_conformance::mutate`), plus values aimed at the constructs'
/// checks, and judged by the same rule against the `jsonschema` crate: the typed parse accepts
/// exactly what the schema accepts, and every accepted mutant round-trips.
mod constructs {
    use std::path::PathBuf;

    use proptech_catalog::SchemaSet;
    use proptech_conformance::judge::{Typed, Verdict, judge_violations};
    use proptech_conformance::mutate::{mutants_with, replacements};
    use serde_json::{Value, json};

    fn here() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
    }

    /// Replacements besides the differential test's: at and across the constructs' bounds.
    fn extra() -> Vec<Value> {
        let mut all = replacements();
        all.extend([
            json!("a"),
            // Two characters in four bytes: lengths count characters.
            json!("éé"),
            json!("abcdefghijk"),
            json!(7),
            json!(10),
            json!(0.3),
            json!(2.5),
            json!(100),
            json!(1e300),
        ]);
        all
    }

    /// Runs the corpus of `set` through `typed` (the set's generated `parse`, as the judge reads
    /// it); returns the tally per verdict.
    pub fn run(set: &str, typed: impl Fn(&[u8]) -> Typed) -> Vec<(Verdict, usize)> {
        let schemas = SchemaSet::load(here().join("schemas").join(set)).expect("set loads");
        let event = schemas.events().next().expect("one event");
        let id = format!("{}{}", proptech_catalog::ID_BASE, event.doc.path);
        let mut validators = schemas.validators();
        let text = std::fs::read_to_string(here().join(format!("constructs/{set}.json")))
            .expect("the corpus");
        let seeds: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
        assert!(!seeds.is_empty(), "{set}: no instances");
        let mut tally = std::collections::BTreeMap::new();
        let mut problems = Vec::new();
        for seed in &seeds {
            let mut cases = vec![("the seed".to_owned(), seed.clone())];
            cases.extend(mutants_with(seed, &extra()));
            for (what, instance) in cases {
                let errors = validators.errors(&id, &instance).expect("validates");
                if what == "the seed" {
                    assert!(
                        errors.is_empty(),
                        "{set}: seed {seed} is invalid: {errors:?}"
                    );
                }
                let body = serde_json::to_vec(&instance).expect("serialises");
                match judge_violations("/type", &errors, &instance, &typed(&body)) {
                    Ok(verdict) => *tally.entry(verdict).or_insert(0) += 1,
                    Err(problem) => problems.push(format!("{what} of {seed}: {problem}")),
                }
            }
        }
        assert!(
            problems.is_empty(),
            "{set}: {} disagreements:\n{}",
            problems.len(),
            problems.join("\n")
        );
        tally.into_iter().collect()
    }
}

/// What a generated module's `parse` made of `body`, as the judge reads it.
macro_rules! typed {
    ($m:ident) => {
        |body: &[u8]| match $m::parse(body) {
            Ok(event) => {
                let back = serde_json::to_value(&event).expect("serialises");
                if event.unknown().is_some() {
                    proptech_conformance::judge::Typed::Unknown { back }
                } else {
                    proptech_conformance::judge::Typed::Known { back }
                }
            }
            Err(e) => proptech_conformance::judge::Typed::Rejected(e.to_string()),
        }
    };
}

#[test]
fn a_recursive_ref_parses_a_three_level_tree() {
    let body = br#"{"type":"v1.spaces.building.created","tree":{"name":"root",
        "first":{"name":"a","first":{"name":"a1","kept":true}},
        "children":[{"name":"b","children":[{"name":"b1"}]}]}}"#;
    let recursive::Event::SpacesBuildingCreated(e) = recursive::parse(body).expect("parses") else {
        panic!("not the event");
    };
    let first = e.tree.first.as_deref().expect("level 2");
    let leaf = first.first.as_deref().expect("level 3");
    assert_eq!(leaf.name, "a1");
    assert!(
        leaf.unknown_member("kept").is_some(),
        "unknown members kept"
    );
    let children = e.tree.children.as_deref().expect("children");
    assert_eq!(
        children[0].children.as_deref().expect("level 3")[0].name,
        "b1"
    );
    // The length bound of `name` holds at every level.
    let short = br#"{"type":"v1.spaces.building.created","tree":{"name":"root",
        "children":[{"name":"b","children":[{"name":""}]}]}}"#;
    let err = recursive::parse(short).expect_err("an empty name three levels down");
    assert!(
        err.to_string().contains("/tree/children/0/children/0/name"),
        "{err}"
    );
}

#[test]
fn the_recursive_construct_agrees_with_the_validator_on_every_mutant() {
    let tally = constructs::run("recursive", typed!(recursive));
    assert!(
        tally
            .iter()
            .any(|(v, n)| *v == proptech_conformance::judge::Verdict::BothReject && *n > 0),
        "{tally:?}"
    );
    eprintln!("recursive: {tally:?}");
}

#[test]
fn lengths_exclusive_bounds_and_multiple_of_agree_with_the_validator_on_every_mutant() {
    let tally = constructs::run("checks", typed!(checks));
    eprintln!("checks: {tally:?}");
    assert!(
        tally
            .iter()
            .any(|(v, n)| *v == proptech_conformance::judge::Verdict::BothReject && *n > 0),
        "{tally:?}"
    );
}

#[test]
fn lengths_count_characters_and_multiple_of_is_decimal() {
    let parse = |code: &str, ratio: &str| {
        let body =
            format!(r#"{{"type":"v1.spaces.building.created","code":{code},"ratio":{ratio}}}"#);
        checks::parse(body.as_bytes()).map(|_| ())
    };
    assert!(
        parse(r#""éé""#, "1").is_ok(),
        "two characters in four bytes"
    );
    assert!(parse(r#""a""#, "1").is_err(), "one character, minLength 2");
    assert!(
        parse(r#""abcdef""#, "1").is_err(),
        "six characters, maxLength 5"
    );
    assert!(parse(r#""ab""#, "0").is_err(), "exclusiveMinimum 0");
    assert!(parse(r#""ab""#, "10").is_err(), "exclusiveMaximum 10");
    assert!(parse(r#""ab""#, "0.75").is_err(), "not a multiple of 0.5");
    let step = |step: &str| {
        let body = format!(
            r#"{{"type":"v1.spaces.building.created","code":"ab","ratio":1,"step":{step}}}"#
        );
        checks::parse(body.as_bytes()).map(|_| ())
    };
    // 0.3 / 0.1 is 2.9999999999999996 in f64; in decimal, as the schema means it, 3.
    assert!(step("0.3").is_ok());
    assert!(step("0.35").is_err());
    let count = |count: &str| {
        let body = format!(
            r#"{{"type":"v1.spaces.building.created","code":"ab","ratio":1,"count":{count}}}"#
        );
        checks::parse(body.as_bytes()).map(|_| ())
    };
    // At the end of u64: 2^64 - 1 is a multiple of 3, 2^64 - 2 is not.
    assert!(count("18446744073709551615").is_ok());
    assert!(count("18446744073709551614").is_err());
}

#[test]
fn all_of_merges_into_one_struct_that_agrees_with_the_validator() {
    let body = br#"{"type":"v1.spaces.building.created","unit":{"name":"F","rooms":2,"x":1}}"#;
    let all_of::Event::SpacesBuildingCreated(e) = all_of::parse(body).expect("parses") else {
        panic!("not the event");
    };
    // One struct with the members of both branches, the unknown one kept.
    let _: &all_of::SpacesBuildingCreatedUnit = &e.unit;
    assert_eq!((e.unit.name.as_str(), e.unit.rooms), ("F", 2));
    assert!(e.unit.unknown_member("x").is_some());
    let tally = constructs::run("all_of", typed!(all_of));
    eprintln!("all_of: {tally:?}");
}

#[test]
fn pattern_properties_become_maps_with_checked_keys_that_agree_with_the_validator() {
    let body = br#"{"type":"v1.spaces.building.created","prices":{"USD":1},
        "listings":{"ab12cd3":{"beds":2,"note":"kept"}}}"#;
    let pattern_properties::Event::SpacesBuildingCreated(e) =
        pattern_properties::parse(body).expect("parses")
    else {
        panic!("not the event");
    };
    let usd = CurrencyCode::new("USD").expect("a code");
    assert_eq!(e.prices[&usd].to_string(), "1");
    let listing =
        &e.listings.as_ref().expect("listings")[&ListingNumber::new("ab12cd3").expect("a number")];
    assert_eq!(listing.beds, 2);
    assert!(listing.unknown_member("note").is_some());
    let lower = br#"{"type":"v1.spaces.building.created","prices":{"usd":1}}"#;
    assert!(
        pattern_properties::parse(lower).is_err(),
        "a key outside the pattern"
    );
    let tally = constructs::run("pattern_properties", typed!(pattern_properties));
    eprintln!("pattern_properties: {tally:?}");
}

#[test]
fn a_discriminated_one_of_becomes_an_enum_that_agrees_with_the_validator() {
    let body = br#"{"type":"v1.spaces.building.created",
        "payment":{"method":"transfer","iban":"DE89370400440532013000","note":"kept"}}"#;
    let one_of::Event::SpacesBuildingCreated(e) = one_of::parse(body).expect("parses") else {
        panic!("not the event");
    };
    match &e.payment {
        one_of::SpacesBuildingCreatedPayment::Transfer(t) => {
            assert!(t.unknown_member("note").is_some());
        }
        other => panic!("{other:?}"),
    }
    let unknown = br#"{"type":"v1.spaces.building.created","payment":{"method":"cash"}}"#;
    assert!(one_of::parse(unknown).is_err(), "no branch says cash");
    let tally = constructs::run("one_of", typed!(one_of));
    eprintln!("one_of: {tally:?}");
}

#[test]
fn prefix_items_become_tuple_structs_that_agree_with_the_validator() {
    let body = br#"{"type":"v1.spaces.building.created","point":[13.4,52.5,null],
        "stay":["2026-05-01",{"name":"Ada","vip":true}]}"#;
    let prefix_items::Event::SpacesBuildingCreated(e) = prefix_items::parse(body).expect("parses")
    else {
        panic!("not the event");
    };
    assert_eq!(e.point.0.to_string(), "13.4");
    assert_eq!(e.point.2, None);
    let stay = e.stay.as_ref().expect("stay");
    assert!(stay.1.unknown_member("vip").is_some());
    let short = br#"{"type":"v1.spaces.building.created","point":[1,2]}"#;
    assert!(prefix_items::parse(short).is_err(), "two of three items");
    let tally = constructs::run("prefix_items", typed!(prefix_items));
    eprintln!("prefix_items: {tally:?}");
}

/// Member names and enum values that are no Rust names as written (`tests/schemas/names`): each
/// reaches its field or variant by the rule of the crate docs, and the exact JSON name stays on
/// the wire, so a delivery serialises back byte for byte.
#[test]
fn awkward_names_keep_their_json_names_on_the_wire() {
    let body = r#"{"type":"v1.spaces.building.created","self":{"crate":"c","super":"s"},"crate":"k","super":3,"Self":true,"gen":"g","1st_floor":false,"unit-code":"U1","geo.lat":52.5,"größe":80,"$ref_like":"r","":"","fooBar":"a","foo_bar":"b","eventType":"e","unknown_members":"m","when":"Self","payment":{"kind":"1x","1x":"one"},"extra":1}"#;
    let names::Event::SpacesBuildingCreated(e) = names::parse(body.as_bytes()).expect("parses")
    else {
        panic!("not the event");
    };
    assert_eq!(
        (e.self_.crate_.as_str(), e.self_.super_.as_deref()),
        ("c", Some("s"))
    );
    assert_eq!(e.crate_, "k");
    assert_eq!(
        e.super_.as_ref().map(ToString::to_string).as_deref(),
        Some("3")
    );
    assert_eq!(e.self_2, Some(true));
    assert_eq!(e.r#gen.as_deref(), Some("g"));
    assert!(!e._1st_floor);
    assert_eq!(e.unit_code, "U1");
    assert_eq!(
        e.geo_lat.as_ref().map(ToString::to_string).as_deref(),
        Some("52.5")
    );
    assert_eq!(
        e.gr_u00f6_u00df_e
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("80")
    );
    assert_eq!(e._ref_like.as_deref(), Some("r"));
    assert_eq!(e.empty, names::SpacesBuildingCreatedEmpty::Empty);
    // `foo_bar` is written as its field name and keeps it; `fooBar` is numbered, type and all.
    assert_eq!(e.foo_bar_2, names::SpacesBuildingCreatedFooBar2::A2);
    assert_eq!(e.foo_bar, names::SpacesBuildingCreatedFooBar::B);
    assert_eq!(e.event_type_2.as_deref(), Some("e"));
    assert_eq!(e.unknown_members_2.as_deref(), Some("m"));
    assert_eq!(e.when, Some(names::SpacesBuildingCreatedWhen::Self_));
    match &e.payment {
        Some(names::SpacesBuildingCreatedPayment::_1x(p)) => assert_eq!(p._1x, "one"),
        other => panic!("{other:?}"),
    }
    assert!(e.unknown_member("extra").is_some());
    assert_eq!(
        String::from_utf8(serde_json::to_vec(&e).expect("serialises")).expect("UTF-8"),
        body
    );

    // Every value of the enum whose values are no Rust names, to its own variant and back.
    use names::SpacesBuildingCreatedEmpty as V;
    let all = [
        ("Self", V::Self_),
        ("self", V::Self2),
        ("super", V::Super),
        ("1x", V::_1x),
        ("", V::Empty),
        ("größe", V::GrU00f6U00dfE),
        ("-1", V::Minus1),
        ("+1", V::Plus1),
    ];
    for (value, variant) in all {
        assert_eq!(V::from(value), variant, "{value:?}");
        assert_eq!(variant.as_str(), value);
        assert!(variant.is_documented());
    }
    assert_eq!(V::VALUES.len(), 8);
    // The literal `date` beside the format `date`: each its own variant.
    let when = |v: &str| {
        serde_json::from_value::<names::SpacesBuildingCreatedWhen>(serde_json::json!(v))
            .expect("a value of the anyOf")
    };
    assert_eq!(when("date"), names::SpacesBuildingCreatedWhen::Date2);
    assert!(matches!(
        when("2026-05-01"),
        names::SpacesBuildingCreatedWhen::Date(_)
    ));
    assert_eq!(when(""), names::SpacesBuildingCreatedWhen::Empty);
}

#[test]
fn awkward_names_agree_with_the_validator_on_every_mutant() {
    let tally = constructs::run("names", typed!(names));
    eprintln!("names: {tally:?}");
}
