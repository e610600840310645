//! Tests of the `proptech-events` binary, run as a user runs it.
