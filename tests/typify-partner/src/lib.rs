//! What a Rust partner gets by running typify on the bundle's draft-07 twins: the generated types
//! of every event (written by `build.rs`), and [`round_trip`] to deserialise a payload with them.
//!
//! This crate is a check of the bundle, not something to depend on; it is never published.

#![allow(
    clippy::exhaustive_structs,
    clippy::exhaustive_enums,
    reason = "never published (`publish = false`): every user is in this workspace and changes with it"
)]

#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    unused_imports,
    dead_code,
    non_camel_case_types,
    rustdoc::all,
    reason = "typify's generated code, compiled as a partner would compile it"
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/typify.rs"));
}

pub use generated::*;

/// Deserialises `value` into `T` and serialises it back.
fn typed_round_trip<T>(value: &serde_json::Value) -> Result<serde_json::Value, String>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let typed: T = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

/// The bundle README's Rust (the `build.rs` partners run typify with), compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../crates/proptech-publish/src/partner-readme.md")]
pub struct PartnerReadmeDoctests;
