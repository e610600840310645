//! The change taxonomy: what kind of change each difference is, what it does to receivers of the
//! wire format in each direction, and its changelog section.
//!
//! A kind's wire verdict is fixed by the JSON Schema semantics of the change, for a receiver that
//! validates a delivery with the schema of its version and follows the two rules the bundle
//! states (members it does not know are ignored; an `enum` value it does not know is read as
//! "other"). Its verdict on the Rust API is not in this table: it is computed per change from the
//! public API the generator emits for both versions (`rust`).

use std::fmt;

use serde::Serialize;

use super::RustChange;

/// Whether a change may break a partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Needs a major version bump.
    Breaking,
    /// Allowed in a minor or patch release.
    Compatible,
}

impl Severity {
    /// `"breaking"` or `"compatible"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Breaking => "breaking",
            Severity::Compatible => "compatible",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a change goes in the changelog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    Breaking,
    Added,
    Changed,
    Documentation,
}

/// What a change does to receivers of the wire format, in each direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Wire {
    /// Receivers built on the old schema reading the provider's new deliveries (Confluent's
    /// FORWARD: data written with the new schema, read with the old one).
    pub old_receivers: Severity,
    /// Receivers built on the new schema reading old deliveries still in flight or replayed
    /// (Confluent's BACKWARD: data written with the old schema, read with the new one).
    pub new_receivers: Severity,
}

impl Wire {
    /// Breaking when it breaks either direction.
    pub fn severity(self) -> Severity {
        self.old_receivers.min(self.new_receivers)
    }

    /// The verdict in words, e.g. "breaks receivers on the old schema (forward); receivers on the
    /// new schema are unaffected (backward)".
    pub fn describe(self) -> String {
        let side = |s: Severity, who: &str, mode: &str| match s {
            Severity::Breaking => format!("breaks receivers on the {who} schema ({mode})"),
            Severity::Compatible => {
                format!("receivers on the {who} schema are unaffected ({mode})")
            }
        };
        format!(
            "{}; {}",
            side(self.old_receivers, "old", "forward"),
            side(self.new_receivers, "new", "backward")
        )
    }
}

macro_rules! change_kinds {
    ($($(#[doc = $doc:literal])* $variant:ident => $old:ident, $new:ident, $section:ident, $label:literal;)*) => {
        /// What kind of change a [`Change`] is. Each kind has a fixed verdict on the wire
        /// ([`ChangeKind::wire`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum ChangeKind {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ChangeKind {
            /// Every kind, in report order.
            pub const ALL: &'static [ChangeKind] = &[$(ChangeKind::$variant),*];

            /// What this kind of change does to receivers of the wire format, per direction.
            pub fn wire(self) -> Wire {
                match self {
                    $(ChangeKind::$variant => Wire {
                        old_receivers: Severity::$old,
                        new_receivers: Severity::$new,
                    },)*
                }
            }

            /// Whether this kind of change breaks receivers of the wire format in either
            /// direction (the Rust API is judged per change: [`Change::severity`]).
            pub fn severity(self) -> Severity {
                self.wire().severity()
            }

            /// The variant's name, e.g. `"RemovedProperty"` (also its serialized form).
            pub fn name(self) -> &'static str {
                match self {
                    $(ChangeKind::$variant => stringify!($variant),)*
                }
            }

            /// A short human label, e.g. `"removed property"`.
            pub fn label(self) -> &'static str {
                match self {
                    $(ChangeKind::$variant => $label,)*
                }
            }

            pub(super) fn section(self) -> Section {
                match self {
                    $(ChangeKind::$variant => Section::$section,)*
                }
            }
        }
    };
}

