//! The reference pages (`reference/…`): an index, a page per provider and a page per event, each as
//! Markdown and as static HTML.
//!
//! The Markdown page is the source; its HTML twin is rendered from it with pulldown-cmark (tables
//! on, links to `.md` pages rewritten to `.html`) inside a small page template, so the two never
//! say different things.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use pulldown_cmark::{CowStr, Event as MdEvent, Options, Parser, Tag};

use crate::delivery::Delivery;
use crate::events::{Event, Field};
use crate::{Error, Events, OutputFile};

/// The stylesheet every HTML page links.
const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:64rem;margin:0 auto;padding:1rem 2rem;line-height:1.5;color:#1d2330}
nav{font-size:.9rem;margin-bottom:1rem}nav a{margin-right:.5rem}
table{border-collapse:collapse;margin:1rem 0;width:100%}th,td{border:1px solid #c9ced6;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f5}code{background:#f2f4f7;padding:0 .2rem;border-radius:3px}
pre{background:#f2f4f7;padding:1rem;overflow-x:auto}pre code{padding:0}
footer{margin-top:3rem;font-size:.8rem;color:#5b6472}
";

/// Every reference page, Markdown and HTML, plus the stylesheet.
pub fn pages(
    version: &str,
    providers: &[&str],
    deliveries: &BTreeMap<String, Delivery>,
    events: &Events,
) -> Result<Vec<OutputFile>, Error> {
    let mut files = vec![OutputFile {
        path: "reference/style.css".to_owned(),
        contents: STYLE.to_owned(),
    }];
    let mut push = |path: &str, title: &str, depth: usize, markdown: String| {
        files.push(OutputFile {
            path: format!("reference/{path}.html"),
            contents: html(title, version, depth, &markdown),
        });
        files.push(OutputFile {
            path: format!("reference/{path}.md"),
            contents: markdown,
        });
    };
    push(
        "index",
        "Webhook event reference",
        0,
        index(version, providers, deliveries, events),
    );
    for &provider in providers {
        let delivery = deliveries
            .get(provider)
            .ok_or_else(|| Error::Delivery(format!("no [{provider}] table")))?;
        let provider_events = events.provider(provider);
        push(
            &format!("{provider}/index"),
            &format!("{} webhook events", delivery.name),
            1,
            provider_index(delivery, &provider_events),
        );
        for event in &provider_events {
            push(
                &format!("{provider}/{}", event.event_type),
                &format!("{} {}", delivery.name, event.event_type),
                1,
                event_page(delivery, event, events),
            );
        }
    }
    Ok(files)
}

/// What partners must know to reproduce the schemas' results with their own validator.
const FORMAT_ASSERTION: &str = "The schemas are JSON Schema Draft 2020-12, which treats `format` \
    (`date-time`, `email`, `uri`, ...) as an annotation unless the validator is told to assert it. \
    The published results, including the failures the errata expect, hold with format assertion \
    on: enable it (for example `should_validate_formats(true)` in Rust's `jsonschema`, \
    `ajv-formats` with Ajv).";

fn index(
    version: &str,
    providers: &[&str],
    deliveries: &BTreeMap<String, Delivery>,
    events: &Events,
) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Webhook event reference\n");
    let _ = writeln!(
        md,
        "Schema bundle {version}: {} event types of {} providers. Every page gives the event's \
         envelope, data schema, sample payload, retry behaviour and verification contract, taken \
         from the provider's docs.\n",
        events.all().len(),
        providers.len()
    );
    let _ = writeln!(md, "{FORMAT_ASSERTION}\n");
    let _ = writeln!(md, "| Provider | Event types | Catalog | AsyncAPI |");
    let _ = writeln!(md, "|---|---|---|---|");
    for &provider in providers {
        let name = deliveries
            .get(provider)
            .map_or(provider, |d| d.name.as_str());
        let _ = writeln!(
            md,
            "| [{name}]({provider}/index.md) | {} | [catalog/{provider}.json](../catalog/{provider}.json) | [asyncapi/{provider}.json](../asyncapi/{provider}.json) |",
            events.provider(provider).len(),
        );
    }
    md
}

fn provider_index(delivery: &Delivery, events: &[&Event]) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# {} webhook events\n", delivery.name);
    let _ = writeln!(
        md,
        "{} event types. [All providers](../index.md)\n",
        events.len()
    );
    let mut category = "";
    for event in events {
        if event.category != category {
            category = &event.category;
            let _ = writeln!(md, "\n## {}\n", md_text(category));
            let _ = writeln!(md, "| Event type | Description | Documentation |");
            let _ = writeln!(md, "|---|---|---|");
        }
        let _ = writeln!(
            md,
            "| [`{t}`]({t}.md) | {} | {} |",
            md_cell(&event.description),
            event.documentation_status,
            t = event.event_type,
        );
    }
    md.push('\n');
    delivery_sections(&mut md, delivery);
    md
}

fn event_page(delivery: &Delivery, event: &Event, events: &Events) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n", event.event_type);
    let _ = writeln!(md, "{}\n", md_text(&event.description));
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| Provider | [{}](index.md) |", md_cell(&delivery.name));
    let _ = writeln!(md, "| Category | {} |", md_cell(&event.category));
    let _ = writeln!(
        md,
        "| Documentation status | {} |",
        event.documentation_status
    );
    if let Some(api_version) = &event.api_version {
        let _ = writeln!(md, "| API version | `{api_version}` |");
    }
    if let Some(when) = &event.emitted_when {
        let _ = writeln!(md, "| Emitted when | {} |", md_cell(when));
    }
    let _ = writeln!(
        md,
        "| JSON Schema | [`{}`](../../schemas/{}) |",
        event.id, event.schema_path
    );
    md.push('\n');

    let _ = writeln!(md, "## Envelope\n");
    if !event.has_envelope {
        let _ = writeln!(
            md,
            "{} events are flat JSON objects: `id` and `type` sit beside the event's own fields.\n",
            delivery.name
        );
    } else {
        let _ = writeln!(
            md,
            "Every {} delivery wraps the event-specific `data` block in the same envelope.\n",
            delivery.name
        );
    }
    field_table(&mut md, &event.envelope_fields);

    let _ = writeln!(md, "## Data schema\n");
    match event.documentation_status.as_str() {
        "complete" => {}
        "partial" => {
            let _ = writeln!(
                md,
                "The docs list only part of this block; the schema types what they list and \
                 leaves the rest open.\n"
            );
        }
        _ => {
            let _ = writeln!(
                md,
                "The docs give no fields for this block; the schema leaves it open.\n"
            );
        }
    }
    if event.data_fields.is_empty() {
        let _ = writeln!(md, "No documented fields.\n");
    } else {
        field_table(&mut md, &event.data_fields);
    }
    if event.data_open {
        let _ = writeln!(
            md,
            "Fields the docs do not list may appear: receivers must ignore what they do not know.\n"
        );
    }

    let _ = writeln!(md, "## Personal data\n");
    if event.personal_data.is_empty() {
        let _ = writeln!(
            md,
            "The schema marks no member of this event as personal data.\n"
        );
    } else {
        let _ = writeln!(
            md,
            "These members identify or reach a person (`x-personal-data` in the schema). The \
             typed crate prints them redacted in `Debug` and in `redacted()`; keep them out of \
             logs.\n\n| Field | Category |\n|---|---|"
        );
        for (path, category) in &event.personal_data {
            let _ = writeln!(md, "| `{path}` | {category} |");
        }
        md.push('\n');
    }

    let _ = writeln!(md, "## Sample payload\n");
    match &event.sample {
        Some(sample) => {
            let pretty = serde_json::to_string_pretty(&sample.value).unwrap_or_default();
            let _ = writeln!(md, "```json\n{pretty}\n```\n");
            if let Some(source) = &sample.source {
                let _ = writeln!(md, "Printed in {}.\n", md_text(source));
            }
            for (id, resolution) in &sample.errata {
                let _ = writeln!(md, "Erratum `{id}`: {}\n", md_text(resolution));
            }
        }
        None => {
            let _ = writeln!(md, "The docs print no sample for this event.\n");
        }
    }

    if !event.assumptions.is_empty() {
        let _ = writeln!(md, "## Assumptions\n");
        let _ = writeln!(
            md,
            "The docs do not settle everything this schema states. It rests on these readings; \
             if one is wrong, real deliveries may fail validation.\n"
        );
        for (id, resolution) in &event.assumptions {
            let _ = writeln!(md, "- Erratum `{id}`: {}", md_text(resolution));
        }
        md.push('\n');
    }
    let _ = writeln!(md, "## Validating\n\n{FORMAT_ASSERTION}\n");

    delivery_sections(&mut md, delivery);
    for vector in events.vectors(&event.provider) {
        let _ = writeln!(md, "### Test vector\n");
        let _ = writeln!(
            md,
            "The docs print this vector on the `{}` page. HMAC-SHA256 with the secret below over \
             the exact body bytes must give the signature shown.\n",
            vector.event_type
        );
        let _ = writeln!(md, "| | |\n|---|---|");
        let _ = writeln!(md, "| Secret | `{}` |", vector.vector.secret);
        let _ = writeln!(md, "| Timestamp | `{}` |", vector.vector.timestamp);
        let _ = writeln!(md, "| Event id | `{}` |", vector.vector.event_id);
        let _ = writeln!(md, "| Signature | `{}` |\n", vector.vector.signature);
        let _ = writeln!(
            md,
            "Body (2-space indentation, no trailing newline):\n\n```json\n{}\n```\n",
            vector.body
        );
    }

    if !event.sources.is_empty() {
        let _ = writeln!(md, "## Sources\n");
        for source in &event.sources {
            let _ = writeln!(md, "- <{source}>");
        }
    }
    md
}

