//! The clock as deliveries carry it: Repull's signed `createdAt` must lie within its replay
//! horizon (7 days), so the suite stamps deliveries it sends to a receiver on the real clock.

/// Now, as an RFC 3339 UTC date-time (`2026-12-02T20:15:00Z`).
pub fn created_at_now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `body` with every `createdAt` of the documented samples (`2026-05-01T…`) set to now.
pub fn restamped(body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(body.to_vec()).expect("a UTF-8 fixture");
    let now = created_at_now();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("\"2026-05-01T") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after.find('"').expect("a closed string");
        out.push('"');
        out.push_str(&now);
        rest = &after[end..];
    }
    out.push_str(rest);
    out.into_bytes()
}
