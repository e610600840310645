//! A schema `pattern` as plain Rust: the pattern is compiled at generation time into a minimal
//! DFA (`regex-automata`), and the DFA is written out as a `match` over (state, byte), so the
//! generated crate checks patterns at the speed of the parse, with no regex engine of its own.
//!
//! The matcher answers what JSON Schema's `pattern` asks: whether the pattern matches somewhere in
//! the string (an unanchored search; the project's patterns anchor themselves with `^…$`). It
//! reads the string's UTF-8 bytes, which the DFA was built over. The pattern is read in the regex
//! crate's syntax, which agrees with ECMA-262 on explicit character classes, literals, groups,
//! alternation and counted repetition, but not on `\d`, `\w`, `\s` or `.` (Unicode-aware here):
//! the workspace test `pattern_matchers_agree_with_the_schema_validator` judges every generated
//! matcher against the `jsonschema` crate's ECMA-262 verdict, so a pattern where the two differ
//! fails there.

use std::collections::{BTreeMap, VecDeque};

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};

use crate::Error;

/// What a byte leads to from one state.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    /// On to another live state (by its number in the generated code).
    To(usize),
    /// A match has been seen: the string matches, whatever follows.
    Matched,
}

/// A pattern's DFA as the generated code walks it.
struct Table {
    /// Per live state (the start is 0): the bytes that lead to each step; any other byte leads
    /// to the dead state (no match possible).
    steps: Vec<BTreeMap<Step, Vec<u8>>>,
    /// The states in which the end of the string completes a match.
    accepting: Vec<usize>,
    /// The pattern matches the empty string at the start, so every string.
    everything: bool,
}