/// The headers, retry behaviour and verification contract of a provider.
fn delivery_sections(md: &mut String, delivery: &Delivery) {
    let _ = writeln!(md, "## Headers\n");
    if delivery.header.is_empty() {
        let _ = writeln!(md, "The docs name no delivery headers.\n");
    } else {
        let _ = writeln!(md, "| Header | Required | Description |\n|---|---|---|");
        for header in &delivery.header {
            let _ = writeln!(
                md,
                "| `{}` | {} | {} |",
                header.name,
                if header.required { "yes" } else { "no" },
                md_cell(&header.description)
            );
        }
        md.push('\n');
    }
    for (heading, text, source) in [
        (
            "Retry behaviour",
            &delivery.retries,
            &delivery.retries_source,
        ),
        (
            "Verification",
            &delivery.verification,
            &delivery.verification_source,
        ),
    ] {
        let _ = writeln!(
            md,
            "## {heading}\n\n{}\n\nSource: <{source}>\n",
            text.trim()
        );
    }
}

fn field_table(md: &mut String, fields: &[Field]) {
    if fields.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "| Field | Type | Required | Personal data | Description |\n|---|---|---|---|---|"
    );
    for field in fields {
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | {} | {} |",
            field.path,
            md_cell(&field.ty),
            if field.required { "yes" } else { "no" },
            field.personal.as_deref().unwrap_or(""),
            md_cell(&field.description)
        );
    }
    md.push('\n');
    // What only live deliveries showed stands apart from what the docs say.
    let observed: Vec<&Field> = fields.iter().filter(|f| f.observed.is_some()).collect();
    if !observed.is_empty() {
        let _ = writeln!(
            md,
            "Observed in live deliveries, not documented by the provider (`x-observed`, from \
             `proptech-events drift`):\n\n| Field | Observed |\n|---|---|"
        );
        for field in observed {
            let _ = writeln!(
                md,
                "| `{}` | {} |",
                field.path,
                md_cell(field.observed.as_deref().unwrap_or_default())
            );
        }
        md.push('\n');
    }
}

