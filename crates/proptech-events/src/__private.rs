//! Support for generated and derived code. Not public API: it may change in any release.

#![allow(
    clippy::exhaustive_structs,
    clippy::exhaustive_enums,
    reason = "hidden helpers of generated and derived code, which change with this crate's version"
)]

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

pub use crate::{DocumentationStatus, Provider, WebhookEvent};

use crate::{ParseError, ParseErrorKind};

/// A schema pattern and its generated matcher.
pub type PatternMatcher = (&'static str, fn(&str) -> bool);

/// Every schema pattern with its generated matcher: the tests judge each against a JSON Schema
/// validator.
pub const PATTERN_MATCHERS: &[PatternMatcher] = crate::patterns::MATCHERS;

thread_local! {
    /// Set while parsing when a value lands in an open enum's catch-all, that is, where the
    /// schema's `enum` or `const` would reject it; read by [`parse_watching_catch_alls`].
    static CAUGHT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Notes that the value being parsed landed in a catch-all (called by `open_enum!`'s
/// deserializer on that path only).
#[inline]
pub fn caught_in_catch_all() {
    CAUGHT.with(|c| c.set(true));
}

/// Runs `parse` and says whether any value it parsed landed in an open enum's catch-all: with
/// the typed parse accepting exactly what the schemas accept otherwise, `Ok` and `false` means
/// the schema accepts the delivery too, with no second walk over it.
pub fn parse_watching_catch_alls<T>(parse: impl FnOnce() -> T) -> (T, bool) {
    let before = CAUGHT.with(|c| c.replace(false));
    let out = parse();
    // A watch inside another passes its catches on to the outer one.
    let caught = CAUGHT.with(|c| c.replace(before));
    CAUGHT.with(|c| c.set(before || caught));
    (out, caught)
}

fn error(
    provider: Provider,
    event_type: Option<&str>,
    kind: ParseErrorKind,
    path: String,
    message: impl fmt::Display,
) -> ParseError {
    ParseError {
        provider,
        event_type: event_type.map(str::to_owned),
        path,
        kind,
        message: message.to_string(),
    }
}

/// A catalog entry, for the generated `EVENTS` tables (outside this crate, [`crate::EventInfo`]
/// cannot be built with a struct literal).
pub const fn event_info(
    event_type: &'static str,
    category: &'static str,
    documentation_status: DocumentationStatus,
    json_schema: &'static str,
    personal_data: &'static [crate::personal::PersonalMember],
) -> crate::EventInfo {
    crate::EventInfo {
        event_type,
        category,
        documentation_status,
        json_schema,
        personal_data,
    }
}

/// String equality in a const context, for the derive's compile-time assertions.
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Reads the event type from the top-level member `field` of a JSON object, skipping the rest.
pub fn probe(provider: Provider, bytes: &[u8], field: &'static str) -> Result<String, ParseError> {
    struct Probe(&'static str);
    impl<'de> DeserializeSeed<'de> for Probe {
        type Value = Option<Result<String, String>>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for Probe {
        type Value = Option<Result<String, String>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                if key == self.0 && found.is_none() {
                    let value: serde_json::Value = map.next_value()?;
                    found = Some(match value {
                        serde_json::Value::String(s) => Ok(s),
                        other => Err(format!("{} is {other}, not a string", self.0)),
                    });
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let found = Probe(field)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| error(provider, None, ParseErrorKind::Syntax, String::new(), e))?;
    match found {
        Some(Ok(t)) => Ok(t),
        Some(Err(message)) => Err(error(
            provider,
            None,
            ParseErrorKind::MissingEventType,
            format!("/{field}"),
            message,
        )),
        None => Err(error(
            provider,
            None,
            ParseErrorKind::MissingEventType,
            String::new(),
            format_args!("missing field `{field}`"),
        )),
    }
}

/// Parses `bytes` as `T`, naming the JSON pointer of the first value that does not fit.
///
/// One parse, with the path noted on the way out of a failure (see [`at_key`]): a second,
/// path-tracking parse would compile every type's `Deserialize` twice.
///
/// `personal` are the members of the event marked as personal data: a failure inside one of them
/// says what did not fit without quoting the value.
pub fn parse_as<'de, T: Deserialize<'de>>(
    provider: Provider,
    event_type: &str,
    bytes: &'de [u8],
    personal: &'static [crate::personal::PersonalMember],
) -> Result<T, ParseError> {
    let track = Track::start();
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(e) => Err(parse_failed(provider, event_type, e, &track, personal)),
    }
}

/// The error of a failed typed parse at `path`, its message withheld when `path` is inside a
/// member marked as personal data (serde's messages quote the value they reject).
fn data_error(
    provider: Provider,
    event_type: Option<&str>,
    kind: ParseErrorKind,
    path: String,
    e: impl fmt::Display,
    personal: &[crate::personal::PersonalMember],
) -> ParseError {
    // A syntax error names a position, never a value: only a data error is withheld.
    if kind != ParseErrorKind::Data {
        return error(provider, event_type, kind, path, e);
    }
    if let Some(category) = crate::personal::at_pointer(personal, &path) {
        let message = format!(
            "the value does not fit its type (not shown: the schema marks it as {category} \
             personal data)"
        );
        return error(provider, event_type, kind, path, message);
    }
    // Above a marked member, a string sent where an object or list belongs (a double-encoded
    // object, say) holds the personal data serde would quote.
    let message = e.to_string();
    if crate::personal::may_hold(personal, &path) && message.contains("string \"") {
        let message = "a string where the schema wants an object or a list (not shown: it may \
                       hold personal data)";
        return error(provider, event_type, kind, path, message);
    }
    error(provider, event_type, kind, path, message)
}

/// The error of a failed [`parse_as`], with the path noted on the way out: not generic, so it is
/// compiled once rather than once per event type.
#[cold]
#[inline(never)]
fn parse_failed(
    provider: Provider,
    event_type: &str,
    e: serde_json::Error,
    track: &Track,
    personal: &[crate::personal::PersonalMember],
) -> ParseError {
    let event_type = Some(event_type).filter(|t| !t.is_empty());
    data_error(
        provider,
        event_type,
        kind_of(&e),
        track.pointer(),
        e,
        personal,
    )
}

/// Whether serde_json failed on the JSON itself or on a value that does not fit the type.
fn kind_of(e: &serde_json::Error) -> ParseErrorKind {
    if e.is_data() {
        ParseErrorKind::Data
    } else {
        ParseErrorKind::Syntax
    }
}

/// A member name as a JSON pointer token.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Builds `T` from an already parsed value, consuming it (its strings move into `T`), naming the
/// JSON pointer of the first value that does not fit.
#[cfg(feature = "validate")]
pub fn parse_value_as<T: serde::de::DeserializeOwned>(
    provider: Provider,
    event_type: &str,
    value: serde_json::Value,
    personal: &'static [crate::personal::PersonalMember],
) -> Result<T, ParseError> {
    let track = Track::start();
    T::deserialize(value).map_err(|e| {
        data_error(
            provider,
            Some(event_type),
            ParseErrorKind::Data,
            track.pointer(),
            e,
            personal,
        )
    })
}

/// One step of the path to a failed value.
enum Segment {
    Key(String),
    Index(usize),
}

thread_local! {
    /// The path of the failure being returned, innermost step first; `None` outside a parse of
    /// [`parse_as`], so that a type parsed on its own notes nothing.
    static PATH: std::cell::RefCell<Option<Vec<Segment>>> = const { std::cell::RefCell::new(None) };
}

/// Notes the path while it lives: set by [`parse_as`] around its parse.
struct Track(Option<Vec<Segment>>);

impl Track {
    fn start() -> Self {
        Self(PATH.with(|p| p.replace(Some(Vec::new()))))
    }

    /// The noted path as a JSON pointer.
    fn pointer(&self) -> String {
        PATH.with(|p| {
            let mut out = String::new();
            for segment in p.borrow().iter().flatten().rev() {
                out.push('/');
                match segment {
                    Segment::Key(key) => out.push_str(&escape(key)),
                    Segment::Index(index) => out.push_str(&index.to_string()),
                }
            }
            out
        })
    }
}

impl Drop for Track {
    fn drop(&mut self) {
        let outer = self.0.take();
        PATH.with(|p| *p.borrow_mut() = outer);
    }
}

#[cold]
fn note(segment: impl FnOnce() -> Segment) {
    PATH.with(|p| {
        if let Some(path) = p.borrow_mut().as_mut() {
            path.push(segment());
        }
    });
}

/// Passes on the error of the member `key`'s value, noting `key` as a step of its path.
#[cold]
pub fn at_key<E>(e: E, key: &str) -> E {
    note(|| Segment::Key(key.to_owned()));
    e
}

/// Passes on the error of the element at `index`, noting `index` as a step of its path.
#[cold]
pub fn at_index<E>(e: E, index: usize) -> E {
    note(|| Segment::Index(index));
    e
}

/// An array whose elements are read with `S`, an element's failure naming its index.
#[derive(Clone, Copy)]
pub struct Seq<S>(pub S);

impl<'de, S: DeserializeSeed<'de> + Copy> DeserializeSeed<'de> for Seq<S> {
    type Value = Vec<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, S: DeserializeSeed<'de> + Copy> Visitor<'de> for Seq<S> {
    type Value = Vec<S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        loop {
            match seq.next_element_seed(self.0) {
                Ok(Some(value)) => out.push(value),
                Ok(None) => return Ok(out),
                Err(e) => return Err(at_index(e, out.len())),
            }
        }
    }
}

/// An object whose member values are all read with `S`, a member's failure naming its key.
#[derive(Clone, Copy)]
pub struct MapOf<S>(pub S);

impl<'de, S: DeserializeSeed<'de> + Copy> DeserializeSeed<'de> for MapOf<S> {
    type Value = std::collections::BTreeMap<String, S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, S: DeserializeSeed<'de> + Copy> Visitor<'de> for MapOf<S> {
    type Value = std::collections::BTreeMap<String, S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = std::collections::BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self.0).map_err(|e| at_key(e, &key))?;
            out.insert(key, value);
        }
        Ok(out)
    }
}

/// A value read with `S`, or `null`.
#[derive(Clone, Copy)]
pub struct NullOr<S>(pub S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for NullOr<S> {
    type Value = Option<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for NullOr<S> {
    type Value = Option<S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("option")
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Some)
    }
}

/// Keeps a delivery of an event type the crate does not know, whole.
pub fn unknown(
    provider: Provider,
    event_type: String,
    bytes: &[u8],
) -> Result<crate::UnknownEvent, ParseError> {
    let raw: Box<RawValue> = serde_json::from_slice(bytes).map_err(|e| {
        error(
            provider,
            Some(&event_type),
            ParseErrorKind::Syntax,
            String::new(),
            e,
        )
    })?;
    Ok(crate::UnknownEvent { event_type, raw })
}

/// A required member whose value may be `null`: absent is an error, `null` is `None`.
pub fn required_nullable<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d)
}

