//! Value types shared by every provider: timestamps and dates that keep the text they were sent as,
//! integers of any size, and the zero-sized event type tag of an envelope.

use std::fmt;
use std::marker::PhantomData;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::WebhookEvent;

/// An RFC 3339 date-time (`format: date-time`), checked when parsed.
///
/// It keeps the exact text it was sent as, so a parsed event serialises back to the same JSON (a
/// provider's `"2026-05-01T12:34:56.000Z"` stays that, not `"…56Z"`); [`DateTime::get`] gives the
/// `chrono` value.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DateTime {
    text: Box<str>,
    value: chrono::DateTime<chrono::FixedOffset>,
}

impl DateTime {
    /// Parses an RFC 3339 date-time as the `date-time` format reads it (section 5.6): a
    /// `YYYY-MM-DD` date, `T` or `t`, `hh:mm:ss` with an optional fraction, and `Z`, `z` or a
    /// `±hh:mm` offset; a leap second (`:60`) only where it falls at 23:59 UTC.
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        const EXPECTED: FormatError =
            FormatError("a date-time: YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm) (RFC 3339)");
        // chrono alone also takes a space for the `T` and a leap second at any minute.
        // The calendar (days in the month, leap years) is chrono's to check.
        let shape = text
            .split_once(['T', 't'])
            .is_some_and(|(date, time)| date_shape(date) && rfc3339_time(time));
        if !shape {
            return Err(EXPECTED);
        }
        let value = chrono::DateTime::parse_from_rfc3339(text).map_err(|_| EXPECTED)?;
        Ok(Self {
            text: text.into(),
            value,
        })
    }

    /// The date-time, with the offset it was sent with.
    pub fn get(&self) -> chrono::DateTime<chrono::FixedOffset> {
        self.value
    }

    /// The text it was sent as.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl From<chrono::DateTime<chrono::FixedOffset>> for DateTime {
    fn from(value: chrono::DateTime<chrono::FixedOffset>) -> Self {
        Self {
            text: value.to_rfc3339().into(),
            value,
        }
    }
}

/// Whether `text` is four, two and two digits joined by `-` (RFC 3339's `full-date` shape): chrono
/// alone also takes leading spaces, a sign and longer years, which `format: date` does not.
fn date_shape(text: &str) -> bool {
    text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// Whether `time` is an RFC 3339 `full-time` (section 5.6): `hh:mm:ss` (hours to 23, minutes to
/// 59, seconds to 60), an optional `.` and digits, then `Z`, `z` or `±hh:mm` (to 23:59). A leap
/// second is valid only at 23:59 UTC (section 5.7), after the offset is applied.
fn rfc3339_time(time: &str) -> bool {
    fn two_digits(bytes: &[u8]) -> Option<i16> {
        match bytes {
            [a @ b'0'..=b'9', b @ b'0'..=b'9'] => {
                Some(i16::from(a - b'0') * 10 + i16::from(b - b'0'))
            }
            _ => None,
        }
    }
    let bytes = time.as_bytes();
    if bytes.len() < 9 || bytes[2] != b':' || bytes[5] != b':' {
        return false;
    }
    let (Some(hour), Some(minute), Some(second)) = (
        two_digits(&bytes[0..2]),
        two_digits(&bytes[3..5]),
        two_digits(&bytes[6..8]),
    ) else {
        return false;
    };
    if hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut rest = &bytes[8..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = &fraction[digits..];
    }
    // Minutes east of UTC.
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h0, h1, b':', m0, m1] => {
            let (Some(h), Some(m)) = (two_digits(&[*h0, *h1]), two_digits(&[*m0, *m1])) else {
                return false;
            };
            if h > 23 || m > 59 {
                return false;
            }
            if *sign == b'+' {
                h * 60 + m
            } else {
                -(h * 60 + m)
            }
        }
        _ => return false,
    };
    second != 60 || (hour * 60 + minute - offset).rem_euclid(24 * 60) == 23 * 60 + 59
}

/// A calendar date (`format: date`, `YYYY-MM-DD`), checked when parsed, keeping its text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Date {
    text: Box<str>,
    value: chrono::NaiveDate,
}