/// Text from the docs, escaped so Markdown shows it as written (code spans kept as they are).
fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '\\' | '*' | '_' | '<' | '>' | '[' | ']' | '#' if !in_code => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Text for a table cell: escaped, on one line, with `|` escaped (also inside code spans).
fn md_cell(text: &str) -> String {
    md_text(text).replace('\n', " ").replace('|', "\\|")
}

/// The HTML page for `markdown`, `depth` folders below `reference/`.
fn html(title: &str, version: &str, depth: usize, markdown: &str) -> String {
    let root = "../".repeat(depth);
    let parser = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|event| match event {
        MdEvent::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => MdEvent::Start(Tag::Link {
            link_type,
            dest_url: md_to_html_link(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut body = String::new();
    pulldown_cmark::html::push_html(&mut body, parser);
    let title_escaped = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title_escaped}</title>\n<link rel=\"icon\" href=\"data:,\">\n<link rel=\"stylesheet\" href=\"{root}style.css\">\n\
         </head>\n<body>\n<nav><a href=\"{root}index.html\">Reference</a></nav>\n<main>\n{body}</main>\n\
         <footer>proptech-events schema bundle {version}</footer>\n</body>\n</html>\n"
    )
}

/// A relative link to a Markdown page, pointed at its HTML twin.
fn md_to_html_link(dest: CowStr<'_>) -> CowStr<'_> {
    if dest.contains("://") {
        return dest;
    }
    match dest.strip_suffix(".md") {
        Some(stem) => CowStr::from(format!("{stem}.html")),
        None => dest,
    }
}