change_kinds! {
    // kind => old receivers (forward), new receivers (backward), changelog section, label.
    /// An event schema is gone. On the wire an event type a receiver does not know is kept as
    /// `Unknown` (buf: `MESSAGE_NO_DELETE` is a FILE rule, not a WIRE one).
    RemovedEvent => Compatible, Compatible, Breaking, "removed event";
    /// A new event schema: receivers on the old schema keep it as `Unknown`.
    AddedEvent => Compatible, Compatible, Added, "added event";
    /// A schema that is not an event (envelope, request body) is gone; every event carries its own
    /// copy of what it uses.
    RemovedSchema => Compatible, Compatible, Breaking, "removed schema";
    /// A new schema that is not an event.
    AddedSchema => Compatible, Compatible, Added, "added schema";
    /// `x-event-type` or `x-provider` changed: the schema now identifies another event.
    ChangedEventIdentity => Breaking, Breaking, Breaking, "changed event identity";
    /// A required property is gone: new deliveries lack what receivers on the old schema require.
    RemovedRequiredProperty => Breaking, Compatible, Breaking, "removed required property";
    /// An optional property is gone: the provider stops sending it.
    RemovedOptionalProperty => Compatible, Compatible, Breaking, "removed optional property";
    /// A new property that is required: old deliveries lack it.
    AddedRequiredProperty => Compatible, Breaking, Breaking, "added required property";
    /// A new optional property.
    AddedOptionalProperty => Compatible, Compatible, Added, "added optional property";
    /// An existing property became required: old deliveries may lack it.
    NewlyRequired => Compatible, Breaking, Breaking, "newly required";
    /// A required property became optional: new deliveries may lack it.
    NoLongerRequired => Breaking, Compatible, Changed, "no longer required";
    /// Fewer types are accepted: a type removed from a list, `number` to `integer`, a `type`
    /// where there was none, an `anyOf` / `oneOf` branch removed, a `false` schema.
    NarrowedType => Compatible, Breaking, Breaking, "narrowed type";
    /// More types are accepted (the converse of [`ChangeKind::NarrowedType`]): new deliveries
    /// may carry a value receivers on the old schema reject.
    WidenedType => Breaking, Compatible, Changed, "widened type";
    /// A `const` where the value was unconstrained.
    AddedConst => Compatible, Breaking, Breaking, "added const";
    /// A `const` changed value.
    ChangedConst => Breaking, Breaking, Breaking, "changed const";
    /// A `const` was removed.
    RemovedConst => Breaking, Compatible, Changed, "removed const";
    /// An `enum` now lists the values of a value that was unrestricted (a value it does not list
    /// is read as "other").
    AddedEnum => Compatible, Compatible, Breaking, "added enum";
    /// An `enum` was removed: any value is allowed.
    RemovedEnum => Compatible, Compatible, Changed, "removed enum";
    /// Values were removed from an `enum` (a replayed delivery's value is read as "other").
    RemovedEnumValue => Compatible, Compatible, Breaking, "removed enum value";
    /// Values were added to an `enum` (receivers on the old schema read them as "other").
    AddedEnumValue => Compatible, Compatible, Added, "added enum value";
    /// A `format` was added, changed or removed (either direction may reject a value).
    ChangedFormat => Breaking, Breaking, Breaking, "changed format";
    /// A `pattern` was added or changed (a changed pattern may reject values either way).
    TightenedPattern => Breaking, Breaking, Breaking, "tightened pattern";
    /// A `pattern` was removed.
    RemovedPattern => Breaking, Compatible, Changed, "removed pattern";
    /// A bound (`minimum`, `maxLength`, `minItems`, `multipleOf`, `uniqueItems`, …) was added
    /// or made stricter.
    TightenedBound => Compatible, Breaking, Breaking, "tightened bound";
    /// A bound was removed or made looser.
    LoosenedBound => Breaking, Compatible, Changed, "loosened bound";
    /// `additionalProperties` became `false`: old deliveries may carry other members.
    ClosedAdditionalProperties => Compatible, Breaking, Breaking, "closed additional properties";
    /// `additionalProperties` is no longer `false`: new deliveries may carry other members.
    OpenedAdditionalProperties => Breaking, Compatible, Changed, "opened additional properties";
    /// A keyword this module does not classify changed (`not`, `if`, `patternProperties`, an
    /// unresolvable `$ref`, …): breaking both ways until reviewed by hand.
    Unclassified => Breaking, Breaking, Breaking, "unclassified change";
    /// `x-api-version` changed.
    ApiVersion => Compatible, Compatible, Changed, "API version";
    /// An annotation changed: `description`, `title`, `examples`, `x-source`, `x-category`, ….
    Documentation => Compatible, Compatible, Documentation, "documentation";
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One difference between the two versions of a schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What changed.
    pub kind: ChangeKind,
    /// Breaking when it breaks either layer: the wire format in either direction, or the Rust API.
    pub severity: Severity,
    /// What it does to receivers of the wire format, per direction (always `kind.wire()`).
    pub wire: Wire,
    /// What it does to the public Rust API of the generated crate.
    pub rust: RustVerdict,
    /// The schema's path under `schemas/`.
    pub schema: String,
    /// Where in the *payload* (JSON pointer, `*` for any array element or additional property;
    /// `""` for the root).
    pub pointer: String,
    /// What it was and what it is, in words.
    pub detail: String,
}