impl Date {
    /// Parses a `YYYY-MM-DD` date.
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        const EXPECTED: FormatError = FormatError("a date: YYYY-MM-DD (RFC 3339 full-date)");
        if !date_shape(text) {
            return Err(EXPECTED);
        }
        // The shape makes every field ASCII digits, so these parse; the calendar is chrono's.
        let field = |range: std::ops::Range<usize>| text[range].parse::<u32>().unwrap_or(0);
        let year = i32::try_from(field(0..4)).unwrap_or(0);
        let value =
            chrono::NaiveDate::from_ymd_opt(year, field(5..7), field(8..10)).ok_or(EXPECTED)?;
        Ok(Self {
            text: text.into(),
            value,
        })
    }

    /// The date.
    pub fn get(&self) -> chrono::NaiveDate {
        self.value
    }

    /// The text it was sent as.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl From<chrono::NaiveDate> for Date {
    fn from(value: chrono::NaiveDate) -> Self {
        Self {
            text: value.format("%Y-%m-%d").to_string().into(),
            value,
        }
    }
}

/// A UUID (`format: uuid`): the hyphenated `8-4-4-4-12` text of RFC 4122, in either case,
/// checked when parsed. It keeps the text it was sent as (`uuid::Uuid` alone would write upper-case
/// hex back in lower case, and would also read the simple, braced and URN forms the format
/// rejects); [`Uuid::get`] gives the `uuid::Uuid`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Uuid {
    text: Box<str>,
    value: uuid::Uuid,
}

impl Uuid {
    /// Parses a hyphenated UUID.
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        const EXPECTED: FormatError =
            FormatError("a UUID: 8-4-4-4-12 hexadecimal digits (RFC 4122)");
        let hyphenated = text.len() == 36
            && text.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_hexdigit(),
            });
        if !hyphenated {
            return Err(EXPECTED);
        }
        let value = uuid::Uuid::try_parse(text).map_err(|_| EXPECTED)?;
        Ok(Self {
            text: text.into(),
            value,
        })
    }

    /// The UUID.
    pub fn get(&self) -> uuid::Uuid {
        self.value
    }

    /// The text it was sent as.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl From<uuid::Uuid> for Uuid {
    fn from(value: uuid::Uuid) -> Self {
        Self {
            text: value.hyphenated().to_string().into(),
            value,
        }
    }
}

/// An email address (`format: email`), checked when parsed as the schemas' validator checks it:
/// RFC 5321 syntax (the `email_address` crate, which the `jsonschema` crate uses too), an ASCII
/// local part, and a domain that is a host name (RFC 1123 labels) or an address literal. It keeps
/// its text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email {
    text: Box<str>,
}

