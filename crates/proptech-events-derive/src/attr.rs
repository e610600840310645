//! Parsing `#[webhook(provider = "...", event = "...")]` into [`WebhookAttr`].

use serde_derive_internals::Ctxt;
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

/// How to write the attribute, with the table's first event as the example.
fn fix() -> String {
    let (provider, event) = crate::schemas::example();
    format!("add #[webhook(provider = {provider:?}, event = {event:?})]")
}

/// Reads the one `#[webhook]` attribute of `attrs`. Every problem found is reported to `cx`, not
/// just the first; `None` when there was one.
pub fn parse(cx: &Ctxt, attrs: &[Attribute], item: &syn::Ident) -> Option<WebhookAttr> {
    let mut failed = false;
    let mut push = |e: syn::Error| {
        failed = true;
        cx.syn_error(e);
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
                    format!(
                        "expected a string literal, e.g. provider = {:?}",
                        crate::schemas::example().0
                    ),
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
        push(syn::Error::new(
            item.span(),
            format!("missing #[webhook] attribute: {}", fix()),
        ));
        return None;
    };
    if provider.is_none() && !parse_failed {
        let known: Vec<String> = crate::schemas::providers()
            .iter()
            .map(|p| format!("{p:?}"))
            .collect();
        push(syn::Error::new_spanned(
            &attr.meta,
            format!(
                "missing `provider` in #[webhook]; add provider = {}",
                known.join(" | ")
            ),
        ));
    }
    if event.is_none() && !parse_failed {
        push(syn::Error::new_spanned(
            &attr.meta,
            "missing `event` in #[webhook]; add event = \"<event type as the provider sends it>\"",
        ));
    }
    if let Some(p) = &path
        && !p.value().is_empty()
        && !p.value().starts_with('/')
    {
        push(syn::Error::new(
            p.span(),
            "`path` is a JSON pointer into the delivery, e.g. path = \"/data\"",
        ));
    }
    match (failed, provider, event) {
        (false, Some(provider), Some(event)) => Some(WebhookAttr {
            provider,
            event,
            path,
            unchecked,
        }),
        _ => None,
    }
}
