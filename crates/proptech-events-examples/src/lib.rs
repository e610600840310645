//! The example receiver and consumer of `proptech-events` are this package's `examples/`. The
//! package has no dev-dependencies, so `cargo run -p proptech-events-examples --example receiver`
//! builds what a user's application builds and nothing of the crate's tests and benchmarks.