impl Email {
    /// Checks an email address.
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        if email_is_valid(text) {
            Ok(Self { text: text.into() })
        } else {
            Err(FormatError("an email address: local@domain (RFC 5321)"))
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// `format: email` as the `jsonschema` crate judges it.
fn email_is_valid(text: &str) -> bool {
    // `email_address` rejects an empty quoted local part, which RFC 5321 allows.
    if let Some(domain) = text.strip_prefix("\"\"@") {
        return email_is_valid(&format!("\"a\"@{domain}"));
    }
    match text.parse::<email_address::EmailAddress>() {
        Ok(address) => address.local_part().is_ascii() && email_domain_is_valid(address.domain()),
        Err(_) => false,
    }
}

/// An email domain: an address literal (`[192.0.2.1]`, `[IPv6:…]`) or a host name.
fn email_domain_is_valid(domain: &str) -> bool {
    const IPV6_TAG: &str = "IPv6:";
    if let Some(literal) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        match literal.get(..IPV6_TAG.len()) {
            Some(tag) if tag.eq_ignore_ascii_case(IPV6_TAG) => literal[IPV6_TAG.len()..]
                .parse::<std::net::Ipv6Addr>()
                .is_ok(),
            _ => literal.parse::<std::net::Ipv4Addr>().is_ok(),
        }
    } else {
        hostname_is_valid(domain)
    }
}

/// A host name: at most 253 characters, no trailing dot, labels of 1 to 63 letters, digits and
/// hyphens that neither start nor end with a hyphen, and no `??--` label but an A-label (`xn--`,
/// RFC 5891; in lower case, as the validator reads it) whose Punycode decodes.
fn hostname_is_valid(name: &str) -> bool {
    if name.is_empty() || name.len() > 253 || name.ends_with('.') {
        return false;
    }
    name.split('.').all(|label| {
        let bytes = label.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= 63
            && bytes[0] != b'-'
            && bytes[bytes.len() - 1] != b'-'
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            && (bytes.len() < 4
                || &bytes[2..4] != b"--"
                || (&bytes[..2] == b"xn" && punycode_decodes(&label[4..])))
    })
}

/// Whether an A-label's payload decodes as Punycode (RFC 3492, section 6.2) to a label of
/// code points IDNA allows ([`u_label_is_valid`]).
fn punycode_decodes(input: &str) -> bool {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(u32::from(b - b'0') + 26),
        b'A'..=b'Z' => Some(u32::from(b - b'A')),
        b'a'..=b'z' => Some(u32::from(b - b'a')),
        _ => None,
    };
    let adapt = |mut delta: u32, count: u32, first: bool| {
        delta /= if first { 700 } else { 2 };
        delta += delta / count;
        let mut k = 0;
        while delta > ((BASE - TMIN) * TMAX) / 2 {
            delta /= BASE - TMIN;
            k += BASE;
        }
        k + ((BASE - TMIN + 1) * delta) / (delta + 38)
    };
    let decode = || -> Option<Vec<char>> {
        let bytes = input.as_bytes();
        let (basic, encoded) = match bytes.iter().rposition(|&b| b == b'-') {
            Some(at) if at > 0 => (&bytes[..at], &bytes[at + 1..]),
            _ => (&bytes[..0], bytes),
        };
        let mut output: Vec<char> = basic.iter().map(|&b| char::from(b)).collect();
        let (mut n, mut i, mut bias, mut at) = (128u32, 0u32, 72u32, 0);
        while at < encoded.len() {
            let previous = i;
            let (mut weight, mut k) = (1u32, BASE);
            loop {
                let d = digit(*encoded.get(at)?)?;
                at += 1;
                i = i.checked_add(d.checked_mul(weight)?)?;
                let t = if k <= bias {
                    TMIN
                } else if k >= bias + TMAX {
                    TMAX
                } else {
                    k - bias
                };
                if d < t {
                    break;
                }
                weight = weight.checked_mul(BASE - t)?;
                k += BASE;
            }
            let count = u32::try_from(output.len()).ok()? + 1;
            bias = adapt(i - previous, count, previous == 0);
            n = n.checked_add(i / count)?;
            i %= count;
            output.insert(i as usize, char::from_u32(n)?);
            i += 1;
        }
        Some(output)
    };
    decode().is_some_and(|chars| u_label_is_valid(&chars))
}

