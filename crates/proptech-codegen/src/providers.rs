//! The provider layer of `proptech-events`, written from the providers' descriptors
//! (`schemas/<provider>/provider.toml`): the `Provider` enum and its facts, `AnyEvent`, `parse`,
//! each provider's delivery contract, and a thin receiver type per provider implementing the one
//! `Receiver` trait.

use proc_macro2::{Ident, Literal, TokenStream};
use proptech_catalog::{Descriptor, Part, content_parts};
use quote::{format_ident, quote};

use crate::Error;
use crate::model::pascal;

fn schema_error(provider: &str, reason: String) -> Error {
    Error::Schema {
        at: format!("{provider}/provider.toml"),
        reason,
    }
}

/// The variant of `Provider` (and of `AnyEvent`) for a provider.
pub fn variant(provider: &str) -> Ident {
    format_ident!("{}", pascal(provider))
}

/// The receiver type of a provider.
pub fn receiver(provider: &str) -> Ident {
    format_ident!("{}Receiver", pascal(provider))
}

fn feature(d: &Descriptor) -> TokenStream {
    let name = &d.name;
    quote!(feature = #name)
}

fn opt_str(s: Option<&str>) -> TokenStream {
    match s {
        Some(s) => quote!(Some(#s)),
        None => quote!(None),
    }
}

/// The `Contract` constant of one provider.
fn contract(d: &Descriptor) -> Result<TokenStream, Error> {
    let variant = variant(&d.name);
    let type_member = &d.envelope.type_member;
    let id_member = opt_str(d.envelope.id_member.as_deref());
    let timestamp_member = opt_str(d.envelope.timestamp_member.as_deref());
    let signature = match d.hmac() {
        None => quote!(None),
        Some(h) => {
            let algorithm = match h.algorithm.as_str() {
                "sha1" => quote!(Sha1),
                "sha256" => quote!(Sha256),
                "sha512" => quote!(Sha512),
                other => return Err(schema_error(&d.name, format!("algorithm {other:?}"))),
            };
            let encoding = match h.encoding.as_str() {
                "hex" => quote!(Hex),
                "base64" => quote!(Base64),
                other => return Err(schema_error(&d.name, format!("encoding {other:?}"))),
            };
            let secret = match h.secret.as_str() {
                "literal" => quote!(Literal),
                "whsec-base64" => quote!(WhsecBase64),
                other => return Err(schema_error(&d.name, format!("secret {other:?}"))),
            };
            let parts = content_parts(&h.content).map_err(|r| schema_error(&d.name, r))?;
            let parts = parts.iter().map(|p| match p {
                Part::Id => quote!(Part::Id),
                Part::Timestamp => quote!(Part::Timestamp),
                Part::Body => quote!(Part::Body),
                Part::Literal(text) => quote!(Part::Literal(#text)),
            });
            let timestamp_header = h.timestamp.as_ref().and_then(|o| o.header.clone());
            let id_header = h.id.as_ref().and_then(|o| o.header.clone());
            let names = |prefix: Option<&str>| {
                let spell = |name: &str| match prefix {
                    None => name.to_owned(),
                    Some(p) => format!("{p}{}", name.strip_prefix("webhook-").unwrap_or(name)),
                };
                let signature = spell(&h.header);
                let timestamp = opt_str(timestamp_header.as_deref().map(spell).as_deref());
                let id = opt_str(id_header.as_deref().map(spell).as_deref());
                quote!(HeaderNames { signature: #signature, timestamp: #timestamp, id: #id })
            };
            let mut spellings = vec![names(None)];
            if let Some(alias) = d.alias_prefix() {
                spellings.push(names(Some(alias)));
            }
            let prefix = &h.prefix;
            let separator = opt_str(h.separator.as_deref());
            let max_entries = Literal::usize_unsuffixed(if h.separator.is_some() { 32 } else { 1 });
            quote!(Some(Recipe {
                algorithm: Algorithm::#algorithm,
                encoding: Encoding::#encoding,
                headers: &[#(#spellings),*],
                prefix: #prefix,
                separator: #separator,
                max_entries: #max_entries,
                secret: SecretForm::#secret,
                content: &[#(#parts),*],
            }))
        }
    };
    let nonce = match &d.replay.nonce {
        Some(n) => {
            let (member, window) = (&n.member, n.window);
            quote!(Some(Nonce { member: #member, window: #window }))
        }
        None => quote!(None),
    };
    let horizon = match &d.replay.horizon {
        Some(h) => {
            let (member, seconds) = (&h.member, h.seconds);
            quote!(Some(Horizon { member: #member, seconds: #seconds }))
        }
        None => quote!(None),
    };
    let tolerance = match d.replay.tolerance {
        Some(t) => quote!(Some(#t)),
        None => quote!(None),
    };
    let schedule = &d.delivery.retry_schedule;
    let ordering = match &d.ordering {
        Some(o) => {
            let time = &o.time_member;
            let rules = o.entities.iter().map(|e| {
                let (entity, member, events) = (&e.name, &e.member, &e.events);
                quote!(EntityRule { entity: #entity, member: #member, events: &[#(#events),*] })
            });
            quote!(Some(Ordering { time_member: #time, entities: &[#(#rules),*] }))
        }
        None => quote!(None),
    };
    let cloudevents = match &d.cloudevents {
        Some(c) => {
            let source = &c.source;
            let time = opt_str(c.time_member.as_deref());
            quote!(Some(crate::receive::contract::CloudEvents { source: #source, time_member: #time }))
        }
        None => quote!(None),
    };
    let test_secret = opt_str(d.hmac().and_then(|h| h.test_secret).as_deref());
    let name = format_ident!("{}", d.name.to_uppercase());
    let doc = format!(" {}'s delivery contract.", d.display_name);
    Ok(quote! {
        #[doc = #doc]
        pub(crate) const #name: Contract = Contract {
            provider: Provider::#variant,
            type_member: #type_member,
            id_member: #id_member,
            timestamp_member: #timestamp_member,
            signature: #signature,
            nonce: #nonce,
            horizon: #horizon,
            tolerance: #tolerance,
            retry_schedule: &[#(#schedule),*],
            test_secret: #test_secret,
            ordering: #ordering,
            cloudevents: #cloudevents,
        };
    })
}

/// `generated/providers.rs` of `proptech-events`: `Provider`, `AnyEvent`, `parse`, the
/// contracts, and `with_every_provider!` (the provider features, for the guide's `cfg`).
pub fn providers_module(providers: &[Descriptor]) -> Result<TokenStream, Error> {
    let names: Vec<&str> = providers.iter().map(|d| d.name.as_str()).collect();
    let variants: Vec<Ident> = names.iter().map(|n| variant(n)).collect();
    let features: Vec<TokenStream> = providers.iter().map(feature).collect();
    let modules: Vec<Ident> = names.iter().map(|n| format_ident!("{n}")).collect();
    let consts: Vec<Ident> = names
        .iter()
        .map(|n| format_ident!("{}", n.to_uppercase()))
        .collect();
    let displays: Vec<&str> = providers.iter().map(|d| d.display_name.as_str()).collect();
    let variant_docs: Vec<String> = providers
        .iter()
        .map(|d| format!(" {} ({}).", d.display_name, d.summary))
        .collect();
    let any_docs: Vec<String> = providers
        .iter()
        .map(|d| format!(" A {} event.", d.display_name))
        .collect();
    let count = Literal::usize_unsuffixed(providers.len());
    // Only when a descriptor orders its events: an unused import would not build under
    // `-D warnings`.
    let ordering_imports = if providers.iter().any(|d| d.ordering.is_some()) {
        quote!(
            use crate::receive::contract::{EntityRule, Ordering};
        )
    } else {
        quote!()
    };
    let expected = match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    };
    let as_str_doc = format!(
        " The provider's name as the schemas spell it ({}): its Cargo feature and module.",
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let contracts = providers
        .iter()
        .map(contract)
        .collect::<Result<Vec<_>, _>>()?;
    let paths: Vec<String> = names.iter().map(|n| format!("{n}.rs")).collect();
    Ok(quote! {
        /// Compiles the items it wraps for the docs, and otherwise only when every provider's
        /// feature is on (the default): for the guide, whose examples use the providers' types.
        macro_rules! with_every_provider {
            ($($item:item)*) => { $( #[cfg(any(doc, all(#(#features),*)))] $item )* };
        }

        #(
            #[cfg(#features)]
            #[rustfmt::skip]
            #[allow(
                clippy::exhaustive_structs,
                reason = "the payload newtypes of undocumented events (`Foo(pub Value)`) are built by their users"
            )]
            #[path = #paths]
            pub mod #modules;
        )*

        /// A provider whose webhooks this crate understands.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Provider {
            #(
                #[doc = #variant_docs]
                #variants,
            )*
        }

        impl Provider {
            /// Every provider, in the order the project lists them.
            pub const ALL: [Provider; #count] = [#(Provider::#variants),*];

            #[doc = #as_str_doc]
            pub const fn as_str(self) -> &'static str {
                match self {
                    #(Provider::#variants => #names,)*
                }
            }

            /// The provider's name written in prose.
            pub const fn display_name(self) -> &'static str {
                match self {
                    #(Provider::#variants => #displays,)*
                }
            }

            /// The provider's delivery contract: its envelope members, how it signs, its windows
            /// and its retry schedule, as its descriptor states them.
            #[cfg(feature = "receive")]
            pub const fn contract(self) -> &'static crate::receive::contract::Contract {
                match self {
                    #(Provider::#variants => &contracts::#consts,)*
                }
            }

            /// Whether this build parses the provider's events (its Cargo feature is on).
            pub const fn enabled(self) -> bool {
                match self {
                    #(Provider::#variants => cfg!(#features),)*
                }
            }

            /// The provider's event catalog; empty when its Cargo feature is off.
            pub fn events(self) -> &'static [crate::EventInfo] {
                match self {
                    #(
                        #[cfg(#features)]
                        Provider::#variants => crate::#modules::EVENTS,
                    )*
                    #[allow(unreachable_patterns)]
                    _ => &[],
                }
            }
        }

        /// The known providers' names, as [`UnknownProvider`](crate::UnknownProvider) lists them.
        pub(crate) const EXPECTED: &str = #expected;

        /// Each provider's delivery contract.
        #[cfg(feature = "receive")]
        mod contracts {
            use crate::Provider;
            use crate::receive::contract::{
                Algorithm, Contract, Encoding, HeaderNames, Horizon, Nonce, Part, Recipe,
                SecretForm,
            };
            #ordering_imports
            #(#contracts)*
        }

        /// An event of any provider.
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize)]
        #[serde(untagged)]
        #[non_exhaustive]
        // Parsed once and handed over; see the provider `Event` enums.
        #[allow(clippy::large_enum_variant)]
        pub enum AnyEvent {
            #(
                #[doc = #any_docs]
                #[cfg(#features)]
                #variants(crate::#modules::Event),
            )*
        }

        impl AnyEvent {
            /// The provider that sent it.
            pub fn provider(&self) -> Provider {
                match *self {
                    #(
                        #[cfg(#features)]
                        AnyEvent::#variants(_) => Provider::#variants,
                    )*
                }
            }

            /// The event type, exactly as the provider sent it.
            pub fn event_type(&self) -> &str {
                match self {
                    #(
                        #[cfg(#features)]
                        AnyEvent::#variants(e) => e.event_type(),
                    )*
                    #[allow(unreachable_patterns)]
                    _ => unreachable!(),
                }
            }

            /// The delivery as JSON of the same shape with every member its schema marks as
            /// personal data replaced: for logs and support tickets (see [`crate::personal`]).
            #[inline]
            pub fn redacted(&self) -> ::serde_json::Value {
                match self {
                    #(
                        #[cfg(#features)]
                        AnyEvent::#variants(e) => e.redacted(),
                    )*
                    #[allow(unreachable_patterns)]
                    _ => unreachable!(),
                }
            }

            /// The delivery kept whole because this version does not know its event type (the
            /// provider's `Unknown` variant), if it is one.
            pub fn unknown(&self) -> Option<&crate::UnknownEvent> {
                match self {
                    #(
                        #[cfg(#features)]
                        AnyEvent::#variants(e) => e.unknown(),
                    )*
                    #[allow(unreachable_patterns)]
                    _ => unreachable!(),
                }
            }
        }

        /// Parses a delivery body of `provider` into its typed event.
        ///
        /// An event type the crate does not know parses as that provider's `Unknown` variant. A
        /// provider whose Cargo feature is off is an error of kind
        /// [`crate::ParseErrorKind::Syntax`] naming the feature.
        pub fn parse(provider: Provider, body: &[u8]) -> Result<AnyEvent, crate::ParseError> {
            let _ = body; // unused when every provider feature is off
            match provider {
                #(
                    #[cfg(#features)]
                    Provider::#variants => crate::#modules::parse(body).map(AnyEvent::#variants),
                )*
                #[allow(unreachable_patterns)]
                disabled => Err(crate::__private::feature_off(disabled)),
            }
        }

        #(
            #[cfg(#features)]
            impl From<crate::#modules::Event> for AnyEvent {
                fn from(event: crate::#modules::Event) -> Self {
                    AnyEvent::#variants(event)
                }
            }
        )*

        #(
            #[cfg(#features)]
            impl crate::__private::ProviderEvent for crate::#modules::Event {
                const PROVIDER: Provider = Provider::#variants;

                fn event_type(&self) -> &str {
                    crate::#modules::Event::event_type(self)
                }

                fn parse_typed(event_type: String, body: &[u8]) -> Result<Self, crate::ParseError> {
                    crate::#modules::parse_typed(event_type, body)
                }

                #[cfg(feature = "validate")]
                fn parse_value_typed(
                    event_type: String,
                    value: ::serde_json::Value,
                    body: &[u8],
                ) -> Result<Self, crate::ParseError> {
                    crate::#modules::parse_value_typed(event_type, value, body)
                }
            }
        )*
    })
}

/// `generated/receivers.rs` of `proptech-events`: one receiver type per provider.
pub fn receivers_module(providers: &[Descriptor]) -> TokenStream {
    let items = providers.iter().map(|d| {
        let feature = feature(d);
        let variant = variant(&d.name);
        let ty = receiver(&d.name);
        let module = format_ident!("{}", d.name);
        let display = &d.display_name;
        let signed = d.hmac().is_some();
        let event = quote!(crate::#module::Event);
        let first = d.delivery.verification.trim().lines().next().unwrap_or_default();
        let doc = if signed {
            format!(" Verifies {display} deliveries and parses them into [`crate::{}::Event`].", d.name)
        } else {
            format!(" Parses {display} deliveries, which carry no signature, into [`Unverified`](crate::receive::Unverified) events.")
        };
        let contract_doc = format!(" The contract: {first}");
        let (delivery, constructor, receive, process, receive_doc) = if signed {
            (
                quote!(crate::receive::Verified<#event>),
                quote! {
                    /// A receiver for the given signing secrets (several during a rotation).
                    pub fn new<S: AsRef<str>>(
                        secrets: impl IntoIterator<Item = S>,
                    ) -> Result<Self, crate::receive::SecretError> {
                        Ok(Self { core: crate::receive::receiver::core_for(<Self as crate::receive::Receiver>::CONTRACT, secrets)? })
                    }

                    /// What the delivery's signature covers and whether a configured secret signs
                    /// it, without checking the windows, the id or the body: for explaining a
                    /// rejection.
                    pub fn check_signature<H: crate::receive::Headers + ?Sized>(
                        &self,
                        headers: &H,
                        body: &[u8],
                    ) -> Result<crate::receive::SignatureCheck, crate::receive::ReceiveError> {
                        <Self as crate::receive::Receiver>::check_signature(self, headers, body)
                    }
                },
                format_ident!("receive"),
                format_ident!("process"),
                " Verifies and parses a delivery, with the receiver's clock. It does **not** deduplicate: use `process`, or record the delivery's `dedupe_keys` in your own transaction.",
            )
        } else {
            let constructor_doc = format!(
                " A receiver that accepts deliveries without verifying where they come from, because {display} documents no way to. Protect the endpoint another way (a secret URL, an IP allow list)."
            );
            (
                quote!(crate::receive::Unverified<#event>),
                quote! {
                    #[doc = #constructor_doc]
                    pub fn unverified() -> Self {
                        Self { core: crate::receive::Core::unsigned() }
                    }
                },
                format_ident!("receive_unverified"),
                format_ident!("process_unverified"),
                " Parses a delivery; its id is the dedupe key, in the [`Partition::Unverified`](crate::receive::Partition::Unverified) partition. It does **not** deduplicate: use `process_unverified`.",
            )
        };
        let provider_name = &d.name;
        let with_secrets = if signed {
            quote! {
                fn with_secrets<S: AsRef<str>>(
                    secrets: impl IntoIterator<Item = S>,
                ) -> Result<Self, crate::receive::SecretError> {
                    Self::new(secrets)
                }

                fn unverified() -> Option<Self> {
                    None
                }
            }
        } else {
            quote! {
                fn with_secrets<S: AsRef<str>>(
                    _: impl IntoIterator<Item = S>,
                ) -> Result<Self, crate::receive::SecretError> {
                    Err(crate::receive::SecretError::Unsigned { provider: #provider_name })
                }

                fn unverified() -> Option<Self> {
                    Some(Self::unverified())
                }
            }
        };
        quote! {
            #[doc = #doc]
            ///
            #[doc = #contract_doc]
            #[cfg(#feature)]
            #[derive(Debug, Clone)]
            pub struct #ty {
                core: crate::receive::Core,
            }

            #[cfg(#feature)]
            impl #ty {
                #constructor

                #[doc = #receive_doc]
                pub fn #receive<H: crate::receive::Headers + ?Sized>(
                    &self,
                    headers: &H,
                    body: &[u8],
                ) -> Result<#delivery, crate::receive::ReceiveError> {
                    <Self as crate::receive::Receiver>::receive(self, headers, body)
                }

                /// Replaces the limits and windows.
                pub fn with_options(self, options: crate::receive::Options) -> Self {
                    <Self as crate::receive::Receiver>::with_options(self, options)
                }

                /// Uses `store` to record deliveries in flight and done (see
                /// [`Receiver::with_store`](crate::receive::Receiver::with_store)).
                pub fn with_store(
                    self,
                    store: ::std::sync::Arc<dyn crate::receive::IdempotencyStore>,
                ) -> Self {
                    <Self as crate::receive::Receiver>::with_store(self, store)
                }

                /// Scopes this receiver's store keys to `namespace` (see
                /// [`Receiver::with_namespace`](crate::receive::Receiver::with_namespace)).
                pub fn with_namespace(self, namespace: impl AsRef<str>) -> Self {
                    <Self as crate::receive::Receiver>::with_namespace(self, namespace)
                }

                /// Replaces the clock (Unix seconds), for tests and for replaying old deliveries.
                pub fn with_clock(self, clock: fn() -> i64) -> Self {
                    <Self as crate::receive::Receiver>::with_clock(self, clock)
                }

                /// The options in force.
                pub fn options(&self) -> &crate::receive::Options {
                    <Self as crate::receive::Receiver>::options(self)
                }

                /// Verifies and parses a delivery as if the clock read `now` (Unix seconds).
                pub fn receive_at<H: crate::receive::Headers + ?Sized>(
                    &self,
                    headers: &H,
                    body: &[u8],
                    now: i64,
                ) -> Result<#delivery, crate::receive::ReceiveError> {
                    <Self as crate::receive::Receiver>::receive_at(self, headers, body, now)
                }

                /// Verifies and parses a delivery, then processes it at most once and at least
                /// once (see [`process`](crate::receive::process)).
                #[cfg(feature = "process")]
                pub async fn #process<H, F, Fut, T, E>(
                    &self,
                    headers: &H,
                    body: &[u8],
                    handler: F,
                ) -> Result<crate::receive::Processed<T>, crate::receive::ProcessError<E>>
                where
                    H: crate::receive::Headers + ?Sized,
                    F: FnOnce(#delivery) -> Fut,
                    Fut: ::std::future::Future<Output = Result<T, E>>,
                {
                    crate::receive::process(self, headers, body, handler).await
                }

                /// A `POST` route that processes each delivery with
                /// `handler(state, delivery, raw_body)`; the router state must provide an
                /// `Arc` of this receiver. See [`axum`](crate::receive::axum) for the answers.
                #[cfg(feature = "axum")]
                pub fn route<S, F, Fut, T, E>(handler: F) -> ::axum::routing::MethodRouter<S>
                where
                    S: Clone + Send + Sync + 'static,
                    ::std::sync::Arc<Self>: ::axum::extract::FromRef<S>,
                    F: Fn(S, #delivery, ::axum::body::Bytes) -> Fut + Clone + Send + Sync + 'static,
                    Fut: ::std::future::Future<Output = Result<T, E>> + Send + 'static,
                    T: ::axum::response::IntoResponse + Send + 'static,
                    E: ::std::fmt::Display + Send + 'static,
                {
                    crate::receive::axum::route::<Self, S, F, Fut, T, E>(handler)
                }
            }

            #[cfg(#feature)]
            impl crate::receive::receiver::sealed::Sealed for #ty {}

            #[cfg(#feature)]
            impl crate::receive::Receiver for #ty {
                type Event = #event;
                type Delivery = #delivery;
                const CONTRACT: &'static crate::receive::contract::Contract = crate::Provider::#variant.contract();

                #with_secrets

                fn __core(&self) -> &crate::receive::Core {
                    &self.core
                }

                fn __core_mut(&mut self) -> &mut crate::receive::Core {
                    &mut self.core
                }
            }
        }
    });
    let arms = providers.iter().map(|d| {
        let feature = feature(d);
        let variant = variant(&d.name);
        let ty = receiver(&d.name);
        quote! {
            #[cfg(#feature)]
            crate::Provider::#variant => visit.visit::<#ty>(),
        }
    });
    quote! {
        #(#items)*

        /// Calls `visit` with the receiver type of `provider` (its
        /// [`disabled`](crate::receive::Visit::disabled) when the provider's Cargo feature is off).
        pub fn dispatch<V: crate::receive::Visit>(provider: crate::Provider, visit: V) -> V::Output {
            match provider {
                #(#arms)*
                #[allow(unreachable_patterns)]
                other => visit.disabled(other),
            }
        }
    }
}

/// The marker lines of the generated part of `proptech-events`'s `Cargo.toml`.
const FEATURES_BEGIN: &str = "# @generated by `cargo xtask gen` from the provider descriptors";
const FEATURES_END: &str = "# @end generated";

/// `manifest` (the text of `proptech-events`'s `Cargo.toml`) with its provider features written
/// anew between the generated markers: one feature per provider, all on by default.
pub fn cargo_features(manifest: &str, providers: &[Descriptor]) -> Result<String, Error> {
    let missing = || Error::Schema {
        at: "crates/proptech-events/Cargo.toml".into(),
        reason: format!(
            "no lines `{FEATURES_BEGIN}…` and `{FEATURES_END}` around the provider features"
        ),
    };
    let begin = manifest.find(FEATURES_BEGIN).ok_or_else(missing)?;
    let body = begin + manifest[begin..].find('\n').ok_or_else(missing)? + 1;
    let end = body + manifest[body..].find(FEATURES_END).ok_or_else(missing)?;
    let names: Vec<String> = providers.iter().map(|d| format!("{:?}", d.name)).collect();
    // `receive` (verification, processing, stores) is on by default; without it the crate is the
    // types alone, and compiles no crypto and no HTTP types.
    let mut features = format!("default = [\"receive\", {}]\n", names.join(", "));
    for d in providers {
        features.push_str(&format!("{} = []\n", d.name));
    }
    Ok(format!(
        "{}{features}{}",
        &manifest[..body],
        &manifest[end..]
    ))
}
