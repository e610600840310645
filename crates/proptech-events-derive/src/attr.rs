//! Parsing `#[webhook(provider = "...", event = "...")]` into [`WebhookAttr`].

use syn::{Attribute, LitStr};

/// The parsed `#[webhook(...)]` attribute.
pub struct WebhookAttr {
    /// `provider = "..."`.
    pub provider: LitStr,
    /// `event = "..."`.
    pub event: LitStr,
    /// `path = "/data"`: the instance path of the sub-object the type describes.
    pub path: Option<LitStr>,
    /// `unchecked`: do not check the fields (for types generated from the schema itself).
    pub unchecked: bool,
}

const FIX: &str = "add #[webhook(provider = \"repull\", event = \"reservation.created\")]";

/// Reads the one `#[webhook]` attribute of `attrs`. Every problem found is reported, not just the
/// first.
pub fn parse(attrs: &[Attribute], item: &syn::Ident) -> syn::Result<WebhookAttr> {
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    let mut found: Option<&Attribute> = None;
    let mut provider: Option<LitStr> = None;
    let mut event: Option<LitStr> = None;
    let mut path: Option<LitStr> = None;
    let mut unchecked = false;
    let mut parse_failed = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("webhook")) {
        if found.is_some() {
            push(syn::Error::new_spanned(
                &attr.meta,
                "duplicate #[webhook] attribute; keep one",
            ));
            continue;
        }
        found = Some(attr);
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("unchecked") {
                unchecked = true;
                return Ok(());
            }
            let slot = if meta.path.is_ident("provider") {
                &mut provider
            } else if meta.path.is_ident("event") {
                &mut event
            } else if meta.path.is_ident("path") {
                &mut path
            } else {
                let key = meta
                    .path
                    .get_ident()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                return Err(meta.error(format!(
                    "unknown key `{key}` in #[webhook]; expected `provider`, `event`, `path` or `unchecked`"
                )));
            };
            let value: LitStr = meta.value()?.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected a string literal, e.g. provider = \"repull\"",
                )
            })?;
            if slot.is_some() {
                return Err(syn::Error::new(
                    value.span(),
                    "this key is given twice; keep one",
                ));
            }
            *slot = Some(value);
            Ok(())
        });
        if let Err(e) = result {
            // The rest of the attribute was not read: do not also report its keys as missing.
            parse_failed = true;
            push(e);
        }
    }
    let Some(attr) = found else {
        return Err(syn::Error::new(
            item.span(),
            format!("missing #[webhook] attribute: {FIX}"),
        ));
    };
    if provider.is_none() && !parse_failed {
        push(syn::Error::new_spanned(
            &attr.meta,
            "missing `provider` in #[webhook]; add provider = \"valara\" | \"repull\" | \"lavanda\" | \"everreal\"",
        ));
    }
    if event.is_none() && !parse_failed {
        push(syn::Error::new_spanned(
            &attr.meta,
            "missing `event` in #[webhook]; add event = \"<event type as the provider sends it>\"",
        ));
    }
    match (errors, provider, event) {
        (None, Some(provider), Some(event)) => {
            if let Some(p) = &path {
                if !p.value().is_empty() && !p.value().starts_with('/') {
                    return Err(syn::Error::new(
                        p.span(),
                        "`path` is a JSON pointer into the delivery, e.g. path = \"/data\"",
                    ));
                }
            }
            Ok(WebhookAttr {
                provider,
                event,
                path,
                unchecked,
            })
        }
        (Some(e), _, _) => Err(e),
        _ => Err(syn::Error::new_spanned(&attr.meta, FIX)),
    }
}
