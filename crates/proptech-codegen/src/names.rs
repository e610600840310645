//! Rust names for the names a provider writes: every JSON member name and every enum value maps
//! to a valid Rust identifier, distinct among its siblings, by the rule in the crate docs
//! ([`crate#names`]).

use std::collections::BTreeSet;

use crate::model::{pascal, snake};

/// The keywords of Rust 2024, strict and reserved: a field or variant with one of these names is
/// written as a raw identifier (`r#type`), or, for the four that cannot be raw, with a trailing
/// `_` (see [`NOT_RAW`]).
pub const KEYWORDS: [&str; 52] = [
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// The keywords that cannot be raw identifiers (`r#self` is not Rust).
pub const NOT_RAW: [&str; 4] = ["crate", "self", "super", "Self"];

/// Whether `name` must be written as a raw identifier (`r#name`).
pub fn is_raw(name: &str) -> bool {
    KEYWORDS.contains(&name) && !NOT_RAW.contains(&name)
}

/// `s` with every non-ASCII character replaced by a word of its own, `u` and its code point in
/// at least four hex digits (`größe` → `gr u00f6 u00df e`), so that the name stays ASCII and two
/// different names stay different.
fn ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!(" u{:04x} ", u32::from(c)));
        }
    }
    out
}

/// The Rust field name a JSON member name asks for, before collisions are resolved: `snake_case`
/// ([`snake`]) of the name with non-ASCII characters spelled out, runs of `_` joined and trailing
/// ones dropped; `empty` if nothing is left; `_` before a leading digit; `_` after a keyword that
/// cannot be raw.
pub fn field_candidate(json: &str) -> String {
    let snaked = snake(&ascii(json));
    let mut out = String::with_capacity(snaked.len());
    for c in snaked.chars() {
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    let out = out.trim_end_matches('_');
    if out.is_empty() {
        "empty".to_owned()
    } else if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{out}")
    } else if NOT_RAW.contains(&out) {
        format!("{out}_")
    } else {
        out.to_owned()
    }
}

/// `PascalCase` of `value` to append to another name: a leading `-` or `+` spelled `Minus` or
/// `Plus` (`-Infinity` and `+Infinity` stay apart), non-ASCII characters spelled out, `Empty` if
/// nothing is left.
pub fn tail(value: &str) -> String {
    let sign = match value.chars().next() {
        Some('-') => "Minus",
        Some('+') => "Plus",
        _ => "",
    };
    let out = format!("{sign}{}", pascal(&ascii(value)));
    if out.is_empty() {
        "Empty".to_owned()
    } else {
        out
    }
}

/// The Rust variant (or type) name a value asks for, before collisions are resolved: its
/// [`tail`], with `_` before a leading digit and after `Self`.
pub fn variant_candidate(value: &str) -> String {
    let out = tail(value);
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{out}")
    } else if NOT_RAW.contains(&out.as_str()) {
        format!("{out}_")
    } else {
        out
    }
}

/// How a name is told apart from a sibling that asks for the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// `snake_case` fields: `foo_bar_2`.
    Snake,
    /// `PascalCase` variants and types: `FooBar2` (`Item1_2` after a digit).
    Pascal,
}

/// `base` numbered `n`, in a form the naming lints accept (no `_` beside a letter in a
/// `PascalCase` name, no `__`).
fn numbered(base: &str, n: usize, case: Case) -> String {
    let base = base.trim_end_matches('_');
    match case {
        Case::Snake => format!("{base}_{n}"),
        Case::Pascal if base.ends_with(|c: char| c.is_ascii_digit()) => format!("{base}_{n}"),
        Case::Pascal => format!("{base}{n}"),
    }
}

