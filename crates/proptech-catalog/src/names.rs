//! The one naming rule for generated types: Rust type names in the crate and `title`s in the
//! partner bundle come from it, so both name a type alike.

/// `PascalCase` of a name made of words separated by `.`, `_`, `-`, spaces or case changes.
pub fn pascal(s: &str) -> String {
    let mut out = String::new();
    for word in s.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let all_upper = word.chars().all(|c| !c.is_ascii_lowercase());
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            if all_upper {
                out.extend(chars.map(|c| c.to_ascii_lowercase()));
            } else {
                out.extend(chars);
            }
        }
    }
    out
}

/// The variant and payload type name of an event type (`v1.crm.lead.created` → `CrmLeadCreated`).
pub fn event_name(event_type: &str) -> String {
    pascal(event_type.strip_prefix("v1.").unwrap_or(event_type))
}
