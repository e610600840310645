//! Serde's own reading of a type's `#[serde(...)]` attributes, through `serde_derive_internals`
//! (the parser `serde_derive` itself uses), so the names and defaults the derive checks are the
//! ones `Deserialize` uses.

use proc_macro2::{Ident, Span};
use serde_derive_internals::{Ctxt, Derive, ast};
use syn::DeriveInput;

/// Serde's view of `input` as `#[derive(Deserialize)]` sees it, or `None` where serde rejects its
/// attributes (serde's own derive reports those; a `#[serde]` attribute without it does not
/// compile either).
pub fn read(input: &DeriveInput) -> Option<ast::Container<'_>> {
    let cx = Ctxt::new();
    // Only used for the path of serde's helpers in the expansion, which the check never emits.
    let private = Ident::new("__private", Span::call_site());
    let container = ast::Container::from_ast(&cx, input, Derive::Deserialize, &private);
    cx.check().ok().and(container)
}

/// The name a field is read under, then its aliases (`#[serde(alias = "...")]`).
pub fn accepted_names<'f>(field: &'f ast::Field<'_>) -> Vec<&'f str> {
    let name = field.attrs.name().deserialize_name().value.as_str();
    std::iter::once(name)
        .chain(
            field
                .attrs
                .aliases()
                .iter()
                .map(|a| a.value.as_str())
                .filter(|a| *a != name),
        )
        .collect()
}

/// Whether the field reads through a function of its own (`with`, `deserialize_with`), not
/// through its type's `Deserialize`. Serde's implicit helpers for borrowed `Cow`s do not count.
pub fn custom_deserializer(field: &ast::Field<'_>) -> bool {
    field.attrs.deserialize_with().is_some_and(|path| {
        path.path
            .segments
            .first()
            .is_none_or(|s| s.ident != "_serde")
    })
}

/// Whether a missing field is filled in: `#[serde(default)]` on the field or on the container.
pub fn has_default(container: &ast::Container<'_>, field: &ast::Field<'_>) -> bool {
    !field.attrs.default().is_none() || !container.attrs.default().is_none()
}

#[cfg(test)]
mod tests {
    //! For every rename rule and a set of field names, the name the derive checks equals the name
    //! `serde_json` reads, found by deserialising: an object holding every other field's checked
    //! name must fail with "missing field `<this field's checked name>`", and the full object
    //! must deserialise.

    use serde::de::DeserializeOwned;
    use serde_derive_internals::ast::Data;
    use serde_json::{Map, Value};

    use super::*;

    /// Declares `mod $m { struct S }` deriving serde's `Deserialize`, and its source text.
    macro_rules! case {
        ($m:ident, $($item:tt)*) => {
            #[allow(dead_code, non_snake_case)]
            mod $m {
                #[derive(serde::Deserialize)]
                $($item)*
                pub const SRC: &str = stringify!($($item)*);
            }
        };
    }

    macro_rules! fields {
        ($m:ident, $($attr:tt)*) => {
            case!($m, $($attr)* pub struct S {
                id: u8,
                first_name: u8,
                a_b_c: u8,
                url2: u8,
                field_1: u8,
                html_url_v2: u8,
                r#type: u8,
                x: u8,
                _leading: u8,
            });
        };
    }

