//! The client of `golden_compile.rs` against `compat_breaking` (a new required member): `new` now
//! takes one more argument, so code written against version 1 no longer compiles.
#![allow(dead_code, unused_imports, unused_macros, unexpected_cfgs, missing_docs)]

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
#[path = "../../../proptech-events/src/macros.rs"]
mod macros;

#[rustfmt::skip]
#[path = "../golden/generated@compat_breaking.snap.rs"]
mod compat_breaking;

fn main() {
    let unit = compat_breaking::SpacesUnitCreated::new(
        "Flat 3".to_owned(),
        compat_breaking::SpacesUnitCreatedStatus::Active,
    );
    assert_eq!(unit.status.as_str(), "active");
}
