//! Why a delivery was not accepted.

use crate::ParseError;

/// Why a delivery was rejected. Every variant names what is wrong and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// A header the provider's contract requires is absent.
    #[error("missing header {name}")]
    MissingHeader {
        /// The header's name.
        name: &'static str,
    },
    /// A header is present but cannot be read.
    #[error("header {name} is malformed: {reason}")]
    InvalidHeader {
        /// The header's name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No configured secret produces the signature the delivery carries.
    #[error("the signature in {header} does not match the body under any configured secret")]
    BadSignature {
        /// The signature header.
        header: &'static str,
    },
    /// The delivery's timestamp is too far from the receiver's clock.
    #[error("timestamp {timestamp} is {skew} s from now ({now}); the window is ±{tolerance} s")]
    TimestampOutOfWindow {
        /// The delivery's timestamp (Unix seconds).
        timestamp: i64,
        /// The receiver's clock (Unix seconds).
        now: i64,
        /// How far apart they are, in seconds.
        skew: u64,
        /// The accepted distance, in seconds.
        tolerance: u64,
    },
    /// The body is larger than the receiver accepts.
    #[error("body of {size} bytes exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The size, or the declared size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The body did not arrive whole: the client was slower than the server's body deadline, or
    /// hung up.
    #[error("the request body was not received whole in time")]
    BodyNotReceived,
    /// The delivery's signed creation time is older than the provider's replay horizon (its
    /// contract's [`Horizon`](super::contract::Horizon)): a captured delivery replayed later is
    /// refused even after its id has left the dedupe store.
    #[error(
        "the delivery was created at {created_at:?}, more than {horizon} s before now ({now}): older than any replay the provider sends"
    )]
    Stale {
        /// The signed creation time, as sent.
        created_at: String,
        /// The receiver's clock (Unix seconds).
        now: i64,
        /// The replay horizon plus the tolerance, in seconds.
        horizon: u64,
    },
    /// A header and the body member it mirrors disagree (a provider that sends the delivery id
    /// or timestamp in both).
    #[error("header {header} says {header_value:?} but the body's {field} is {body_value:?}")]
    HeaderBodyMismatch {
        /// The header.
        header: &'static str,
        /// The header's value.
        header_value: String,
        /// The body member it mirrors.
        field: &'static str,
        /// The body's value.
        body_value: String,
    },
    /// The body is not JSON, or not an object.
    #[error("malformed JSON: {0}")]
    MalformedJson(ParseError),
    /// The body is JSON but violates the event's schema (with the `validate` feature).
    #[error("schema violation at {instance_path:?}: {message}")]
    SchemaViolation {
        /// JSON pointer to the offending value.
        instance_path: String,
        /// What the schema says.
        message: String,
    },
    /// The body does not fit the event's Rust type (a missing member, a wrong type, a pattern).
    #[error("type mismatch: {0}")]
    TypeMismatch(ParseError),
    /// A signature was asked about for a provider that signs nothing (`check_signature` of an
    /// unverified receiver).
    #[error("{provider} documents no signature: there is none to check")]
    Unsigned {
        /// The provider.
        provider: &'static str,
    },
}

impl ReceiveError {
    /// A stable, machine-readable name of the kind of error (`"bad_signature"`, `"replay"`, …).
    pub fn code(&self) -> &'static str {
        match self {
            ReceiveError::MissingHeader { .. } => "missing_header",
            ReceiveError::InvalidHeader { .. } => "invalid_header",
            ReceiveError::BadSignature { .. } => "bad_signature",
            ReceiveError::TimestampOutOfWindow { .. } => "timestamp_out_of_window",
            ReceiveError::BodyTooLarge { .. } => "body_too_large",
            ReceiveError::BodyNotReceived => "body_not_received",
            ReceiveError::Stale { .. } => "stale",
            ReceiveError::HeaderBodyMismatch { .. } => "header_body_mismatch",
            ReceiveError::MalformedJson(_) => "malformed_json",
            ReceiveError::SchemaViolation { .. } => "schema_violation",
            ReceiveError::TypeMismatch(_) => "type_mismatch",
            ReceiveError::Unsigned { .. } => "unsigned",
        }
    }

    /// The HTTP status a receiver should answer with: a 4xx, because the delivery itself is bad.
    /// (The providers retry on any non-2xx, and a retry of the same bytes fails again; a
    /// duplicate is not an error but `Processed::Duplicate`, and
    /// is acknowledged.)
    pub fn status(&self) -> u16 {
        match self {
            ReceiveError::BodyTooLarge { .. } => 413,
            ReceiveError::BodyNotReceived => 408,
            ReceiveError::MissingHeader { .. }
            | ReceiveError::InvalidHeader { .. }
            | ReceiveError::BadSignature { .. }
            | ReceiveError::TimestampOutOfWindow { .. }
            | ReceiveError::Stale { .. } => 401,
            _ => 400,
        }
    }

    pub(crate) fn from_parse(e: ParseError) -> Self {
        match e.kind {
            crate::ParseErrorKind::Data => ReceiveError::TypeMismatch(e),
            _ => ReceiveError::MalformedJson(e),
        }
    }
}

/// A secret that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The secret is empty.
    #[error("the signing secret is empty")]
    Empty,
    /// A Standard Webhooks secret is not base64 after its `whsec_` prefix. The error names
    /// neither the offending character nor its place: a secret's text is never echoed.
    #[error("the signing secret is not valid base64 after its whsec_ prefix")]
    NotBase64,
    /// No secret was given.
    #[error("at least one signing secret is needed")]
    NoSecrets,
    /// The provider documents no signature, so there is no secret to give: its receiver is made
    /// with `unverified()`.
    #[error("{provider} documents no signature: its deliveries can only be received unverified")]
    Unsigned {
        /// The provider.
        provider: &'static str,
    },
}