/// An optional member whose value is kept as sent, `null` included: absent is `None`.
pub fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// An optional member whose value may be `null`: absent is `None`, `null` is `Some(None)`.
pub mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Deserializes a present member (absent ones are `None` through `#[serde(default)]`).
    pub fn deserialize<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }

    /// Serializes a present member (absent ones are skipped with `skip_serializing_if`).
    pub fn serialize<S, T>(value: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        T: Serialize,
    {
        match value {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }
}

/// The schema of a required member whose value may be `null`: schemars would make an `Option`
/// member optional, or with `required` drop its `null`.
#[cfg(feature = "schemars")]
pub struct Nullable<T>(std::marker::PhantomData<T>);

#[cfg(feature = "schemars")]
impl<T: schemars::JsonSchema> schemars::JsonSchema for Nullable<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Nullable_{}", T::schema_name()).into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Option<T> as schemars::JsonSchema>::json_schema(generator)
    }
}

/// A member name of a generated struct: the index of a known member, or an unknown name.
pub enum Member {
    /// The member at this index of the struct's member list.
    Known(usize),
    /// A member the struct does not list.
    Unknown(String),
}

/// Reads a member name, looking it up with the struct's own `match` (the index of a known member)
/// without allocating.
#[derive(Clone, Copy)]
pub struct Key(pub fn(&str) -> Option<usize>);

