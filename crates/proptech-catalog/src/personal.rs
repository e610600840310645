//! Personal data in the schemas: the `x-personal-data` marks, the properties whose names look
//! personal but carry no mark (suspects), and the recorded decisions that a suspect is not personal
//! data (`[[not-personal]]` in `schemas/evidence.toml`).
//!
//! A mark stands in a property's own subschema (`…/properties/<member>/x-personal-data`) and names
//! one [`Category`]; the code generator relies on exactly that. Its evidence is a row of the
//! evidence table like any constraint's. [`survey`] walks a schema the way the evidence audit does
//! and finds both the marks and the suspects; [`EvidenceTable::personal_audit`] holds the suspects
//! against the decisions, so a new property named like personal data comes with a mark or with a
//! reason why it is not.

use std::fmt;
use std::str::FromStr;

use globset::GlobMatcher;
use serde::Deserialize;
use serde_json::Value;

use crate::Error;
use crate::evidence::{EvidenceTable, escape, matcher, walk_keywords};

/// The annotation that marks a member whose value identifies or contacts a person.
pub const PERSONAL_DATA_KEYWORD: &str = "x-personal-data";

/// What kind of personal data a marked member holds: the value of its `x-personal-data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// `contact`: an email address or a phone number.
    Contact,
    /// `identity`: a person's names, date of birth, personal id numbers.
    Identity,
    /// `address`: a person's postal address, or a part of it (street, number, postcode, city).
    Address,
    /// `free-text`: a message or note written by or about a guest or an applicant.
    FreeText,
    /// `network`: an IP address or a user agent.
    Network,
}

impl Category {
    /// Every category, in the order the schemas' README lists them.
    pub const ALL: [Self; 5] = [
        Self::Contact,
        Self::Identity,
        Self::Address,
        Self::FreeText,
        Self::Network,
    ];

    /// The value of `x-personal-data` that names this category.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contact => "contact",
            Self::Identity => "identity",
            Self::Address => "address",
            Self::FreeText => "free-text",
            Self::Network => "network",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value of `x-personal-data` that names no [`Category`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a personal-data category (contact, identity, address, free-text or network)")]
pub struct UnknownCategory(pub String);

impl FromStr for Category {
    type Err = UnknownCategory;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCategory(s.to_owned()))
    }
}

/// A member marked as personal data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mark {
    /// The schema's path under `schemas/`.
    pub schema: String,
    /// JSON pointer of the member's subschema, e.g. `/properties/data/properties/email`; the mark
    /// is the keyword below it.
    pub pointer: String,
    /// The member's name.
    pub member: String,
    /// What the member holds.
    pub category: Category,
}

impl fmt::Display for Mark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{} ({})", self.schema, self.pointer, self.category)
    }
}

/// A member that looks personal (by its name, or its `format`) and carries no mark.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Suspect {
    /// The schema's path under `schemas/`.
    pub schema: String,
    /// JSON pointer of the member's subschema.
    pub pointer: String,
    /// The member's name.
    pub member: String,
    /// Why it looks personal: the word its name contains (`email`, `name`, …) or `format email`.
    pub why: String,
}

impl fmt::Display for Suspect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{} ({})", self.schema, self.pointer, self.why)
    }
}

/// What [`survey`] found in one schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Survey {
    /// The marked members, in document order.
    pub marks: Vec<Mark>,
    /// The members that look personal and carry no mark, in document order.
    pub suspects: Vec<Suspect>,
}

/// Words a member name contains somewhere inside one of its words (`secondaryEmails`,
/// `zipCode`, `dateOfBirth`, `streetName`).
const WORDS_INSIDE: [&str; 12] = [
    "email", "phone", "mobile", "address", "street", "zip", "postcode", "postal", "birth",
    "message", "note", "comment",
];
/// Words a member name must contain as a whole word (`ip` is not `zip`, `text` not `context`).
const WHOLE_WORDS: [&str; 7] = ["dob", "ip", "ips", "ipv4", "ipv6", "body", "text"];

