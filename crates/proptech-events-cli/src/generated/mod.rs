//! Tables written by `cargo xtask gen`; never edit them by hand.

#[rustfmt::skip]
pub mod samples;
