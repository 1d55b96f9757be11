//! The table of rules: every pattern the guard applies, with its examples. A reviewer
//! reads the families below in order; `docs/privacy.md`'s rule list is generated from
//! this table (`make generate`). To add a rule: add an entry to its family's `RULES`
//! with a kind, keywords (the cheap prefilter), an ASCII pattern with explicit
//! boundaries, a validator when the shape needs one, and what it must catch and keep;
//! the tests run those examples and hold the rule to linear time.
//!
//! Order matters only for which kind a string is reported as (the first rule that
//! fires), and for `blanks`: public URLs found by `net.url` are hidden from the rules
//! after it, so nothing inside a public URL is read as a path or a host.

mod addresses;
mod cloud;
mod network;
mod paths;
mod people;
mod secrets;
mod vendors;
mod vendors_more;

#[cfg(test)]
mod tests;

use super::rule::Rule;

/// The prelude every family file starts from.
mod prelude {
    pub(super) use super::super::context::Context;
    pub(super) use super::super::kind::Kind;
    pub(super) use super::super::public;
    pub(super) use super::super::rule::{Cand, DIGIT, LOWER, Rule, Scope, UPPER, When};
    pub(super) use super::super::text::{entropy, is_word, lower, one_of, placeholder};
    pub(super) use super::real_token;
}

/// The families, in the order they run: secrets first (on the string as given), then the
/// rules of text, then the rules that judge a whole value by its key.
pub const FAMILIES: &[(&str, &[Rule])] = &[
    ("Issued tokens", vendors::RULES),
    ("More issued tokens", vendors_more::RULES),
    ("Secrets", secrets::RULES),
    ("People and URLs", network::RULES),
    ("Cloud identifiers", cloud::RULES),
    ("Addresses", addresses::RULES),
    ("Paths", paths::RULES),
    ("Host names", people::RULES),
];

/// Every rule, in order.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    FAMILIES.iter().flat_map(|(_, rules)| rules.iter())
}

/// An issued token rather than a placeholder (`ghp_xxxxxxxx…`): varied characters.
pub fn real_token(c: &super::rule::Cand) -> bool {
    let t = c.text();
    let mut seen = [false; 256];
    let distinct = t
        .iter()
        .filter(|&&b| !std::mem::replace(&mut seen[usize::from(b)], true))
        .count();
    distinct >= 10 && super::text::entropy(t) >= 3.0
}