/// The words of a member name, lowercased: split at `_`, `-`, spaces and other punctuation, and at
/// camelCase boundaries (`primaryEmail` → `primary`, `email`; `IPAddress` → `ip`, `address`).
pub fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            continue;
        }
        if c.is_uppercase() && !word.is_empty() {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_numeric() || (prev.is_uppercase() && next_is_lower) {
                out.push(std::mem::take(&mut word));
            }
        }
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The word that makes a member named `name` look personal, if any: `name` (a word ending in it:
/// `name`, `firstName`, `last_name`, `guestName`, `displayName`, `surname`), `user agent`, or one
/// of email, phone, mobile, address, street, zip, postcode, postal, birth, message, note, comment
/// (inside a word) or dob, ip, body, text (whole words).
pub fn suspect_word(name: &str) -> Option<&'static str> {
    let words = words(name);
    for w in &words {
        if let Some(found) = WORDS_INSIDE.iter().find(|s| w.contains(*s)) {
            return Some(found);
        }
        if let Some(found) = WHOLE_WORDS.iter().find(|s| w == *s) {
            return Some(found);
        }
        if w.ends_with("name") || w.ends_with("names") {
            return Some("name");
        }
        if w == "useragent" {
            return Some("user agent");
        }
    }
    words
        .windows(2)
        .any(|pair| pair[0] == "user" && pair[1] == "agent")
        .then_some("user agent")
}

/// Every marked member and every suspect of `schema` (the file at `path`). Walks the same schema
/// positions as the evidence audit ([`crate::constraints`]); a member is a property of a
/// `properties` map. Fails, naming the schema and the pointer, on a mark whose value is not a
/// category, or on a mark that does not stand in a property's own subschema.
pub fn survey(path: &str, schema: &Value) -> Result<Survey, Error> {
    let mut found = Survey::default();
    let mut keywords = Vec::new();
    let mut error = None;
    walk_keywords(schema, &mut |pointer, keyword, value| {
        if keyword == PERSONAL_DATA_KEYWORD {
            keywords.push(pointer.to_owned());
        }
        if keyword != "properties" {
            return;
        }
        let Value::Object(members) = value else {
            return;
        };
        for (member, subschema) in members {
            let at = format!("{pointer}/{}", escape(member));
            match subschema.get(PERSONAL_DATA_KEYWORD) {
                Some(mark) => match category(mark) {
                    Ok(category) => found.marks.push(Mark {
                        schema: path.to_owned(),
                        pointer: at,
                        member: member.clone(),
                        category,
                    }),
                    Err(reason) => {
                        error.get_or_insert(Error::PersonalData {
                            schema: path.to_owned(),
                            pointer: format!("{at}/{PERSONAL_DATA_KEYWORD}"),
                            reason,
                        });
                    }
                },
                None => {
                    let why = suspect_word(member).map(str::to_owned).or_else(|| {
                        (subschema.get("format").and_then(Value::as_str) == Some("email"))
                            .then(|| "format email".to_owned())
                    });
                    if let Some(why) = why {
                        found.suspects.push(Suspect {
                            schema: path.to_owned(),
                            pointer: at,
                            member: member.clone(),
                            why,
                        });
                    }
                }
            }
        }
    });
    if let Some(e) = error {
        return Err(e);
    }
    let suffix = format!("/{PERSONAL_DATA_KEYWORD}");
    if let Some(misplaced) = keywords.into_iter().find(|k| {
        !found
            .marks
            .iter()
            .any(|m| k.strip_suffix(&suffix) == Some(m.pointer.as_str()))
    }) {
        return Err(Error::PersonalData {
            schema: path.to_owned(),
            pointer: misplaced,
            reason: format!(
                "{PERSONAL_DATA_KEYWORD} marks a member: it stands in a property's own subschema \
                 (…/properties/<member>/{PERSONAL_DATA_KEYWORD})"
            ),
        });
    }
    Ok(found)
}

fn category(mark: &Value) -> Result<Category, String> {
    match mark {
        Value::String(s) => s.parse().map_err(|e: UnknownCategory| e.to_string()),
        other => Err(format!(
            "{PERSONAL_DATA_KEYWORD} is {other}, not a string naming a category"
        )),
    }
}

/// A recorded decision that members which look personal are not (`[[not-personal]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotPersonal {
    /// Schema paths under `schemas/` it covers (globs; `*` stays inside one path segment).
    pub schemas: Vec<String>,
    /// JSON pointers of the members' subschemas (globs, same rule), e.g.
    /// `/properties/data/properties/listing/properties/name`.
    pub at: Vec<String>,
    /// Why they are not personal data, e.g. "the listing's name, not a person's".
    pub reason: String,
}

