//! The generator's constructs (a recursive `$ref`, length and exclusive bounds and `multipleOf`,
//! `allOf`, `patternProperties`, a discriminated `oneOf`, `prefixItems`) against their schemas,
//! judged by the `jsonschema` crate: the fuzzed twin of the construct corpus of
//! `crates/proptech-codegen/tests/golden_compile.rs`, with the same judge
//! (`proptech_conformance::judge::judge_violations`).
//!
//! Input: a set byte, then a JSON text. The text is parsed into a `serde_json::Value` and written
//! out again, so the typed parse and the validator read the same value. Their verdicts must agree
//! and every accepted instance must serialise back to itself.
//!
//! The golden modules are the generator's committed output for each construct's schema set; as
//! in `golden_compile.rs`, they name `proptech-events`' items as `crate::…`, so this crate
//! re-exports it at its root and includes the same macro file first.
#![no_main]
#![allow(
    dead_code,
    unused_imports,
    unused_macros,
    unexpected_cfgs,
    missing_docs
)]

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use proptech_catalog::{SchemaSet, Validators};
use proptech_conformance::judge::{Typed, judge_violations};

pub use proptech_events::*;

/// `crate::__private` as generated code sees it, with the catch-all twin `golden_compile.rs` uses.
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
#[path = "../../crates/proptech-events/src/macros.rs"]
mod macros;

#[rustfmt::skip]
#[path = "../../crates/proptech-codegen/tests/golden/generated@all_of.snap.rs"]
mod all_of;
#[rustfmt::skip]
#[path = "../../crates/proptech-codegen/tests/golden/generated@checks.snap.rs"]
mod checks;
#[rustfmt::skip]
#[path = "../../crates/proptech-codegen/tests/golden/generated@names.snap.rs"]
mod names;
#[rustfmt::skip]
#[path = "../../crates/proptech-codegen/tests/golden/generated@one_of.snap.rs"]
mod one_of;
#[rustfmt::skip]
#[path = "../../crates/proptech-codegen/tests/golden/generated@pattern_properties.snap.rs"]
mod pattern_properties;
#[rustfmt::skip]
#[path = "../../crates/proptech-codegen/tests/golden/generated@prefix_items.snap.rs"]
mod prefix_items;
#[rustfmt::skip]
#[path = "../../crates/proptech-codegen/tests/golden/generated@recursive.snap.rs"]
mod recursive;

/// The construct sets, in the order of the set byte.
const SETS: [&str; 7] = [
    "all_of",
    "checks",
    "names",
    "one_of",
    "pattern_properties",
    "prefix_items",
    "recursive",
];

/// What a golden module's `parse` made of `body`, as the judge reads it.
macro_rules! typed {
    ($m:ident, $body:expr) => {
        match $m::parse($body) {
            Ok(event) => {
                let back = serde_json::to_value(&event).expect("an event serialises");
                if event.unknown().is_some() {
                    Typed::Unknown { back }
                } else {
                    Typed::Known { back }
                }
            }
            Err(e) => Typed::Rejected(e.to_string()),
        }
    };
}

fn typed(set: usize, body: &[u8]) -> Typed {
    match set {
        0 => typed!(all_of, body),
        1 => typed!(checks, body),
        2 => typed!(names, body),
        3 => typed!(one_of, body),
        4 => typed!(pattern_properties, body),
        5 => typed!(prefix_items, body),
        _ => typed!(recursive, body),
    }
}

/// Each set's validators and the `$id` of its one event schema.
fn schemas() -> &'static Vec<Mutex<(Validators, String)>> {
    static SCHEMAS: OnceLock<Vec<Mutex<(Validators, String)>>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/proptech-codegen/tests/schemas");
        SETS.iter()
            .map(|set| {
                let schemas = SchemaSet::load(root.join(set)).expect("a construct set loads");
                let event = schemas.events().next().expect("one event");
                let id = format!("{}{}", proptech_catalog::ID_BASE, event.doc.path);
                Mutex::new((schemas.validators(), id))
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    let Ok(instance) = serde_json::from_slice::<serde_json::Value>(text) else {
        return;
    };
    let set = usize::from(selector) % SETS.len();
    let errors = {
        let mut guard = schemas()[set].lock().unwrap_or_else(|e| e.into_inner());
        let (validators, id) = &mut *guard;
        let id = id.clone();
        validators.errors(&id, &instance).expect("validates")
    };
    let body = serde_json::to_vec(&instance).expect("a value serialises");
    let typed = typed(set, &body);
    if let Err(problem) = judge_violations("/type", &errors, &instance, &typed) {
        panic!("{}: {problem}\n    instance {instance}", SETS[set]);
    }
});
