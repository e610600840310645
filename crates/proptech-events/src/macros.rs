//! The two shapes generated code repeats most, written once: open string enums and pattern-checked
//! string newtypes. `cargo xtask gen` emits invocations of these macros.

/// An open string enum: the documented values as variants, anything else kept in an opaque
/// catch-all that only `as_str()` reads.
macro_rules! open_enum {
    (
        $(#[doc = $doc:expr])*
        $vis:vis enum $name:ident {
            $( $variant:ident = $value:literal, )*
        }
    ) => {
        $(#[doc = $doc])*
        ///
        /// Open: a value the docs do not list parses into a hidden catch-all and serialises back
        /// unchanged; read it with `as_str()` (and `is_documented()` is `false`). The catch-all
        /// cannot be matched on, so a later version may give the value a variant of its own
        /// without breaking anyone's `match`: match the documented variants and end with `_`.
        #[non_exhaustive]
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( #[doc = concat!("`", $value, "`")] $variant, )*
            #[doc(hidden)]
            _Custom($crate::__private::PrivOwnedStr),
        }

        impl $name {
            /// The documented values.
            pub const VALUES: &'static [&'static str] = &[$($value),*];

            /// The value as sent.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $value, )*
                    Self::_Custom(other) => other.as_str(),
                }
            }

            /// Whether the value is one the docs list.
            pub fn is_documented(&self) -> bool {
                !matches!(self, Self::_Custom(_))
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $value => Self::$variant, )*
                    other => Self::_Custom($crate::__private::PrivOwnedStr(other.into())),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str>>::deserialize(d)?;
                let parsed = Self::from(&*value);
                if !parsed.is_documented() {
                    $crate::__private::caught_in_catch_all();
                }
                Ok(parsed)
            }
        }

        #[cfg(feature = "schemars")]
        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!({ "type": "string", "enum": Self::VALUES })
            }
        }
    };
}

/// A string newtype that checks a pattern when it is built or parsed.
macro_rules! pattern_newtype {
    (
        $(#[doc = $doc:expr])*
        $vis:vis struct $name:ident($pattern:literal) = $matches:ident;
    ) => {
        $(#[doc = $doc])*
        #[doc = concat!("\n\nChecked against the pattern `", $pattern, "` when built or parsed.")]
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis struct $name(String);

        impl $name {
            /// The pattern every value matches.
            pub const PATTERN: &'static str = $pattern;

            /// Checks `value` against [`Self::PATTERN`].
            pub fn new(value: impl Into<String>) -> Result<Self, $crate::PatternError> {
                let value = value.into();
                if $matches(&value) {
                    Ok(Self(value))
                } else {
                    Err($crate::PatternError { value, type_name: stringify!($name), pattern: $pattern })
                }
            }

            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(&self.0, f)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::PatternError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Self::new(String::deserialize(d)?).map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }

        #[cfg(feature = "schemars")]
        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!({ "type": "string", "pattern": $pattern })
            }
        }
    };
}
