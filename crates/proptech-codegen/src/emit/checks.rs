//! The checks of a value that its Rust type does not make itself (bounds, lengths), as code the
//! generated `Deserialize` runs.

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::Check;

/// The check of a value `v: &T` as a block that returns `Err(message)` early.
pub(super) fn check_tokens(check: &Check) -> TokenStream {
    let opt = |x: &Option<f64>| match x {
        Some(x) => quote!(Some(#x)),
        None => quote!(None),
    };
    match check {
        Check::Bounds {
            minimum,
            maximum,
            exclusive_minimum,
            exclusive_maximum,
            multiple_of,
        } => {
            let multiple = multiple_of
                .as_deref()
                .map(|m| quote!(crate::__private::multiple_of(v, #m)?;));
            if minimum.is_none()
                && maximum.is_none()
                && exclusive_minimum.is_none()
                && exclusive_maximum.is_none()
            {
                return quote!(#multiple);
            }
            let (a, b, c, d) = (
                opt(minimum),
                opt(maximum),
                opt(exclusive_minimum),
                opt(exclusive_maximum),
            );
            quote!(crate::__private::bounds(v, #a, #b, #c, #d)?; #multiple)
        }
        Check::Length {
            min_length,
            max_length,
        } => {
            let opt = |x: &Option<u64>| match x {
                Some(x) => quote!(Some(#x)),
                None => quote!(None),
            };
            let (a, b) = (opt(min_length), opt(max_length));
            quote!(crate::__private::length(v, #a, #b)?;)
        }
        Check::Items(inner) => {
            let inner = check_tokens(inner);
            quote!(for v in v.iter() { #inner })
        }
        Check::Values(inner) => {
            let inner = check_tokens(inner);
            quote!(for v in v.values() { #inner })
        }
    }
}
