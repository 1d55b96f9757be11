//! The shape of one rule of the table (`rules/`): what a reviewer reads, what the engine
//! (`engine.rs`) runs. A rule finds *candidates* with its pattern (`regex` syntax, run by
//! the `regex` crate's engines: finite automata, linear in the string) and keeps those its
//! validator accepts.
//! Its examples are run as tests: every `catches` entry must be found by this rule, every
//! `keeps` entry must pass the whole guard untouched.

use super::context::Context;
use super::kind::Kind;

/// An example: the key it stands under (`""` for none) and the string.
pub type Ex = (&'static str, &'static str);

/// Where a rule looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The string as given: secrets count wherever they stand, even inside a public URL.
    Raw,
    /// The string with the public spans found by earlier rules (public URLs) blanked out.
    Text,
    /// The whole value (trimmed), judged by its own key: no pattern.
    Value,
}

/// Which key contexts a rule applies under.
#[derive(Debug, Clone, Copy)]
pub enum When {
    Any,
    /// Only under these keys.
    In(&'static [Context]),
    /// Anywhere except under these keys.
    NotIn(&'static [Context]),
}

impl When {
    pub fn allows(self, ctx: Context) -> bool {
        match self {
            When::Any => true,
            When::In(list) => list.contains(&ctx),
            When::NotIn(list) => !list.contains(&ctx),
        }
    }
}

/// Character classes a string must hold for a rule to run (a cheap gate before any
/// pattern: an AWS secret key has upper case, lower case and digits).
pub const UPPER: u8 = 1;
pub const LOWER: u8 = 2;
pub const DIGIT: u8 = 4;

pub struct Rule {
    /// `net.ipv4`: what `check --explain` names.
    pub id: &'static str,
    pub kind: Kind,
    /// One line for the documentation.
    pub about: &'static str,
    pub scope: Scope,
    /// ASCII, matched case-insensitively; one of them must occur in the string for the
    /// rule to run (one byte: that byte). Empty: no keyword needed.
    pub keywords: &'static [&'static str],
    /// Character classes (`UPPER | LOWER | DIGIT`) the string must hold.
    pub classes: u8,
    pub context: When,
    /// Bytes that may stand right before a match, consumed by the pattern and not part of
    /// the candidate (a regex class body: `\s=:`). Empty: none.
    pub lead: &'static str,
    /// The candidate's pattern (ASCII only; `(?i)` where case does not matter). Empty for
    /// `Scope::Value` rules.
    pub pattern: &'static str,
    /// Confirms a candidate: neighbours, ranges, checksums, entropy, public facts.
    pub validate: Option<fn(&Cand) -> bool>,
    /// Candidates this rule rejects are public facts (a public URL): later `Text` rules do
    /// not see them.
    pub blanks: bool,
    pub catches: &'static [Ex],
    pub keeps: &'static [Ex],
}

impl Rule {
    /// The defaults every rule starts from (`..Rule::BASE`).
    pub const BASE: Rule = Rule {
        id: "",
        kind: Kind::Secret,
        about: "",
        scope: Scope::Text,
        keywords: &[],
        classes: 0,
        context: When::Any,
        lead: "",
        pattern: "",
        validate: None,
        blanks: false,
        catches: &[],
        keeps: &[],
    };
}

/// A candidate: `hay[start..end]`, in the string the rule ran on, under a key context.
#[derive(Debug, Clone, Copy)]
pub struct Cand<'a> {
    pub hay: &'a [u8],
    pub start: usize,
    pub end: usize,
    pub ctx: Context,
}

impl<'a> Cand<'a> {
    /// The candidate's bytes.
    pub fn text(&self) -> &'a [u8] {
        self.hay.get(self.start..self.end).unwrap_or_default()
    }

    /// The byte `n` places before the candidate (1: the one right before it).
    pub fn before(&self, n: usize) -> Option<u8> {
        self.start
            .checked_sub(n)
            .and_then(|i| self.hay.get(i).copied())
    }

    /// The byte `n` places after the candidate (0: the one right after it).
    pub fn after(&self, n: usize) -> Option<u8> {
        self.hay.get(self.end + n).copied()
    }

    /// Up to `n` bytes right before the candidate: a bounded look back.
    pub fn behind(&self, n: usize) -> &'a [u8] {
        self.hay
            .get(self.start.saturating_sub(n)..self.start)
            .unwrap_or_default()
    }

    /// Up to `n` bytes right after the candidate: a bounded look ahead.
    pub fn ahead(&self, n: usize) -> &'a [u8] {
        let end = self.end.saturating_add(n).min(self.hay.len());
        self.hay.get(self.end..end).unwrap_or_default()
    }
}