impl Key {
    fn member(&self, name: &str) -> Option<Member> {
        (self.0)(name).map(Member::Known)
    }
}

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Member;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Member, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Member;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Member, E> {
        Ok(self
            .member(v)
            .unwrap_or_else(|| Member::Unknown(v.to_owned())))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Member, E> {
        Ok(self.member(&v).unwrap_or(Member::Unknown(v)))
    }
}

/// Deserializes a `T`, then checks it with `F` (numeric bounds): a failure names the value's path.
pub struct Checked<T, F>(F, PhantomData<fn() -> T>);

impl<T, F> Checked<T, F> {
    /// Checks with `check`.
    pub fn new(check: F) -> Self {
        Self(check, PhantomData)
    }
}

impl<'de, T, F> DeserializeSeed<'de> for Checked<T, F>
where
    T: Deserialize<'de>,
    F: FnOnce(&T) -> Result<(), String>,
{
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        let value = T::deserialize(d)?;
        (self.0)(&value).map_err(<D::Error as serde::de::Error>::custom)?;
        Ok(value)
    }
}

/// A number whose bounds can be checked.
pub trait Bounded {
    /// The value as an `f64` (bounds of the schemas are small integers, exact as `f64`).
    fn as_f64(&self) -> f64;
}

impl Bounded for u64 {
    fn as_f64(&self) -> f64 {
        *self as f64
    }
}