/// What [`EvidenceTable::personal_audit`] found.
#[derive(Debug, Default)]
pub struct PersonalAudit {
    /// Every marked member of the schemas.
    pub marks: Vec<Mark>,
    /// Suspects no decision covers: each needs a mark or a decision.
    pub unexplained: Vec<Suspect>,
    /// Suspects a decision covers.
    pub explained: Vec<Suspect>,
    /// Decisions (by index in `not_personal`) that cover no suspect: stale decisions.
    pub unused: Vec<usize>,
    /// Globs (of `schemas` or `at`) of the other decisions that take part in covering no suspect,
    /// with their decision's index: a stale or mistyped path or pointer.
    pub unused_patterns: Vec<(usize, String)>,
    /// Marked members a decision also covers (by its index): the two contradict each other.
    pub contradicted: Vec<(usize, Mark)>,
}

impl EvidenceTable {
    /// Surveys every schema of `docs` (path, schema) and holds the suspects against the
    /// `[[not-personal]]` decisions. Fails on a bad glob, a decision without a reason, or a
    /// malformed mark (see [`survey`]).
    pub fn personal_audit<'d>(
        &self,
        docs: impl IntoIterator<Item = (&'d str, &'d Value)>,
    ) -> Result<PersonalAudit, Error> {
        type Compiled<'a> = (&'a NotPersonal, Vec<GlobMatcher>, Vec<GlobMatcher>);
        let decisions: Vec<Compiled<'_>> = self
            .not_personal
            .iter()
            .map(|d| {
                if d.reason.trim().is_empty() {
                    return Err(Error::Evidence(format!(
                        "not-personal decision for {:?} needs a reason",
                        d.at
                    )));
                }
                let schemas = d
                    .schemas
                    .iter()
                    .map(|p| matcher(p))
                    .collect::<Result<_, _>>()?;
                let at = d.at.iter().map(|p| matcher(p)).collect::<Result<_, _>>()?;
                Ok((d, schemas, at))
            })
            .collect::<Result<_, Error>>()?;
        let covers = |(_, schemas, at): &Compiled<'_>, schema: &str, pointer: &str| {
            schemas.iter().any(|m| m.is_match(schema)) && at.iter().any(|m| m.is_match(pointer))
        };
        let mut audit = PersonalAudit::default();
        // Per decision: which of its `schemas` and `at` globs matched a suspect it covers.
        let mut used: Vec<(Vec<bool>, Vec<bool>)> = decisions
            .iter()
            .map(|(_, schemas, at)| (vec![false; schemas.len()], vec![false; at.len()]))
            .collect();
        for (path, value) in docs {
            let found = survey(path, value)?;
            for suspect in found.suspects {
                let mut covered = false;
                for (d, (schemas_used, at_used)) in decisions.iter().zip(&mut used) {
                    if covers(d, &suspect.schema, &suspect.pointer) {
                        covered = true;
                        for (m, u) in d.1.iter().zip(schemas_used.iter_mut()) {
                            *u |= m.is_match(&suspect.schema);
                        }
                        for (m, u) in d.2.iter().zip(at_used.iter_mut()) {
                            *u |= m.is_match(&suspect.pointer);
                        }
                    }
                }
                if covered {
                    audit.explained.push(suspect);
                } else {
                    audit.unexplained.push(suspect);
                }
            }
            for mark in found.marks {
                for (i, d) in decisions.iter().enumerate() {
                    if covers(d, &mark.schema, &mark.pointer) {
                        audit.contradicted.push((i, mark.clone()));
                    }
                }
                audit.marks.push(mark);
            }
        }
        for (i, ((d, _, _), (schemas_used, at_used))) in decisions.iter().zip(&used).enumerate() {
            if !schemas_used.iter().any(|u| *u) {
                audit.unused.push(i);
                continue;
            }
            let patterns = d
                .schemas
                .iter()
                .zip(schemas_used)
                .chain(d.at.iter().zip(at_used));
            audit
                .unused_patterns
                .extend(patterns.filter(|(_, u)| !**u).map(|(p, _)| (i, p.clone())));
        }
        Ok(audit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table(toml_text: &str) -> EvidenceTable {
        toml::from_str(toml_text).expect("table parses")
    }

    #[test]
    fn categories_parse_from_their_names_only() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>(), Ok(c));
            assert_eq!(c.to_string(), c.as_str());
        }
        assert_eq!("free-text".parse(), Ok(Category::FreeText));
        assert_eq!(
            "Contact".parse::<Category>(),
            Err(UnknownCategory("Contact".into()))
        );
        assert!("email".parse::<Category>().is_err());
        assert!("".parse::<Category>().is_err());
    }

    #[test]
    fn names_split_into_words() {
        assert_eq!(words("primaryEmail"), ["primary", "email"]);
        assert_eq!(words("last_name"), ["last", "name"]);
        assert_eq!(words("user-agent"), ["user", "agent"]);
        assert_eq!(words("IPAddress"), ["ip", "address"]);
        assert_eq!(words("dateOfBirth"), ["date", "of", "birth"]);
        assert_eq!(words("agent_one_id"), ["agent", "one", "id"]);
        assert_eq!(words("ipv4Address"), ["ipv4", "address"]);
    }

    #[test]
    fn personal_looking_names_are_found() {
        let suspects = [
            ("email", "email"),
            ("secondaryEmails", "email"),
            ("primaryPhoneNumber", "phone"),
            ("mobile", "mobile"),
            ("name", "name"),
            ("firstName", "name"),
            ("last_name", "name"),
            ("guestName", "name"),
            ("displayName", "name"),
            ("surname", "name"),
            ("address", "address"),
            ("streetNumber", "street"),
            ("zipCode", "zip"),
            ("postcode", "postcode"),
            ("postalCode", "postal"),
            ("dateOfBirth", "birth"),
            ("dob", "dob"),
            ("ip", "ip"),
            ("client_ip", "ip"),
            ("userAgent", "user agent"),
            ("user_agent", "user agent"),
            ("useragent", "user agent"),
            ("message", "message"),
            ("notes", "note"),
            ("comment", "comment"),
            ("body", "body"),
            ("text", "text"),
        ];
        for (name, word) in suspects {
            assert_eq!(suspect_word(name), Some(word), "{name}");
        }
        for name in [
            "id",
            "crmNamespace",
            "description",
            "shipping",
            "recipient",
            "context",
            "agent_one_id",
            "listingId",
            "role",
            "reference",
        ] {
            assert_eq!(suspect_word(name), None, "{name}");
        }
    }

    #[test]
    fn the_survey_finds_marks_and_unmarked_suspects() {
        let schema = json!({
            "properties": {
                "data": {
                    "type": "object",
                    "properties": {
                        "email": { "type": "string", "x-personal-data": "contact" },
                        "contact": {
                            "type": "object",
                            "properties": {
                                "firstName": { "type": "string" },
                                "login": { "type": "string", "format": "email" }
                            }
                        },
                        "listing": { "$ref": "#/$defs/listing" },
                        "guests": {
                            "type": "array",
                            "items": { "properties": { "guest_name": {
                                "type": "string", "x-personal-data": "identity" } } }
                        }
                    }
                }
            },
            "$defs": { "listing": { "properties": { "name": { "type": "string" } } } },
            "examples": [{ "properties": { "phone": { "x-personal-data": "nonsense" } } }]
        });
        let found = survey("acme/events/e.json", &schema).expect("marks parse");
        let marks: Vec<String> = found.marks.iter().map(ToString::to_string).collect();
        assert_eq!(
            marks,
            [
                "acme/events/e.json#/properties/data/properties/email (contact)",
                "acme/events/e.json#/properties/data/properties/guests/items/properties/guest_name (identity)",
            ]
        );
        assert_eq!(found.marks[1].member, "guest_name");
        let suspects: Vec<String> = found.suspects.iter().map(ToString::to_string).collect();
        assert_eq!(
            suspects,
            [
                "acme/events/e.json#/properties/data/properties/contact/properties/firstName (name)",
                "acme/events/e.json#/properties/data/properties/contact/properties/login (format email)",
                "acme/events/e.json#/$defs/listing/properties/name (name)",
            ]
        );
    }

    #[test]
    fn an_unknown_category_names_its_schema_and_pointer() {
        let schema = json!({ "properties": { "data": { "properties": {
            "email": { "type": "string", "x-personal-data": "e-mail" } } } } });
        let err = survey("acme/events/e.json", &schema).expect_err("e-mail is no category");
        let message = err.to_string();
        assert!(
            message.starts_with(
                "acme/events/e.json#/properties/data/properties/email/x-personal-data: "
            ),
            "{message}"
        );
        assert!(message.contains("\"e-mail\""), "{message}");

        let not_a_string = json!({ "properties": { "phone": { "x-personal-data": true } } });
        assert!(survey("acme/e.json", &not_a_string).is_err());
    }

    #[test]
    fn a_mark_outside_a_property_is_refused() {
        for schema in [
            json!({ "x-personal-data": "contact" }),
            json!({ "$defs": { "email": { "type": "string", "x-personal-data": "contact" } } }),
            json!({ "properties": { "emails": { "type": "array",
                "items": { "type": "string", "x-personal-data": "contact" } } } }),
        ] {
            let err = survey("acme/e.json", &schema).expect_err("misplaced");
            assert!(err.to_string().contains("own subschema"), "{err}");
        }
    }

    const DECISIONS: &str = r#"
        evidence = []

        [[not-personal]]
        schemas = ["acme/events/*.json"]
        at = ["/properties/data/properties/listing/properties/name"]
        reason = "the listing's name, not a person's"

        [[not-personal]]
        schemas = ["acme/events/*.json"]
        at = ["/properties/data/properties/unit/properties/name"]
        reason = "the unit's name, not a person's"
    "#;

    #[test]
    fn decisions_explain_suspects_and_stale_ones_are_reported() {
        let t = table(DECISIONS);
        let schema = json!({ "properties": { "data": { "properties": {
            "listing": { "properties": { "name": { "type": "string" } } },
            "guest": { "properties": {
                "name": { "type": "string" },
                "email": { "type": "string", "x-personal-data": "contact" } } }
        } } } });
        let audit = t
            .personal_audit([("acme/events/e.json", &schema)])
            .expect("audits");
        assert_eq!(audit.marks.len(), 1);
        assert_eq!(audit.explained.len(), 1);
        assert_eq!(
            audit
                .unexplained
                .iter()
                .map(|s| s.pointer.as_str())
                .collect::<Vec<_>>(),
            ["/properties/data/properties/guest/properties/name"]
        );
        assert_eq!(audit.unused, [1], "no unit in the schema");
        assert!(audit.unused_patterns.is_empty());
        assert!(audit.contradicted.is_empty());
    }

    #[test]
    fn a_stale_pointer_of_a_used_decision_is_reported() {
        let t = table(&DECISIONS.replace(
            r#"at = ["/properties/data/properties/listing/properties/name"]"#,
            r#"at = ["/properties/data/properties/listing/properties/name", "/properties/data/properties/listing/properties/nmae"]"#,
        ));
        let schema = json!({ "properties": { "data": { "properties": {
            "listing": { "properties": { "name": { "type": "string" } } },
            "unit": { "properties": { "name": { "type": "string" } } }
        } } } });
        let audit = t
            .personal_audit([("acme/events/e.json", &schema)])
            .expect("audits");
        assert!(audit.unused.is_empty());
        assert_eq!(
            audit.unused_patterns,
            [(
                0,
                "/properties/data/properties/listing/properties/nmae".to_owned()
            )]
        );
    }

    #[test]
    fn a_decision_over_a_marked_member_is_a_contradiction() {
        let t = table(DECISIONS);
        let schema = json!({ "properties": { "data": { "properties": {
            "listing": { "properties": { "name": { "type": "string", "x-personal-data": "identity" } } },
            "unit": { "properties": { "name": { "type": "string" } } }
        } } } });
        let audit = t
            .personal_audit([("acme/events/e.json", &schema)])
            .expect("audits");
        assert_eq!(audit.contradicted.len(), 1);
        assert_eq!(audit.contradicted[0].0, 0);
        assert_eq!(
            audit.unused,
            [0],
            "a marked member is no suspect to explain"
        );
    }

    #[test]
    fn a_decision_needs_a_reason() {
        let t = table(&DECISIONS.replace("the unit's name, not a person's", " "));
        assert!(t.personal_audit([]).is_err());
    }
}
