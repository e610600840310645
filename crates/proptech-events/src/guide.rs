//! The user guide: one chapter per task, each with examples that run as doctests.
//!
//! | chapter | for | features |
//! |---|---|---|
//! | [`types`] | the typed events and what they promise: open, exactly the schema, lossless; absent vs null; semver; `schemars` | a provider |
//! | [`receiving`] | verifying a delivery's signature, then parsing it; errors; validation | `receive` (default); `validate` |
//! | [`processing`] | processing each delivery at least once and never twice; the answers; stores; axum | `axum` (or `process`) |
//! | [`streams`] | Redis: a store shared by every process, the stream, its consumers, dead letters | `redis`, `axum` |
//! | [`personal_data`] | keeping personal data out of logs | a provider |
//! | [`derive`](mod@derive) | your own subset struct, checked against the schema at compile time | a provider |
//! | [`cloudevents`] | deliveries as CloudEvents 1.0 | `cloudevents` |
//!
//! Every chapter is in the documentation whatever the features; its examples run as doctests when
//! the features it names and every provider's are on (the default; docs.rs builds with all
//! features).
//! The chapters are the Markdown files of the crate's `guide/` folder, which its `README.md`
//! indexes for readers of the repository.

with_every_provider! {
    #[doc = include_str!("../guide/types.md")]
    pub mod types {}

    #[cfg(any(doc, feature = "receive"))]
    #[doc = include_str!("../guide/receiving.md")]
    pub mod receiving {}

    #[cfg(any(doc, feature = "axum"))]
    #[doc = include_str!("../guide/processing.md")]
    pub mod processing {}

    #[cfg(any(doc, all(feature = "redis", feature = "axum")))]
    #[doc = include_str!("../guide/streams.md")]
    pub mod streams {}

    #[doc = include_str!("../guide/personal-data.md")]
    pub mod personal_data {}

    #[doc = include_str!("../guide/derive.md")]
    pub mod derive {}

    #[cfg(any(doc, feature = "cloudevents"))]
    #[doc = include_str!("../guide/cloudevents.md")]
    pub mod cloudevents {}
}
