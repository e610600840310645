//! The walker: the two versions of one schema in parallel, by instance location.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{
    BOUNDS, Bound, Change, ChangeKind, Composition, Loc, View, accepts, change, code, code_list,
    escape, short,
};
/// Walks the two versions of one schema in parallel and records the changes.
pub(super) struct Walker<'a> {
    pub(super) base_root: &'a Value,
    pub(super) head_root: &'a Value,
    pub(super) schema: &'a str,
    pub(super) changes: Vec<Change>,
    /// The (base, head) location lists being compared on the current path: a cycle guard.
    pub(super) active: BTreeSet<(Vec<String>, Vec<String>)>,
}

impl<'a> Walker<'a> {
    pub(super) fn push(&mut self, kind: ChangeKind, pointer: &str, via: &str, detail: String) {
        let detail = if via.is_empty() {
            detail
        } else {
            format!("{detail} (via {via})")
        };
        self.changes
            .push(change(kind, self.schema, pointer, detail));
    }

    /// Compares the instance at `pointer` as described by `base` and by `head` (each a list of
    /// subschemas that all apply; an empty list accepts anything).
    pub(super) fn node(&mut self, base: &[Loc<'a>], head: &[Loc<'a>], pointer: &str, via: &str) {
        let key = (
            base.iter().map(|l| l.ptr.clone()).collect::<Vec<_>>(),
            head.iter().map(|l| l.ptr.clone()).collect::<Vec<_>>(),
        );
        if self.active.contains(&key) {
            return;
        }
        self.active.insert(key.clone());
        let b = View::collect(self.base_root, base);
        let h = View::collect(self.head_root, head);
        self.compare(&b, &h, pointer, via);
        self.active.remove(&key);
    }

    pub(super) fn compare(&mut self, b: &View<'a>, h: &View<'a>, pointer: &str, via: &str) {
        match (b.never, h.never) {
            (true, true) => return,
            (false, true) => {
                self.push(
                    ChangeKind::NarrowedType,
                    pointer,
                    via,
                    format!("was {}, now nothing (false schema)", b.type_text()),
                );
                return;
            }
            (true, false) => {
                self.push(
                    ChangeKind::WidenedType,
                    pointer,
                    via,
                    format!("was nothing (false schema), now {}", h.type_text()),
                );
                return;
            }
            (false, false) => {}
        }
        self.annotations(b, h, pointer, via);
        self.types(b, h, pointer, via);
        self.values(b, h, pointer, via);
        self.strings(b, h, pointer, via);
        self.bounds(b, h, pointer, via);
        self.objects(b, h, pointer, via);
        if !b.items.is_empty() || !h.items.is_empty() {
            self.node(&b.items, &h.items, &format!("{pointer}/*"), via);
        }
        self.compositions(b, h, pointer, via);
        let keywords: BTreeSet<&str> = b.other.keys().chain(h.other.keys()).copied().collect();
        for keyword in keywords {
            if b.other.get(keyword) != h.other.get(keyword) {
                self.push(
                    ChangeKind::Unclassified,
                    pointer,
                    via,
                    format!("`{keyword}` changed; review it by hand"),
                );
            }
        }
    }

    pub(super) fn annotations(&mut self, b: &View<'a>, h: &View<'a>, pointer: &str, via: &str) {
        let keywords: BTreeSet<&str> = b
            .annotations
            .keys()
            .chain(h.annotations.keys())
            .copied()
            .collect();
        for keyword in keywords {
            let (old, new) = (b.annotations.get(keyword), h.annotations.get(keyword));
            if old == new {
                continue;
            }
            let kind = match keyword {
                "x-api-version" => ChangeKind::ApiVersion,
                "x-event-type" | "x-provider" => ChangeKind::ChangedEventIdentity,
                _ => ChangeKind::Documentation,
            };
            let text = |v: Option<&&Value>| v.and_then(|v| short(v));
            let detail = match (old, new) {
                (None, Some(_)) => match text(new) {
                    Some(new) => format!("`{keyword}` was absent, now `{new}`"),
                    None => format!("`{keyword}` added"),
                },
                (Some(_), None) => match text(old) {
                    Some(old) => format!("`{keyword}` was `{old}`, now absent"),
                    None => format!("`{keyword}` removed"),
                },
                _ => match (text(old), text(new)) {
                    (Some(old), Some(new)) => format!("`{keyword}` was `{old}`, now `{new}`"),
                    _ => format!("`{keyword}` changed"),
                },
            };
            self.push(kind, pointer, via, detail);
        }
    }