    fields!(no_rule,);
    fields!(lowercase, #[serde(rename_all = "lowercase")]);
    fields!(uppercase, #[serde(rename_all = "UPPERCASE")]);
    fields!(pascal, #[serde(rename_all = "PascalCase")]);
    fields!(camel, #[serde(rename_all = "camelCase")]);
    fields!(snake, #[serde(rename_all = "snake_case")]);
    fields!(screaming_snake, #[serde(rename_all = "SCREAMING_SNAKE_CASE")]);
    fields!(kebab, #[serde(rename_all = "kebab-case")]);
    fields!(screaming_kebab, #[serde(rename_all = "SCREAMING-KEBAB-CASE")]);
    fields!(split_rules, #[serde(rename_all(serialize = "UPPERCASE", deserialize = "camelCase"))]);
    fields!(deserialize_rule_only, #[serde(rename_all(deserialize = "kebab-case"))]);
    fields!(serialize_rule_only, #[serde(rename_all(serialize = "kebab-case"))]);
    case!(
        field_renames,
        #[serde(rename_all = "camelCase")]
        pub struct S {
            #[serde(rename = "ID")]
            id: u8,
            #[serde(rename(serialize = "given", deserialize = "firstName_"))]
            first_name: u8,
            #[serde(rename(serialize = "only_out"))]
            last_name: u8,
            #[serde(rename(deserialize = "in"))]
            zip_code: u8,
        }
    );

    /// The checked name of each field of `src`, in order.
    fn checked_names(src: &str) -> Vec<String> {
        let input: DeriveInput = syn::parse_str(src).expect("the case parses");
        let container = read(&input).expect("serde accepts the case");
        let Data::Struct(_, fields) = &container.data else {
            panic!("a struct")
        };
        fields
            .iter()
            .map(|f| accepted_names(f)[0].to_owned())
            .collect()
    }

    fn check<T: DeserializeOwned>(src: &str) {
        let names = checked_names(src);
        assert!(names.len() >= 4, "{src}: fields read");
        let object = |skip: Option<usize>| {
            let map: Map<String, Value> = names
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != skip)
                .map(|(_, n)| (n.clone(), Value::from(1)))
                .collect();
            Value::Object(map)
        };
        serde_json::from_value::<T>(object(None))
            .unwrap_or_else(|e| panic!("{src}: every checked name given, serde says {e}"));
        for (i, name) in names.iter().enumerate() {
            let err = match serde_json::from_value::<T>(object(Some(i))) {
                Ok(_) => panic!("{src}: `{name}` left out, yet serde read the object"),
                Err(e) => e.to_string(),
            };
            assert_eq!(
                err,
                format!("missing field `{name}`"),
                "{src}: the name serde reads differs from the checked `{name}`"
            );
        }
    }

    #[test]
    fn checked_names_are_the_names_serde_reads() {
        check::<no_rule::S>(no_rule::SRC);
        check::<lowercase::S>(lowercase::SRC);
        check::<uppercase::S>(uppercase::SRC);
        check::<pascal::S>(pascal::SRC);
        check::<camel::S>(camel::SRC);
        check::<snake::S>(snake::SRC);
        check::<screaming_snake::S>(screaming_snake::SRC);
        check::<kebab::S>(kebab::SRC);
        check::<screaming_kebab::S>(screaming_kebab::SRC);
        check::<split_rules::S>(split_rules::SRC);
        check::<deserialize_rule_only::S>(deserialize_rule_only::SRC);
        check::<serialize_rule_only::S>(serialize_rule_only::SRC);
        check::<field_renames::S>(field_renames::SRC);
    }

    #[test]
    fn lowercase_and_uppercase_keep_underscores() {
        // The rule the derive got wrong before it read serde's attributes with serde's rules.
        assert!(checked_names(lowercase::SRC).contains(&"first_name".to_owned()));
        assert!(checked_names(uppercase::SRC).contains(&"FIRST_NAME".to_owned()));
    }

    #[test]
    fn aliases_are_accepted_names() {
        let src = "struct S { #[serde(alias = \"guestName\", alias = \"name\")] guest: u8 }";
        let input: DeriveInput = syn::parse_str(src).unwrap();
        let container = read(&input).unwrap();
        let Data::Struct(_, fields) = &container.data else {
            panic!("a struct")
        };
        assert_eq!(accepted_names(&fields[0]), ["guest", "guestName", "name"]);
        case!(
            aliased,
            pub struct S {
                #[serde(alias = "guestName", alias = "name")]
                pub guest: u8,
            }
        );
        for name in ["guest", "guestName", "name"] {
            let v: aliased::S = serde_json::from_value(serde_json::json!({ name: 7 })).unwrap();
            assert_eq!(v.guest, 7, "serde reads `{name}`");
        }
    }

    #[test]
    fn serde_errors_leave_the_check_to_serde() {
        let input: DeriveInput = syn::parse_str("struct S { #[serde(nonsense)] a: u8 }").unwrap();
        assert!(read(&input).is_none());
    }
}
