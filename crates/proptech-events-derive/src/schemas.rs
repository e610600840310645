//! The embedded schema table, and lookups that suggest the closest valid name on a miss.

#[rustfmt::skip]
#[path = "generated/schemas.rs"]
mod table;

/// One event's entry in the table.
pub struct EventSchema {
    pub provider: &'static str,
    /// The provider's variant of `proptech_events::Provider`.
    pub variant: &'static str,
    pub event_type: &'static str,
    pub category: &'static str,
    /// The status's variant of `proptech_events::DocumentationStatus`.
    pub status: &'static str,
    pub schema: &'static str,
    /// The same schema with every `$ref` inlined, for the checks to walk.
    pub resolved: &'static str,
    /// The members the schema marks as personal data: the path from the delivery's root (`None`
    /// steps into any item or value) and the variant of `proptech_events::personal::PersonalData`.
    pub personal: &'static [(&'static [Option<&'static str>], &'static str)],
}

/// The providers the table knows.
pub fn providers() -> Vec<&'static str> {
    let mut out: Vec<&str> = table::EVENTS.iter().map(|e| e.provider).collect();
    out.dedup();
    out
}

/// A provider and one of its events, for the examples in messages: the table's first entry.
pub fn example() -> (&'static str, &'static str) {
    table::EVENTS
        .first()
        .map_or(("<provider>", "<event type>"), |e| {
            (e.provider, e.event_type)
        })
}

/// The entry of `provider`'s `event`, or the message for a miss.
pub fn find(provider: &str, event: &str) -> Result<&'static EventSchema, Miss> {
    let providers = providers();
    if !providers.contains(&provider) {
        return Err(Miss::Provider(closest(provider, &providers)));
    }
    let events: Vec<&str> = table::EVENTS
        .iter()
        .filter(|e| e.provider == provider)
        .map(|e| e.event_type)
        .collect();
    table::EVENTS
        .iter()
        .find(|e| e.provider == provider && e.event_type == event)
        .ok_or_else(|| Miss::Event(closest(event, &events)))
}

/// Why a lookup failed, with the closest valid names.
pub enum Miss {
    Provider(Vec<&'static str>),
    Event(Vec<&'static str>),
}

/// The (up to three) names closest to `wanted`, by edit distance, then the rest in order.
pub fn closest<'n>(wanted: &str, names: &[&'n str]) -> Vec<&'n str> {
    let wanted = wanted.to_ascii_lowercase();
    let mut scored: Vec<(usize, &str)> = names
        .iter()
        .map(|n| (distance(&wanted, &n.to_ascii_lowercase()), *n))
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