/// Distinct names for siblings, given in schema order as `(whether the sibling is written
/// exactly as the name it asks for, that name)`. A name asked for once is given. Of several
/// siblings that ask for one name, the one written exactly so keeps it, or else the first; each
/// other one, in schema order, is numbered from 2 (`foo_bar_2`, `FooBar2`), skipping any number
/// whose name a sibling asks for or already has. No sibling gets a name of `reserved`: it is
/// numbered as well.
pub fn distinct(wanted: &[(bool, String)], reserved: &[&str], case: Case) -> Vec<String> {
    let asked: BTreeSet<&str> = wanted.iter().map(|(_, c)| c.as_str()).collect();
    let mut taken: BTreeSet<String> = reserved.iter().map(|r| (*r).to_owned()).collect();
    let mut out: Vec<Option<String>> = vec![None; wanted.len()];
    // The exactly written ones claim first, then the others, each in schema order.
    for exact in [true, false] {
        for (i, (written_so, candidate)) in wanted.iter().enumerate() {
            if *written_so == exact && !taken.contains(candidate) {
                taken.insert(candidate.clone());
                out[i] = Some(candidate.clone());
            }
        }
    }
    wanted
        .iter()
        .zip(out)
        .map(|((_, candidate), given)| {
            given.unwrap_or_else(|| {
                let name = (2..)
                    .map(|n| numbered(candidate, n, case))
                    .find(|name| !taken.contains(name) && !asked.contains(name.as_str()))
                    .unwrap_or_default();
                taken.insert(name.clone());
                name
            })
        })
        .collect()
}

/// The Rust field names of members written `jsons`, in order, none of them `reserved`.
pub fn fields(jsons: &[&str], reserved: &[&str]) -> Vec<String> {
    let wanted: Vec<_> = jsons
        .iter()
        .map(|j| {
            let candidate = field_candidate(j);
            (*j == candidate, candidate)
        })
        .collect();
    distinct(&wanted, reserved, Case::Snake)
}

/// The Rust variant names of `values`, in order, none of them `reserved`.
pub fn variants(values: &[&str], reserved: &[&str]) -> Vec<String> {
    let wanted: Vec<_> = values
        .iter()
        .map(|v| {
            let candidate = variant_candidate(v);
            (*v == candidate, candidate)
        })
        .collect();
    distinct(&wanted, reserved, Case::Pascal)
}

/// The names of the types of members written `jsons` inside the type `parent`: `parent` and the
/// member's [`tail`], told apart like the members' fields (the member whose field keeps its name
/// keeps the type's too).
pub fn member_types(parent: &str, jsons: &[&str]) -> Vec<String> {
    let wanted: Vec<_> = jsons
        .iter()
        .map(|j| (field_candidate(j) == *j, format!("{parent}{}", tail(j))))
        .collect();
    distinct(&wanted, &[], Case::Pascal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_awkward_member_name_becomes_a_valid_field() {
        let jsons = [
            "self",
            "crate",
            "super",
            "Self",
            "type",
            "gen",
            "1st_floor",
            "unit-code",
            "geo.lat",
            "größe",
            "$ref_like",
            "",
            "fooBar",
            "foo_bar",
        ];
        let got = fields(&jsons, &["unknown_members"]);
        assert_eq!(
            got,
            [
                "self_",
                "crate_",
                "super_",
                "self_2",
                "type",
                "gen",
                "_1st_floor",
                "unit_code",
                "geo_lat",
                "gr_u00f6_u00df_e",
                "_ref_like",
                "empty",
                "foo_bar_2",
                "foo_bar",
            ]
        );
        for name in &got {
            let written = if is_raw(name) {
                format!("r#{name}")
            } else {
                name.clone()
            };
            syn::parse_str::<syn::Ident>(&written).expect(name);
        }
    }

    #[test]
    fn every_awkward_value_becomes_a_valid_variant() {
        let values = [
            "Self", "self", "super", "1x", "", "-1", "+1", "größe", "Self2",
        ];
        let got = variants(&values, &[]);
        assert_eq!(
            got,
            [
                "Self_",
                "Self3",
                "Super",
                "_1x",
                "Empty",
                "Minus1",
                "Plus1",
                "GrU00f6U00dfE",
                "Self2"
            ]
        );
    }

    #[test]
    fn a_reserved_name_is_numbered() {
        assert_eq!(
            fields(&["unknown_members", "unknownMembers"], &["unknown_members"]),
            ["unknown_members_2", "unknown_members_3"]
        );
        assert_eq!(variants(&["a_1", "A1"], &[]), ["A1_2", "A1"]);
    }
}