impl Bounded for i64 {
    fn as_f64(&self) -> f64 {
        *self as f64
    }
}

impl Bounded for serde_json::Number {
    fn as_f64(&self) -> f64 {
        serde_json::Number::as_f64(self).unwrap_or(f64::NAN)
    }
}

impl Bounded for crate::Integer {
    fn as_f64(&self) -> f64 {
        Bounded::as_f64(self.as_number())
    }
}

/// Checks `minimum`, `maximum`, `exclusiveMinimum` and `exclusiveMaximum`.
pub fn bounds<N: Bounded + fmt::Display>(
    n: &N,
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: Option<f64>,
    exclusive_maximum: Option<f64>,
) -> Result<(), String> {
    let x = n.as_f64();
    let fail = |what: &str, bound: f64| Err(format!("{n} is {what} {bound}"));
    use std::cmp::Ordering::{Equal, Greater, Less};
    let cmp = |m: f64| x.partial_cmp(&m);
    if let Some(m) = minimum.filter(|m| !matches!(cmp(*m), Some(Greater | Equal))) {
        return fail("less than the minimum", m);
    }
    if let Some(m) = maximum.filter(|m| !matches!(cmp(*m), Some(Less | Equal))) {
        return fail("greater than the maximum", m);
    }
    if let Some(m) = exclusive_minimum.filter(|m| cmp(*m) != Some(Greater)) {
        return fail("not greater than the exclusive minimum", m);
    }
    if let Some(m) = exclusive_maximum.filter(|m| cmp(*m) != Some(Less)) {
        return fail("not less than the exclusive maximum", m);
    }
    Ok(())
}

/// A JSON number's text as a decimal: its digits (sign and point dropped), whether it is
/// negative, and the power of ten they are scaled by (`-1.25e3` is `("125", true, 1)`).
fn decimal(text: &str) -> Option<(String, i64)> {
    let text = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.trim_start_matches('+').parse::<i64>().ok()?),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let places = i64::try_from(fraction.len()).ok()?;
    Some((digits, exponent.checked_sub(places)?))
}

/// Checks `multipleOf` exactly, in decimal, on the number as sent: `0.3` is a multiple of `0.1`
/// (in `f64` it is not), and an integer of any width is divided digit by digit. `multiple` is
/// the schema's literal, positive, with at most 36 significant digits (the generator checks).
///
/// A whole `multiple` and a number sent with a fraction or an exponent are divided as the
/// validator divides them, in `f64`: serde_json keeps such a number as its `f64` (so `1e300` is
/// the binary integer nearest 10^300, which 3 may divide though 10^300 is not a multiple of 3),
/// and below 2^53 the `f64` is exact anyway.
pub fn multiple_of<N: Bounded + fmt::Display>(n: &N, multiple: &str) -> Result<(), String> {
    let text = n.to_string();
    let fail = || Err(format!("{text} is not a multiple of {multiple}"));
    let whole = multiple
        .parse::<f64>()
        .ok()
        .filter(|m| m.fract() == 0.0 && *m > 0.0 && *m <= (1_u64 << 53) as f64);
    if let Some(m) = whole
        && text.contains(['.', 'e', 'E'])
    {
        let x = n.as_f64();
        return if x.fract() == 0.0 && x % m == 0.0 {
            Ok(())
        } else {
            fail()
        };
    }
    let (Some((value, value_exp)), Some((divisor, divisor_exp))) =
        (decimal(&text), decimal(multiple))
    else {
        return fail();
    };
    // value * 10^value_exp / (divisor * 10^divisor_exp) is an integer iff, with both scaled to
    // the smaller exponent, the divisor divides the value: long division over the value's digits
    // and its trailing zeros, so the value may be of any width. The remainder stays below the
    // divisor, below 10^37, so `* 10` cannot overflow.
    let shared = value_exp.min(divisor_exp);
    let scaled = u32::try_from(divisor_exp - shared)
        .ok()
        .and_then(|p| 10_u128.checked_pow(p))
        .and_then(|scale| divisor.parse::<u128>().ok()?.checked_mul(scale))
        .filter(|d| *d != 0 && *d < 10_u128.pow(37));
    let Some(divisor) = scaled else {
        // A divisor of 10^37 value units or more: read as dividing only 0 (values that large in
        // such fine units do not occur in JSON numbers serde_json reads).
        return if value.bytes().all(|b| b == b'0') {
            Ok(())
        } else {
            fail()
        };
    };
    let mut rest = 0_u128;
    for digit in value.bytes() {
        rest = (rest * 10 + u128::from(digit - b'0')) % divisor;
    }
    for _ in 0..(value_exp - shared).min(1_000) {
        rest = (rest * 10) % divisor;
    }
    if rest == 0 { Ok(()) } else { fail() }
}

