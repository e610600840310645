//! Release versions and the bump that may carry breaking changes, read with the `semver` crate
//! (cargo's own version parser and caret rule).

use thiserror::Error;

/// Why a version string is not a release version `MAJOR.MINOR.PATCH`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VersionError {
    /// The string is empty.
    #[error("the version is empty; expected MAJOR.MINOR.PATCH, e.g. 1.4.2")]
    Empty,
    /// Not a semantic version (shape, non-digits, leading zeros, overflow).
    #[error("version `{version}` is not MAJOR.MINOR.PATCH, e.g. 1.4.2: {reason}")]
    Invalid {
        /// The version string.
        version: String,
        /// What the semver parser found wrong.
        reason: String,
    },
    /// A pre-release or build suffix, which a release of the schema set does not carry.
    #[error("version `{version}`: no pre-release or build suffix is accepted (`{suffix}`)")]
    Suffix {
        /// The version string.
        version: String,
        /// The suffix.
        suffix: String,
    },
}

/// A release version: `MAJOR.MINOR.PATCH`, no pre-release or build suffix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Version(semver::Version);

impl Version {
    pub(super) fn parse(text: &str) -> Result<Self, VersionError> {
        if text.is_empty() {
            return Err(VersionError::Empty);
        }
        let version = semver::Version::parse(text).map_err(|e| VersionError::Invalid {
            version: text.to_owned(),
            reason: e.to_string(),
        })?;
        if !version.pre.is_empty() || !version.build.is_empty() {
            let suffix = text[text.find(['-', '+']).unwrap_or(text.len())..].to_owned();
            return Err(VersionError::Suffix {
                version: text.to_owned(),
                suffix,
            });
        }
        Ok(Version(version))
    }

    /// Whether `other` is in this version's caret range (`^self`): cargo's "compatible" rule.
    fn is_compatible_with(&self, other: &Version) -> bool {
        semver::Comparator {
            op: semver::Op::Caret,
            major: self.0.major,
            minor: Some(self.0.minor),
            patch: Some(self.0.patch),
            pre: semver::Prerelease::EMPTY,
        }
        .matches(&other.0)
    }

    /// The smallest version after this one that may carry breaking changes.
    pub(super) fn next_breaking(&self) -> Version {
        let v = &self.0;
        Version(match (v.major, v.minor) {
            (0, 0) => semver::Version::new(0, 0, v.patch.saturating_add(1)),
            (0, minor) => semver::Version::new(0, minor.saturating_add(1), 0),
            (major, _) => semver::Version::new(major.saturating_add(1), 0, 0),
        })
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Checks that `version` is `MAJOR.MINOR.PATCH` as [`allows_breaking`] reads versions.
pub fn check_version(version: &str) -> Result<(), VersionError> {
    Version::parse(version).map(|_| ())
}

/// Whether going from `base` to `head` is a bump that may carry breaking changes, by cargo's
/// semver rule: `head` is later than `base` and outside its caret range (from `1.0.0` on, a new
/// major version; below it, a bump of the leftmost non-zero part: `0.1.3` → `0.2.0`,
/// `0.0.1` → `0.0.2`).
pub fn allows_breaking(base: &str, head: &str) -> Result<bool, VersionError> {
    let base = Version::parse(base)?;
    let head = Version::parse(head)?;
    Ok(head > base && !base.is_compatible_with(&head))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn next_breaking_version() {
        assert_eq!(v("1.4.2").next_breaking(), v("2.0.0"));
        assert_eq!(v("0.3.2").next_breaking(), v("0.4.0"));
        assert_eq!(v("0.0.2").next_breaking(), v("0.0.3"));
    }

    #[test]
    fn invalid_versions_are_errors() {
        assert_eq!(allows_breaking("", "1.0.0"), Err(VersionError::Empty));
        for bad in [
            "1.0",
            "1.0.0.0",
            "v1.0.0",
            "1..0",
            "1.02.0",
            "1.0.99999999999999999999",
        ] {
            match allows_breaking(bad, "2.0.0") {
                Err(VersionError::Invalid { version, .. }) => assert_eq!(version, bad),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert_eq!(
            allows_breaking("1.0.0-rc1", "2.0.0"),
            Err(VersionError::Suffix {
                version: "1.0.0-rc1".into(),
                suffix: "-rc1".into()
            })
        );
        assert!(matches!(
            allows_breaking("1.0.0", "2.0.0+build.5"),
            Err(VersionError::Suffix { .. })
        ));
        let message = allows_breaking("v1.0.0", "2.0.0").unwrap_err().to_string();
        assert!(message.contains("`v1.0.0`"), "{message}");
    }
}