impl Table {
    /// The minimal DFA of `pattern`, walked from its unanchored start state.
    fn build(pattern: &str) -> Result<Self, String> {
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .start_kind(StartKind::Unanchored)
                    .match_kind(MatchKind::All)
                    .minimize(true),
            )
            .build(pattern)
            .map_err(|e| e.to_string())?;
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::No))
            .map_err(|e| e.to_string())?;
        if dfa.is_match_state(start) {
            return Ok(Self {
                steps: Vec::new(),
                accepting: Vec::new(),
                everything: true,
            });
        }
        // Number the live states in breadth-first order from the start.
        let mut number: BTreeMap<StateID, usize> = BTreeMap::from([(start, 0)]);
        let mut queue = VecDeque::from([start]);
        let mut steps = Vec::new();
        let mut accepting = Vec::new();
        while let Some(id) = queue.pop_front() {
            let mut from: BTreeMap<Step, Vec<u8>> = BTreeMap::new();
            for byte in 0..=u8::MAX {
                let next = dfa.next_state(id, byte);
                if dfa.is_quit_state(next) {
                    return Err(format!("the DFA gives up on byte {byte:#04x}"));
                }
                if dfa.is_dead_state(next) {
                    continue;
                }
                let step = if dfa.is_match_state(next) {
                    Step::Matched
                } else {
                    let fresh = number.len();
                    let n = *number.entry(next).or_insert_with(|| {
                        queue.push_back(next);
                        fresh
                    });
                    Step::To(n)
                };
                from.entry(step).or_default().push(byte);
            }
            if dfa.is_match_state(dfa.next_eoi_state(id)) {
                accepting.push(number[&id]);
            }
            steps.push(from);
        }
        if steps.len() > usize::from(u16::MAX) + 1 {
            return Err(format!(
                "its DFA has {} states, more than a generated matcher numbers",
                steps.len()
            ));
        }
        Ok(Self {
            steps,
            accepting,
            everything: false,
        })
    }

    /// The generated function body, over `s: &str`.
    fn render(&self) -> TokenStream {
        if self.everything {
            return quote! { let _ = s; true };
        }
        let wide = self.steps.len() > usize::from(u8::MAX);
        let state_ty = if wide { quote!(u16) } else { quote!(u8) };
        let state = |n: usize| {
            if wide {
                Literal::u16_unsuffixed(u16::try_from(n).unwrap_or(u16::MAX))
            } else {
                Literal::u8_unsuffixed(u8::try_from(n).unwrap_or(u8::MAX))
            }
        };
        let mut arms = Vec::new();
        for (from, steps) in self.steps.iter().enumerate() {
            let from = state(from);
            for (step, bytes) in steps {
                let ranges = ranges(bytes).into_iter().map(|(lo, hi)| {
                    let (lo_lit, hi_lit) = (byte(lo), byte(hi));
                    if lo == hi {
                        quote!(#lo_lit)
                    } else {
                        quote!(#lo_lit..=#hi_lit)
                    }
                });
                let then = match step {
                    Step::To(n) => {
                        let n = state(*n);
                        quote!(#n)
                    }
                    Step::Matched => quote!(return true),
                };
                arms.push(quote! { (#from, #(#ranges)|*) => #then, });
            }
        }
        let accepting = self.accepting.iter().map(|&n| state(n));
        quote! {
            let mut state: #state_ty = 0;
            for &byte in s.as_bytes() {
                state = match (state, byte) {
                    #(#arms)*
                    _ => return false,
                };
            }
            matches!(state, #(#accepting)|*)
        }
    }

    /// Whether `s` matches, walking the table as the generated code does.
    #[cfg(test)]
    fn run(&self, s: &str) -> bool {
        if self.everything {
            return true;
        }
        let mut state = 0;
        for &b in s.as_bytes() {
            let next = self.steps[state]
                .iter()
                .find(|(_, bytes)| bytes.contains(&b))
                .map(|(step, _)| *step);
            match next {
                Some(Step::To(n)) => state = n,
                Some(Step::Matched) => return true,
                None => return false,
            }
        }
        self.accepting.contains(&state)
    }
}

/// The body of `fn matches(s: &str) -> bool` for `pattern`: a `match` over (state, byte) of the
/// pattern's minimal DFA. `at` names the pattern in an error.
pub fn matcher(pattern: &str, at: &str) -> Result<TokenStream, Error> {
    Table::build(pattern)
        .map(|t| t.render())
        .map_err(|reason| Error::Schema {
            at: at.to_owned(),
            reason: format!("the pattern `{pattern}` cannot be compiled into a matcher: {reason}"),
        })
}

/// `bytes` (ascending) as inclusive ranges of consecutive values.
fn ranges(bytes: &[u8]) -> Vec<(u8, u8)> {
    let mut out: Vec<(u8, u8)> = Vec::new();
    for &b in bytes {
        match out.last_mut() {
            Some((_, hi)) if hi.checked_add(1) == Some(b) => *hi = b,
            _ => out.push((b, b)),
        }
    }
    out
}

/// A byte as a literal: `b'x'` where it is printable ASCII, else hexadecimal.
fn byte(b: u8) -> TokenStream {
    if b.is_ascii_graphic() || b == b' ' {
        let lit = Literal::byte_character(b);
        quote!(#lit)
    } else {
        let text = format!("{b:#04x}");
        text.parse().unwrap_or_else(|_| quote!(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The project's patterns and a few of JSON Schema's other shapes (unanchored, alternation,
    /// repetition), each walked over strings near its edges and judged by the `regex` engine.
    #[test]
    fn the_table_agrees_with_a_regex_engine() {
        let patterns = [
            "^(evt_)?[0-7][0-9A-HJKMNP-TV-Z]{25}$",
            "^[0-7][0-9A-HJKMNP-TV-Z]{25}$",
            "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$",
            "^[A-Z]{3}$",
            "^[a-z0-9]{7}$",
            "ab+c",
            "^(x|yz)*$",
            "é+$",
        ];
        let inputs = [
            "",
            "USD",
            "usd",
            "US",
            "USDX",
            "abc1234",
            "abc123",
            "abc12345",
            "ABC1234",
            "01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "evt01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "81ARZ3NDEKTSV4RRFFQ69G5FAV",
            "01ARZ3NDEKTSV4RRFFQ69G5FAI",
            "01ARZ3NDEKTSV4RRFFQ69G5FAV\n",
            "2025-08-11T14:53:39Z",
            "2025-08-11T14:53:39.123+02:00",
            "2025-08-11T14:53:39.Z",
            "2025-08-11 14:53:39Z",
            "2025-08-11T14:53:39+0200",
            "2025-08-11T14:53:39z",
            "xxabbbcyy",
            "ac",
            "xyzx",
            "xyx",
            "caféé",
            "café!",
            "é",
            "\u{0}abc",
        ];
        for pattern in patterns {
            let regex = regex_automata::meta::Regex::new(pattern).expect("compiles");
            let table = Table::build(pattern).expect("a table");
            for input in inputs {
                assert_eq!(
                    table.run(input),
                    regex.is_match(input),
                    "{pattern} on {input:?}"
                );
            }
        }
    }

    #[test]
    fn ranges_merge_consecutive_bytes() {
        assert_eq!(ranges(b"0123456789AB"), vec![(b'0', b'9'), (b'A', b'B')]);
        assert_eq!(ranges(&[0, 2, 255]), vec![(0, 0), (2, 2), (255, 255)]);
    }

    #[test]
    fn generation_is_deterministic() {
        let pattern = "^(evt_)?[0-7][0-9A-HJKMNP-TV-Z]{25}$";
        let once = matcher(pattern, "test").expect("a matcher").to_string();
        assert_eq!(once, matcher(pattern, "test").expect("again").to_string());
    }

    #[test]
    fn a_pattern_the_dfa_cannot_build_is_an_error_that_names_it() {
        let err = matcher("(", "here").expect_err("does not compile");
        assert!(
            err.to_string().starts_with("here: the pattern `(`"),
            "{err}"
        );
    }

    #[test]
    fn a_pattern_matching_the_empty_string_accepts_everything() {
        let table = Table::build("a*").expect("a table");
        assert!(table.run("") && table.run("bbb"));
    }
}