/// Checks the length of a string against `minLength` and `maxLength`, counted in Unicode code
/// points as JSON Schema (and the `jsonschema` crate) counts them, not in bytes.
pub fn length(s: &str, min_length: Option<u64>, max_length: Option<u64>) -> Result<(), String> {
    let n = s.chars().count() as u64;
    if let Some(m) = min_length.filter(|m| n < *m) {
        return Err(format!("{n} characters, fewer than the minLength {m}"));
    }
    if let Some(m) = max_length.filter(|m| n > *m) {
        return Err(format!("{n} characters, more than the maxLength {m}"));
    }
    Ok(())
}

/// The value of an open enum that its version does not list: private, so that no one can match on
/// it and a later version can give the value a variant of its own without breaking a `match`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PrivOwnedStr(pub(crate) Box<str>);

impl PrivOwnedStr {
    /// The value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PrivOwnedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// The members of an object that its type does not list, each kept as the exact JSON text it was
/// sent as (any number, even one beyond `f64`, survives), in the order they came. Empty costs
/// nothing: the list is allocated when the first unknown member arrives.
#[derive(Clone, Default)]
pub struct Extra(Option<Box<Members>>);

/// Unknown members, by name, in arrival order.
type Members = Vec<(String, Box<RawValue>)>;

impl Extra {
    /// No members.
    pub fn new() -> Self {
        Self(None)
    }

    /// The members.
    pub fn get(&self) -> &[(String, Box<RawValue>)] {
        self.0.as_deref().map(Vec::as_slice).unwrap_or_default()
    }

    /// The members, to change.
    pub fn get_mut(&mut self) -> &mut Vec<(String, Box<RawValue>)> {
        self.0.get_or_insert_with(Default::default)
    }

    /// The member `name`, if it was sent.
    pub fn member(&self, name: &str) -> Option<&RawValue> {
        self.get()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| &**v)
    }

    /// Keeps one member.
    pub fn insert(&mut self, name: String, value: Box<RawValue>) {
        self.get_mut().push((name, value));
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.get().is_empty()
    }
}

impl PartialEq for Extra {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.get(), other.get());
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|((n, v), (m, w))| n == m && v.get() == w.get())
    }
}

/// Names, not values: no schema has said whether an unknown member holds personal data, so `Debug`
/// shows what kind of value each one is and keeps its text out of logs (see [`crate::personal`]).
impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Unjudged<'a>(&'a RawValue);
        impl fmt::Debug for Unjudged<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let kind = match self.0.get().trim_start().as_bytes().first() {
                    Some(b'"') => "string",
                    Some(b'{') => "object",
                    Some(b'[') => "array",
                    Some(b't' | b'f') => "boolean",
                    Some(b'n') => "null",
                    _ => "number",
                };
                write!(f, "[not shown: {kind}]")
            }
        }
        f.debug_map()
            .entries(self.get().iter().map(|(n, v)| (n, Unjudged(v))))
            .finish()
    }
}

impl serde::Serialize for Extra {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.get().iter().map(|(n, v)| (n, v)))
    }
}

/// Reads an envelope's event type member and checks it is the expected one: what
/// `EventType<E>` reads, for the envelope code that is compiled once rather than per payload type.
pub struct EventTypeSeed(pub &'static str);

impl<'de> DeserializeSeed<'de> for EventTypeSeed {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        crate::types::expect_event_type(d, self.0)
    }
}

/// A provider's `Event` enum, as the receivers parse it (implemented by the generated provider
/// layer).
pub trait ProviderEvent: Sized + serde::Serialize {
    /// The provider.
    const PROVIDER: Provider;