/// Whether a decoded label holds only code points RFC 5892 makes PVALID, as the schemas'
/// validator reads it: ASCII, or a letter, combining mark or decimal digit (by Unicode general
/// category, from the `unicode-general-category` crate the validator uses), not starting with a
/// mark, with the contextual rules of its appendix A (joiners, middle dots, Greek, Hebrew,
/// Katakana and Arabic-Indic digits) and the code points it disallows outright.
fn u_label_is_valid(label: &[char]) -> bool {
    use unicode_general_category::{GeneralCategory as C, get_general_category as category};
    /// The viramas a ZERO WIDTH JOINER may follow (RFC 5892 appendix A.2).
    const VIRAMAS: [char; 50] = [
        '\u{094D}',
        '\u{09CD}',
        '\u{0A4D}',
        '\u{0ACD}',
        '\u{0B4D}',
        '\u{0BCD}',
        '\u{0C4D}',
        '\u{0CCD}',
        '\u{0D4D}',
        '\u{0DCA}',
        '\u{0E3A}',
        '\u{0F84}',
        '\u{1039}',
        '\u{1714}',
        '\u{1734}',
        '\u{17D2}',
        '\u{1A60}',
        '\u{1B44}',
        '\u{1BAA}',
        '\u{1BF2}',
        '\u{1BF3}',
        '\u{2D7F}',
        '\u{A806}',
        '\u{A8C4}',
        '\u{A953}',
        '\u{ABED}',
        '\u{10A3F}',
        '\u{11046}',
        '\u{1107F}',
        '\u{110B9}',
        '\u{11133}',
        '\u{111C0}',
        '\u{11235}',
        '\u{112EA}',
        '\u{1134D}',
        '\u{11442}',
        '\u{114C2}',
        '\u{115BF}',
        '\u{1163F}',
        '\u{116B6}',
        '\u{1172B}',
        '\u{11839}',
        '\u{119E0}',
        '\u{11A34}',
        '\u{11A47}',
        '\u{11A99}',
        '\u{11C3F}',
        '\u{11D44}',
        '\u{11D45}',
        '\u{11D97}',
    ];
    let mark = |c: char| {
        matches!(
            category(c),
            C::SpacingMark | C::NonspacingMark | C::EnclosingMark
        )
    };
    if label.first().is_some_and(|&c| mark(c)) {
        return false;
    }
    let (mut katakana_dot, mut kana_or_han, mut arabic_digits, mut extended_digits) =
        (false, false, false, false);
    for (i, &c) in label.iter().enumerate() {
        let previous = i.checked_sub(1).map(|i| label[i]);
        let next = label.get(i + 1).copied();
        let valid = match c {
            '\u{200D}' => previous.is_some_and(|p| VIRAMAS.contains(&p)),
            '\u{00B7}' => previous == Some('l') && next == Some('l'),
            '\u{0375}' => next.is_some_and(|n| ('\u{0370}'..='\u{03FF}').contains(&n)),
            '\u{05F3}' | '\u{05F4}' => {
                previous.is_some_and(|p| ('\u{0590}'..='\u{05FF}').contains(&p))
            }
            '\u{30FB}' => {
                katakana_dot = true;
                true
            }
            '\u{3040}'..='\u{309F}' | '\u{30A0}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}' => {
                kana_or_han = true;
                true
            }
            '\u{0660}'..='\u{0669}' => {
                arabic_digits = true;
                true
            }
            '\u{06F0}'..='\u{06F9}' => {
                extended_digits = true;
                true
            }
            '\u{0640}'
            | '\u{07FA}'
            | '\u{302E}'
            | '\u{302F}'
            | '\u{3031}'..='\u{3035}'
            | '\u{303B}' => false,
            // PVALID by exception, whatever their category.
            '\u{200C}' | '\u{06FD}' | '\u{06FE}' | '\u{0F0B}' | '\u{3007}' => true,
            c => {
                c.is_ascii()
                    || matches!(
                        category(c),
                        C::UppercaseLetter
                            | C::LowercaseLetter
                            | C::TitlecaseLetter
                            | C::ModifierLetter
                            | C::OtherLetter
                            | C::NonspacingMark
                            | C::SpacingMark
                            | C::DecimalNumber
                    )
            }
        };
        if !valid {
            return false;
        }
    }
    (kana_or_han || !katakana_dot) && !(arabic_digits && extended_digits)
}

/// An absolute URI (`format: uri`), checked when parsed against RFC 3986's `URI` grammar by the
/// `fluent-uri` crate, the parser the schemas' validator (the `jsonschema` crate) uses. It keeps
/// its text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Uri {
    text: Box<str>,
}

impl Uri {
    /// Checks an absolute URI: a scheme, `:`, and the rest as RFC 3986 section 3 allows it.
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        match fluent_uri::Uri::parse(text) {
            Ok(_) => Ok(Self { text: text.into() }),
            Err(_) => Err(FormatError("an absolute URI: scheme:rest (RFC 3986)")),
        }
    }

    /// The URI.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// A string that does not have the shape its format requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {0}")]
pub struct FormatError(&'static str);

macro_rules! text_type_impls {
    ($ty:ident, $what:literal, $err:ty) => {
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.text, f)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.text)
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.text)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&text).map_err(|e| {
                    D::Error::custom(format_args!(concat!("{:?} is not ", $what, ": {}"), text, e))
                })
            }
        }

        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "format": $what })
            }
        }
    };
}