/// What a change does to the public Rust API of the generated crate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", content = "changes", rename_all = "snake_case")]
pub enum RustVerdict {
    /// The comparison was asked for the wire format only ([`super::Snapshot::new`] without Rust APIs).
    NotCompared,
    /// The API of one version could not be generated: the reason. The gate counts it as breaking.
    Unknown(String),
    /// The differences of the two generated APIs located at this change (none: the API is the
    /// same here).
    Compared(Vec<RustChange>),
}

impl RustVerdict {
    /// Breaking when an API difference is, or when the API could not be compared.
    pub fn severity(&self) -> Severity {
        match self {
            RustVerdict::NotCompared => Severity::Compatible,
            RustVerdict::Unknown(_) => Severity::Breaking,
            RustVerdict::Compared(changes) if changes.iter().any(|c| c.breaking) => {
                Severity::Breaking
            }
            RustVerdict::Compared(_) => Severity::Compatible,
        }
    }

    /// The verdict in words: "not compared", "unchanged", or each API difference.
    pub fn describe(&self) -> String {
        match self {
            RustVerdict::NotCompared => "not compared".to_owned(),
            RustVerdict::Unknown(why) => format!("unknown, counted as breaking: {why}"),
            RustVerdict::Compared(changes) if changes.is_empty() => {
                "public API unchanged".to_owned()
            }
            RustVerdict::Compared(changes) => changes
                .iter()
                .map(RustChange::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

impl Change {
    pub(super) fn location(&self) -> &str {
        if self.pointer.is_empty() {
            "(root)"
        } else {
            &self.pointer
        }
    }

    pub(super) fn what(&self) -> String {
        if self.detail.is_empty() {
            self.kind.label().to_owned()
        } else {
            format!("{}: {}", self.kind.label(), self.detail)
        }
    }

    /// Its changelog section: "Breaking changes" when it breaks either layer, else its kind's.
    pub(super) fn section(&self) -> Section {
        match (self.severity, self.kind.section()) {
            (Severity::Breaking, _) => Section::Breaking,
            (Severity::Compatible, Section::Breaking) => Section::Changed,
            (Severity::Compatible, section) => section,
        }
    }

    /// Sets the Rust verdict, and the severity from both layers.
    pub(super) fn judge_rust(&mut self, rust: RustVerdict) {
        self.severity = self.wire.severity().min(rust.severity());
        self.rust = rust;
    }

    /// The layers and directions it breaks, e.g. "wire: receivers on the old schema; Rust API".
    pub(super) fn breaks(&self) -> String {
        let mut parts = Vec::new();
        if self.wire.old_receivers == Severity::Breaking {
            parts.push("receivers on the old schema (forward)");
        }
        if self.wire.new_receivers == Severity::Breaking {
            parts.push("receivers on the new schema (backward)");
        }
        if self.rust.severity() == Severity::Breaking {
            parts.push("the Rust API");
        }
        parts.join(", ")
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}: {}", self.schema, self.location(), self.what())?;
        if self.severity == Severity::Breaking {
            write!(f, " (breaks {})", self.breaks())?;
        }
        Ok(())
    }
}

pub(super) fn change(kind: ChangeKind, schema: &str, pointer: &str, detail: String) -> Change {
    Change {
        kind,
        severity: kind.severity(),
        wire: kind.wire(),
        rust: RustVerdict::NotCompared,
        schema: schema.to_owned(),
        pointer: pointer.to_owned(),
        detail,
    }
}
