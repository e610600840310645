//! The conformance suite, one test binary with a module per area (one link for the whole suite,
//! not one per file).

mod support {
    pub mod clock;
    pub mod redis_server;
    pub mod signing;
}

/// The example receiver, as the receiver tests start it.
#[path = "../../../crates/proptech-events-examples/examples/receiver.rs"]
#[allow(dead_code)]
mod receiver;

mod bundle;
mod cloudevents;
mod conformance;
mod differential;
mod docs;
mod external_crate;
mod lint;
mod personal_data;
mod processing;
mod receiver_limits;
mod receiver_redis;
mod receiver_server;
mod schemars_agreement;
mod stream_consumer;
mod typed;
mod validate;