    /// The event type, exactly as the provider sent it.
    fn event_type(&self) -> &str;

    /// Parses `body`, whose event type is `event_type`.
    fn parse_typed(event_type: String, body: &[u8]) -> Result<Self, ParseError>;

    /// Moves an already parsed (and validated) `value` of `body` into the typed event.
    #[cfg(feature = "validate")]
    fn parse_value_typed(
        event_type: String,
        value: serde_json::Value,
        body: &[u8],
    ) -> Result<Self, ParseError>;
}

/// The error of parsing for a provider whose Cargo feature is off.
pub fn feature_off(provider: Provider) -> ParseError {
    error(
        provider,
        None,
        ParseErrorKind::Syntax,
        String::new(),
        format_args!("the `{provider}` feature of proptech-events is off"),
    )
}

/// `value` (the part of a delivery at `pointer`, `""` or `"/data"`) as JSON with the members
/// `members` names redacted and, where `schema` (the event's bundled schema) is given, the
/// members it does not describe hidden.
pub fn redacted_json<T: serde::Serialize + ?Sized>(
    value: &T,
    members: &[crate::personal::PersonalMember],
    schema: &'static str,
    pointer: &str,
) -> serde_json::Value {
    let mut json = match serde_json::to_value(value) {
        Ok(json) => json,
        // The generated types serialize infallibly (string keys, finite numbers); were one ever
        // to fail, nothing of it is shown.
        Err(_) => return serde_json::Value::String("[redacted: not serializable]".to_owned()),
    };
    let skip: Vec<&str> = pointer.split('/').skip(1).collect();
    crate::personal::redact(&mut json, members, &skip);
    match parsed_schema(schema) {
        Some(schema) => crate::personal::hide_undescribed(&mut json, &schema, pointer),
        None => json = serde_json::Value::String("[redacted: no schema]".to_owned()),
    }
    json
}

/// An embedded schema, parsed once per process.
fn parsed_schema(schema: &'static str) -> Option<std::sync::Arc<serde_json::Value>> {
    type Cache =
        std::sync::Mutex<std::collections::HashMap<usize, std::sync::Arc<serde_json::Value>>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = schema.as_ptr() as usize;
    if let Some(found) = cache.lock().ok()?.get(&key) {
        return Some(std::sync::Arc::clone(found));
    }
    let parsed = std::sync::Arc::new(serde_json::from_str(schema).ok()?);
    cache
        .lock()
        .ok()?
        .insert(key, std::sync::Arc::clone(&parsed));
    Some(parsed)
}

/// `redacted()` of a delivery of an event type this version does not know: no schema says what
/// in it is personal, so only its event type member (`type_member`) is kept.
pub fn redacted_unknown(event: &crate::UnknownEvent, type_member: &str) -> serde_json::Value {
    let hidden = || serde_json::Value::String("[not shown: an unknown event type]".to_owned());
    match serde_json::from_str::<serde_json::Value>(event.raw.get()) {
        Ok(serde_json::Value::Object(members)) => serde_json::Value::Object(
            members
                .into_iter()
                .map(|(name, value)| {
                    let value = if name == type_member { value } else { hidden() };
                    (name, value)
                })
                .collect(),
        ),
        _ => hidden(),
    }
}

/// `Debug` of a marked member in the generated types: its [`crate::personal::placeholder`], never its text.
pub struct Redacted<'a, T: ?Sized>(pub crate::personal::PersonalData, pub &'a T);

impl<T: serde::Serialize + ?Sized> std::fmt::Debug for Redacted<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match serde_json::to_value(self.1) {
            Ok(serde_json::Value::Null) => f.write_str("None"),
            Ok(value) => match crate::personal::placeholder(self.0, &value) {
                serde_json::Value::String(s) => f.write_str(&s),
                _ => f.write_str("None"),
            },
            Err(_) => write!(f, "[redacted: {}]", self.0),
        }
    }
}

/// `Debug` of a payload the docs do not describe (`x-documentation-status: undocumented`): its
/// member names, not their values, which nobody has judged.
pub struct Undescribed<'a>(pub &'a serde_json::Value);

impl std::fmt::Debug for Undescribed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            serde_json::Value::Object(members) => f
                .debug_map()
                .entries(members.keys().map(|k| (k, format_args!("[not shown]"))))
                .finish(),
            serde_json::Value::Null => f.write_str("null"),
            _ => f.write_str("[not shown]"),
        }
    }
}
