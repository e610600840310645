//! The partner bundle and the breaking-change gate.
//!
//! [`compat`] compares two versions of the schema set, classifies every change as breaking or
//! compatible, and decides whether the version bump allows it.

pub mod compat;