text_type_impls!(DateTime, "date-time", FormatError);
text_type_impls!(Date, "date", FormatError);
text_type_impls!(Email, "email", FormatError);
text_type_impls!(Uri, "uri", FormatError);
text_type_impls!(Uuid, "uuid", FormatError);

/// Any JSON integer (`type: integer` with no bound that fits a fixed-width type), kept as sent.
///
/// The schemas set no range on most integers, so neither does the type: `18446744073709551616`
/// parses as it validates. [`Integer::as_i64`] and [`Integer::as_u64`] give the value where it
/// fits. A number with a fraction (`1.5`) is rejected.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Integer(serde_json::Number);

impl Integer {
    /// The value, if it fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.as_i64()
    }

    /// The value, if it fits a `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        self.0.as_u64()
    }

    /// The value as the nearest `f64`.
    pub fn as_f64(&self) -> f64 {
        self.0.as_f64().unwrap_or(f64::NAN)
    }

    /// The number as parsed.
    pub fn as_number(&self) -> &serde_json::Number {
        &self.0
    }

    /// `number` if it is an integer (`2`, `-7`, `1e20`), or the number back.
    pub fn from_number(number: serde_json::Number) -> Result<Self, serde_json::Number> {
        let integral = number.is_i64()
            || number.is_u64()
            || number
                .as_f64()
                .is_some_and(|f| f.is_finite() && f.fract() == 0.0);
        if integral {
            Ok(Self(number))
        } else {
            Err(number)
        }
    }
}

macro_rules! integer_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Integer {
            fn from(value: $t) -> Self {
                Self(value.into())
            }
        }

        impl PartialEq<$t> for Integer {
            fn eq(&self, other: &$t) -> bool {
                let value = self.0.as_i64().map(i128::from).or(self.0.as_u64().map(i128::from));
                value == Some(i128::from(*other))
            }
        }
    )*};
}

integer_from!(u8, u16, u32, u64, i8, i16, i32, i64);

impl fmt::Debug for Integer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for Integer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Integer {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Integer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let number = serde_json::Number::deserialize(d)?;
        Self::from_number(number)
            .map_err(|n| D::Error::custom(format_args!("{n} is not an integer")))
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Integer {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Integer".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "integer" })
    }
}

/// The event type field of a typed event: always `E::EVENT_TYPE`.
///
/// It takes no space. When an event is parsed it checks that the delivery names `E`'s event type;
/// when an event is serialised it writes it. Build one with `EventType::default()`.
pub struct EventType<E>(PhantomData<fn() -> E>);

impl<E: WebhookEvent> EventType<E> {
    /// The event type, as the provider spells it.
    pub fn as_str(&self) -> &'static str {
        E::EVENT_TYPE
    }
}

impl<E> Default for EventType<E> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<E> Clone for EventType<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for EventType<E> {}

impl<E> PartialEq for EventType<E> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<E> Eq for EventType<E> {}

impl<E: WebhookEvent> fmt::Debug for EventType<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(E::EVENT_TYPE, f)
    }
}

impl<E: WebhookEvent> fmt::Display for EventType<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(E::EVENT_TYPE)
    }
}

impl<E: WebhookEvent> Serialize for EventType<E> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(E::EVENT_TYPE)
    }
}

impl<'de, E: WebhookEvent> Deserialize<'de> for EventType<E> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        expect_event_type(d, E::EVENT_TYPE).map(|()| Self::default())
    }
}

/// Reads a string and checks it is `expected`: the body of every `EventType<E>`'s parse, compiled
/// once per deserializer rather than once per event type.
pub(crate) fn expect_event_type<'de, D: Deserializer<'de>>(
    d: D,
    expected: &str,
) -> Result<(), D::Error> {
    let found = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    if found == expected {
        Ok(())
    } else {
        Err(D::Error::custom(format_args!(
            "expected event type {expected:?}, found {found:?}"
        )))
    }
}

#[cfg(feature = "schemars")]
impl<E: WebhookEvent> schemars::JsonSchema for EventType<E> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("EventType_{}", E::EVENT_TYPE).into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "const": E::EVENT_TYPE })
    }
}
