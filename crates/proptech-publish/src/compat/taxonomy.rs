//! The change taxonomy: what kind of change each difference is, its severity and its changelog
//! section.

use std::fmt;

use serde::Serialize;

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

macro_rules! change_kinds {
    ($($(#[doc = $doc:literal])* $variant:ident => $severity:ident, $section:ident, $label:literal;)*) => {
        /// What kind of change a [`Change`] is. Each kind has a fixed [`Severity`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum ChangeKind {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ChangeKind {
            /// Every kind, in report order.
            pub const ALL: &'static [ChangeKind] = &[$(ChangeKind::$variant),*];

            /// Whether this kind of change is breaking.
            pub fn severity(self) -> Severity {
                match self {
                    $(ChangeKind::$variant => Severity::$severity,)*
                }
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
    /// An event schema is gone.
    RemovedEvent => Breaking, Breaking, "removed event";
    /// A new event schema.
    AddedEvent => Compatible, Added, "added event";
    /// A schema that is not an event (envelope, request body) is gone.
    RemovedSchema => Breaking, Breaking, "removed schema";
    /// A new schema that is not an event.
    AddedSchema => Compatible, Added, "added schema";
    /// `x-event-type` or `x-provider` changed: the schema now identifies another event.
    ChangedEventIdentity => Breaking, Breaking, "changed event identity";
    /// A property is gone.
    RemovedProperty => Breaking, Breaking, "removed property";
    /// A new property that is required.
    AddedRequiredProperty => Breaking, Breaking, "added required property";
    /// A new optional property.
    AddedOptionalProperty => Compatible, Added, "added optional property";
    /// An existing property became required.
    NewlyRequired => Breaking, Breaking, "newly required";
    /// A required property became optional.
    NoLongerRequired => Compatible, Changed, "no longer required";
    /// Fewer types are accepted: a type removed from a list, `number` to `integer`, a `type`
    /// where there was none, an `anyOf` / `oneOf` branch removed, a `false` schema.
    NarrowedType => Breaking, Breaking, "narrowed type";
    /// More types are accepted: the converse of [`ChangeKind::NarrowedType`].
    WidenedType => Compatible, Changed, "widened type";
    /// A `const` was added or changed.
    ChangedConst => Breaking, Breaking, "changed const";
    /// A `const` was removed.
    RemovedConst => Compatible, Changed, "removed const";
    /// An `enum` now restricts a value that was unrestricted.
    AddedEnum => Breaking, Breaking, "added enum";
    /// An `enum` was removed: any value is allowed.
    RemovedEnum => Compatible, Changed, "removed enum";
    /// Values were removed from an `enum`.
    RemovedEnumValue => Breaking, Breaking, "removed enum value";
    /// Values were added to an `enum`.
    AddedEnumValue => Compatible, Added, "added enum value";
    /// A `format` was added, changed or removed (formats drive the generated types).
    ChangedFormat => Breaking, Breaking, "changed format";
    /// A `pattern` was added or changed.
    TightenedPattern => Breaking, Breaking, "tightened pattern";
    /// A `pattern` was removed.
    RemovedPattern => Compatible, Changed, "removed pattern";
    /// A bound (`minimum`, `maxLength`, `minItems`, `multipleOf`, `uniqueItems`, …) was added
    /// or made stricter.
    TightenedBound => Breaking, Breaking, "tightened bound";
    /// A bound was removed or made looser.
    LoosenedBound => Compatible, Changed, "loosened bound";
    /// `additionalProperties` became `false`.
    ClosedAdditionalProperties => Breaking, Breaking, "closed additional properties";
    /// `additionalProperties` is no longer `false`.
    OpenedAdditionalProperties => Compatible, Changed, "opened additional properties";
    /// A keyword this module does not classify changed (`not`, `if`, `patternProperties`, an
    /// unresolvable `$ref`, …): breaking until reviewed by hand.
    Unclassified => Breaking, Breaking, "unclassified change";
    /// `x-api-version` changed.
    ApiVersion => Compatible, Changed, "API version";
    /// An annotation changed: `description`, `title`, `examples`, `x-source`, `x-category`, ….
    Documentation => Compatible, Documentation, "documentation";
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
    /// Whether it is breaking (always `kind.severity()`).
    pub severity: Severity,
    /// The schema's path under `schemas/`.
    pub schema: String,
    /// Where in the *payload* (JSON pointer, `*` for any array element or additional property;
    /// `""` for the root).
    pub pointer: String,
    /// What it was and what it is, in words.
    pub detail: String,
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
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}: {}", self.schema, self.location(), self.what())
    }
}

pub(super) fn change(kind: ChangeKind, schema: &str, pointer: &str, detail: String) -> Change {
    Change {
        kind,
        severity: kind.severity(),
        schema: schema.to_owned(),
        pointer: pointer.to_owned(),
        detail,
    }
}