    pub(super) fn types(&mut self, b: &View<'a>, h: &View<'a>, pointer: &str, via: &str) {
        let narrowed = match (&b.types, &h.types) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(old), Some(new)) => old.iter().any(|t| !accepts(new, t)),
        };
        let widened = match (&b.types, &h.types) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(old), Some(new)) => new.iter().any(|t| !accepts(old, t)),
        };
        let detail = || format!("type was `{}`, now `{}`", b.type_text(), h.type_text());
        if narrowed {
            self.push(ChangeKind::NarrowedType, pointer, via, detail());
        } else if widened {
            self.push(ChangeKind::WidenedType, pointer, via, detail());
        }
    }

    pub(super) fn values(&mut self, b: &View<'a>, h: &View<'a>, pointer: &str, via: &str) {
        match (b.constant, h.constant) {
            (None, Some(new)) => self.push(
                ChangeKind::AddedConst,
                pointer,
                via,
                format!("was unconstrained, now const {}", code(new)),
            ),
            (Some(old), Some(new)) if old != new => self.push(
                ChangeKind::ChangedConst,
                pointer,
                via,
                format!("const was {}, now {}", code(old), code(new)),
            ),
            (Some(old), None) => self.push(
                ChangeKind::RemovedConst,
                pointer,
                via,
                format!("was const {}, now unconstrained", code(old)),
            ),
            _ => {}
        }
        match (&b.allowed, &h.allowed) {
            (None, Some(new)) => self.push(
                ChangeKind::AddedEnum,
                pointer,
                via,
                format!("was unconstrained, now one of {}", code_list(new)),
            ),
            (Some(old), None) => self.push(
                ChangeKind::RemovedEnum,
                pointer,
                via,
                format!("was one of {}, now unconstrained", code_list(old)),
            ),
            (Some(old), Some(new)) => {
                let removed: Vec<&Value> =
                    old.iter().filter(|v| !new.contains(v)).copied().collect();
                let added: Vec<&Value> = new.iter().filter(|v| !old.contains(v)).copied().collect();
                if !removed.is_empty() {
                    self.push(
                        ChangeKind::RemovedEnumValue,
                        pointer,
                        via,
                        code_list(&removed),
                    );
                }
                if !added.is_empty() {
                    self.push(ChangeKind::AddedEnumValue, pointer, via, code_list(&added));
                }
            }
            (None, None) => {}
        }
    }

    pub(super) fn strings(&mut self, b: &View<'a>, h: &View<'a>, pointer: &str, via: &str) {
        if b.format != h.format {
            let show = |f: Option<&str>| f.map_or("absent".to_owned(), |f| format!("`{f}`"));
            self.push(
                ChangeKind::ChangedFormat,
                pointer,
                via,
                format!("format was {}, now {}", show(b.format), show(h.format)),
            );
        }
        let show = |patterns: Vec<&&str>| {
            patterns
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        };
        let removed: Vec<&&str> = b.patterns.difference(&h.patterns).collect();
        let added: Vec<&&str> = h.patterns.difference(&b.patterns).collect();
        if !added.is_empty() {
            let old = if removed.is_empty() {
                "absent".to_owned()
            } else {
                show(removed)
            };
            self.push(
                ChangeKind::TightenedPattern,
                pointer,
                via,
                format!("pattern was {old}, now {}", show(added)),
            );
        } else if !removed.is_empty() {
            self.push(
                ChangeKind::RemovedPattern,
                pointer,
                via,
                format!("pattern was {}, now absent", show(removed)),
            );
        }
    }

    pub(super) fn bounds(&mut self, b: &View<'a>, h: &View<'a>, pointer: &str, via: &str) {
        for (name, direction) in BOUNDS {
            let (old, new) = (b.bounds.get(name), h.bounds.get(name));
            let tightened = match (old, new) {
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some((o, _)), Some((n, _))) if o != n => match direction {
                    Bound::Lower => n > o,
                    Bound::Upper => n < o,
                },
                _ => continue,
            };
            self.bound(
                name,
                tightened,
                old.map(|b| b.1),
                new.map(|b| b.1),
                pointer,
                via,
            );
        }
        match (b.multiple_of, h.multiple_of) {
            (None, None) => {}
            (Some((o, _)), Some((n, _))) if o == n => {}
            (old, new) => {
                // Loosened when every old multiple is still a multiple: the new step divides
                // the old one.
                let tightened = match (old, new) {
                    (Some((o, _)), Some((n, _))) => n == 0.0 || (o / n).fract() != 0.0,
                    (_, new) => new.is_some(),
                };
                self.bound(
                    "multipleOf",
                    tightened,
                    old.map(|m| m.1),
                    new.map(|m| m.1),
                    pointer,
                    via,
                );
            }
        }
        if b.unique_items != h.unique_items {
            let (old, new) = (Value::Bool(b.unique_items), Value::Bool(h.unique_items));
            self.bound(
                "uniqueItems",
                h.unique_items,
                Some(&old),
                Some(&new),
                pointer,
                via,
            );
        }
    }

    pub(super) fn bound(
        &mut self,
        name: &str,
        tightened: bool,
        old: Option<&Value>,
        new: Option<&Value>,
        pointer: &str,
        via: &str,
    ) {
        let show = |v: Option<&Value>| v.map_or("absent".to_owned(), |v| v.to_string());
        self.push(
            if tightened {
                ChangeKind::TightenedBound
            } else {
                ChangeKind::LoosenedBound
            },
            pointer,
            via,
            format!("`{name}` was {}, now {}", show(old), show(new)),
        );
    }

    pub(super) fn objects(&mut self, b: &View<'a>, h: &View<'a>, pointer: &str, via: &str) {
        let state = |view: &View<'a>| {
            if view.closed {
                "rejected"
            } else if view.additional.is_empty() {
                "allowed"
            } else {
                "allowed if they match a schema"
            }
        };
        if b.closed != h.closed {
            let kind = if h.closed {
                ChangeKind::ClosedAdditionalProperties
            } else {
                ChangeKind::OpenedAdditionalProperties
            };
            let detail = format!("additional properties were {}, now {}", state(b), state(h));
            self.push(kind, pointer, via, detail);
        } else if !b.closed && (!b.additional.is_empty() || !h.additional.is_empty()) {
            self.node(&b.additional, &h.additional, &format!("{pointer}/*"), via);
        }

        let names: BTreeSet<&str> = b
            .properties
            .keys()
            .chain(h.properties.keys())
            .chain(b.required.iter())
            .chain(h.required.iter())
            .copied()
            .collect();
        for name in names {
            let at = format!("{pointer}/{}", escape(name));
            let known = |v: &View<'a>| v.properties.contains_key(name) || v.required.contains(name);
            let (old_required, new_required) =
                (b.required.contains(name), h.required.contains(name));
            let none = Vec::new();
            let old = b.properties.get(name).unwrap_or(&none);
            let new = h.properties.get(name).unwrap_or(&none);
            match (known(b), known(h)) {
                (true, false) => {
                    let ty = View::collect(self.base_root, old).type_text();
                    let (kind, was) = if old_required {
                        (ChangeKind::RemovedRequiredProperty, "required")
                    } else {
                        (ChangeKind::RemovedOptionalProperty, "optional")
                    };
                    self.push(kind, &at, via, format!("was {was} (type {ty}), now absent"));
                }
                (false, true) => {
                    let ty = View::collect(self.head_root, new).type_text();
                    let kind = if new_required {
                        ChangeKind::AddedRequiredProperty
                    } else {
                        ChangeKind::AddedOptionalProperty
                    };
                    self.push(kind, &at, via, format!("type {ty}"));
                }
                (true, true) => {
                    if !old_required && new_required {
                        self.push(
                            ChangeKind::NewlyRequired,
                            &at,
                            via,
                            "was optional, now required".to_owned(),
                        );
                    } else if old_required && !new_required {
                        self.push(
                            ChangeKind::NoLongerRequired,
                            &at,
                            via,
                            "was required, now optional".to_owned(),
                        );
                    }
                    self.node(old, new, &at, via);
                }
                (false, false) => {}
            }
        }
    }

    pub(super) fn compositions(&mut self, b: &View<'a>, h: &View<'a>, pointer: &str, via: &str) {
        for keyword in ["anyOf", "oneOf"] {
            let old: Vec<&Composition<'a>> = b
                .compositions
                .iter()
                .filter(|c| c.keyword == keyword)
                .collect();
            let new: Vec<&Composition<'a>> = h
                .compositions
                .iter()
                .filter(|c| c.keyword == keyword)
                .collect();
            for i in 0..old.len().max(new.len()) {
                match (old.get(i), new.get(i)) {
                    (Some(old), Some(new)) => self.branches(keyword, old, new, pointer, via),
                    (None, Some(new)) => self.push(
                        ChangeKind::NarrowedType,
                        pointer,
                        via,
                        format!("`{keyword}` with {} branches added", new.branches.len()),
                    ),
                    (Some(old), None) => self.push(
                        ChangeKind::WidenedType,
                        pointer,
                        via,
                        format!("`{keyword}` with {} branches removed", old.branches.len()),
                    ),
                    (None, None) => {}
                }
            }
        }
    }

    pub(super) fn branches(
        &mut self,
        keyword: &str,
        old: &Composition<'a>,
        new: &Composition<'a>,
        pointer: &str,
        via: &str,
    ) {
        let mut used = vec![false; new.branches.len()];
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        let mut unmatched: Vec<usize> = Vec::new();
        for (i, branch) in old.branches.iter().enumerate() {
            let same = (0..new.branches.len())
                .find(|&j| !used[j] && new.branches[j].value == branch.value);
            match same {
                Some(j) => {
                    used[j] = true;
                    pairs.push((i, j));
                }
                None => unmatched.push(i),
            }
        }
        let mut fresh = (0..new.branches.len()).filter(|&j| !used[j]);
        let mut lost = Vec::new();
        for i in unmatched {
            match fresh.next() {
                Some(j) => pairs.push((i, j)),
                None => lost.push(i),
            }
        }
        let gained: Vec<usize> = fresh.collect();
        pairs.sort_unstable();
        for (i, j) in pairs {
            let step = format!("{keyword}[{j}]");
            let via = if via.is_empty() {
                step
            } else {
                format!("{via} > {step}")
            };
            self.node(
                std::slice::from_ref(&old.branches[i]),
                std::slice::from_ref(&new.branches[j]),
                pointer,
                &via,
            );
        }
        for i in lost {
            let ty =
                View::collect(self.base_root, std::slice::from_ref(&old.branches[i])).type_text();
            self.push(
                ChangeKind::NarrowedType,
                pointer,
                via,
                format!("`{keyword}` branch {i} (type {ty}) removed"),
            );
        }
        for j in gained {
            let ty =
                View::collect(self.head_root, std::slice::from_ref(&new.branches[j])).type_text();
            self.push(
                ChangeKind::WidenedType,
                pointer,
                via,
                format!("`{keyword}` branch {j} (type {ty}) added"),
            );
        }
    }
}
