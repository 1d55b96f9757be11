//! Runs the table of rules (`rules/`) over a string: linear by construction.
//!
//! Per string: one pass for the bytes present and one Aho-Corasick pass for every rule's
//! keywords (both linear); then, for each rule whose keywords are there, its own regex
//! (regex-automata, the `regex` crate's engines: finite automata, a search is
//! O(pattern × string)) finds at most
//! [`CAP`] candidates, each restarted after the previous one, and its validator (bounded
//! look-arounds) keeps or drops each. A string with more than [`CAP`] candidates of one
//! rule counts as found: no input can make a rule do unbounded work, and none can hide an
//! identifier behind many look-alikes. Regexes compile on first use, so a payload pays only
//! for the rules its strings can trigger, and lean (no prefilter) for short strings: the
//! prefilters that make a scan of megabytes fast cost more to build than a short string
//! costs to scan, so only a long string (`LONG`) compiles a rule with them.

use std::borrow::Cow;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex_automata::util::syntax;
use regex_automata::{
    Input,
    meta::{self, Regex},
};

use super::context::Context;
use super::rule::{Cand, DIGIT, LOWER, Rule, Scope, UPPER};
use super::rules;
use super::text::Bigrams;

/// Candidates one rule may look at in one string before the string counts as found.
pub const CAP: usize = 256;

/// A string this long (bytes) uses the rules compiled with prefilters, and the keyword
/// DFA rather than the keyword NFA.
const LONG: usize = 4096;

/// One rule that fired, and where (in the string it ran on).
#[derive(Clone, Copy)]
pub struct Hit {
    pub rule: &'static Rule,
    pub start: usize,
    pub end: usize,
    /// The rule ran out of candidates ([`CAP`]): the whole string counts.
    pub capped: bool,
}

struct Compiled {
    rules: Vec<&'static Rule>,
    /// Per rule, compiled lean (short strings) and with prefilters (long ones).
    lean: Vec<OnceLock<Option<Regex>>>,
    fast: Vec<OnceLock<Option<Regex>>>,
    /// Per rule, which bytes its `lead` consumes.
    lead: Vec<OnceLock<[bool; 256]>>,
    /// Multi-byte keywords (lower case). A short string looks them up by their first two
    /// bytes (`starts`: nothing to build); a long one makes one Aho-Corasick pass (a DFA,
    /// built for the first long string).
    words: Vec<&'static str>,
    starts: std::collections::HashMap<usize, Vec<usize>>,
    keywords_dfa: OnceLock<Option<AhoCorasick>>,
    /// Per byte, the bits it sets in a string's summary: its class, and the one-byte
    /// keyword it is (case folded).
    bits: [u32; 256],
    /// Per rule, what it needs before it runs.
    needs: Vec<Needs>,
    /// The one-byte keywords, in the order of their summary bits.
    singles: Vec<u8>,
    /// The shortest multi-byte keyword: shorter strings skip the keyword pass.
    shortest: usize,
    /// The first two bytes of every multi-byte keyword: a string with none of them skips
    /// the keyword pass.
    bigrams: Bigrams,
}

/// What a rule needs in a string: one of the summary bits (one-byte keywords), all of the
/// classes, one of the multi-byte keywords (a bit set over the Aho-Corasick patterns).
struct Needs {
    bits: u32,
    classes: u32,
    words: [u64; WORD_SETS],
    nothing: bool,
}

/// Room for 64 × this many multi-byte keywords (a test checks the table fits).
pub const WORD_SETS: usize = 4;

/// Summary bits: the three classes, then one bit per one-byte keyword.
const CLASS_BITS: u32 = 3;

fn compiled() -> &'static Compiled {
    static ENGINE: OnceLock<Compiled> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let rules: Vec<&'static Rule> = rules::all().collect();
        let mut words: Vec<&'static str> = Vec::new();
        let mut singles: Vec<u8> = Vec::new();
        let mut needs = Vec::new();
        for r in &rules {
            let (mut mask, mut list) = (0u32, Vec::new());
            for k in r.keywords {
                match k.as_bytes() {
                    [b] => {
                        let b = b.to_ascii_lowercase();
                        let i = singles.iter().position(|&x| x == b).unwrap_or_else(|| {
                            singles.push(b);
                            singles.len() - 1
                        });
                        mask |= 1 << (CLASS_BITS as usize + i).min(31);
                    }
                    _ => list.push(words.iter().position(|w| w == k).unwrap_or_else(|| {
                        words.push(k);
                        words.len() - 1
                    })),
                }
            }
            needs.push((mask, r.classes, list));
        }
        let needs = needs
            .into_iter()
            .map(|(bits, classes, list): (u32, u8, Vec<usize>)| {
                let mut set = [0u64; WORD_SETS];
                for w in &list {
                    if let Some(slot) = set.get_mut(w / 64) {
                        *slot |= 1 << (w % 64);
                    }
                }
                Needs {
                    bits,
                    classes: u32::from(classes),
                    words: set,
                    nothing: bits == 0 && list.is_empty(),
                }
            })
            .collect();
        let mut bits = [0u32; 256];
        for (b, slot) in bits.iter_mut().enumerate() {
            let c = b as u8;
            *slot = if c.is_ascii_uppercase() {
                u32::from(UPPER)
            } else if c.is_ascii_lowercase() {
                u32::from(LOWER)
            } else if c.is_ascii_digit() {
                u32::from(DIGIT)
            } else {
                0
            };
            if let Some(i) = singles.iter().position(|&x| x == c.to_ascii_lowercase()) {
                *slot |= 1 << (CLASS_BITS as usize + i).min(31);
            }
        }
        let mut starts: std::collections::HashMap<usize, Vec<usize>> = Default::default();
        for (i, w) in words.iter().enumerate() {
            if let [a, b, ..] = w.as_bytes() {
                starts.entry(pair(*a, *b)).or_default().push(i);
            }
        }
        Compiled {
            bigrams: Bigrams::of(words.iter().map(|w| w.as_bytes())),
            lean: rules.iter().map(|_| OnceLock::new()).collect(),
            fast: rules.iter().map(|_| OnceLock::new()).collect(),
            keywords_dfa: OnceLock::new(),
            lead: rules.iter().map(|_| OnceLock::new()).collect(),
            rules,
            singles,
            shortest: words.iter().map(|w| w.len()).min().unwrap_or(usize::MAX),
            starts,
            words,
            bits,
            needs,
        }
    })
}

/// Two bytes, case folded, as one number.
fn pair(a: u8, b: u8) -> usize {
    usize::from(a.to_ascii_lowercase()) << 8 | usize::from(b.to_ascii_lowercase())
}

/// The full pattern a rule runs: its lead (consumed), then its candidate.
pub fn full_pattern(rule: &Rule) -> String {
    if rule.lead.is_empty() {
        format!("(?-u){}", rule.pattern)
    } else {
        format!("(?-u)(?:^|{})(?:{})", rule.lead, rule.pattern)
    }
}

/// A rule's pattern compiled: lean (no prefilter, no one-pass DFA, no backtracker: cheap
/// to build) or with everything that makes a long scan fast.
fn build(pattern: &str, lean: bool) -> Option<Regex> {
    let config = if lean {
        meta::Config::new()
            .auto_prefilter(false)
            .onepass(false)
            .backtrack(false)
    } else {
        meta::Config::new()
    };
    meta::Builder::new()
        .configure(config.utf8_empty(false))
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .build(pattern)
        .ok()
}

impl Compiled {
    fn regex(&self, i: usize, long: bool) -> Option<&Regex> {
        let rule = self.rules.get(i)?;
        let slot = if long {
            self.fast.get(i)?
        } else {
            self.lean.get(i)?
        };
        slot.get_or_init(|| build(&full_pattern(rule), !long))
            .as_ref()
    }

    fn lead(&self, i: usize) -> Option<&[bool; 256]> {
        let rule = self.rules.get(i)?;
        if rule.lead.is_empty() {
            return None;
        }
        Some(self.lead.get(i)?.get_or_init(|| {
            let mut set = [false; 256];
            if let Some(re) = build(&format!("(?-u)^{}$", rule.lead), true) {
                for (b, slot) in set.iter_mut().enumerate() {
                    *slot = re.is_match([b as u8].as_slice());
                }
            }
            set
        }))
    }

    /// The keywords in `s`, as a bit set: by their first two bytes in a short string,
    /// with one Aho-Corasick pass in a long one.
    fn keywords_in(&self, s: &[u8]) -> [u64; WORD_SETS] {
        let mut found = [0u64; WORD_SETS];
        let mut mark = |w: usize| {
            if let Some(slot) = found.get_mut(w / 64) {
                *slot |= 1 << (w % 64);
            }
        };
        if s.len() < LONG {
            for (i, pairs) in s.windows(2).enumerate() {
                let [a, b] = pairs else { continue };
                let Some(ids) = self.starts.get(&pair(*a, *b)) else {
                    continue;
                };
                for &w in ids {
                    let word = self.words.get(w).map_or(&b""[..], |w| w.as_bytes());
                    if s.get(i..i + word.len())
                        .is_some_and(|x| x.eq_ignore_ascii_case(word))
                    {
                        mark(w);
                    }
                }
            }
            return found;
        }
        let dfa = self.keywords_dfa.get_or_init(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(&self.words)
                .ok()
        });
        if let Some(ac) = dfa {
            for m in ac.find_overlapping_iter(s) {
                mark(m.pattern().as_usize());
            }
        }
        found
    }
}

/// What a string holds: one pass for its classes and one-byte keywords, and (only when
/// it may hold one) one Aho-Corasick pass for the longer keywords.
struct Present {
    summary: u32,
    /// Which multi-byte keywords are in it (none when `words` is false).
    found: [u64; WORD_SETS],
    words: bool,
}

fn present(s: &[u8], c: &Compiled) -> Present {
    // Short strings (keys, most values): one pass over a table. Long ones: SIMD searches
    // for the few one-byte keywords, and the classes with an early stop.
    let summary = if s.len() <= 256 {
        s.iter().fold(0u32, |m, &b| m | c.bits[usize::from(b)])
    } else {
        let mut m = 0u32;
        for (i, &b) in c.singles.iter().enumerate() {
            if memchr::memchr(b, s).is_some()
                || (b.is_ascii_lowercase() && memchr::memchr(b.to_ascii_uppercase(), s).is_some())
            {
                m |= 1 << (CLASS_BITS as usize + i).min(31);
            }
        }
        for (class, test) in [
            (UPPER, u8::is_ascii_uppercase as fn(&u8) -> bool),
            (LOWER, u8::is_ascii_lowercase),
            (DIGIT, u8::is_ascii_digit),
        ] {
            if s.iter().any(test) {
                m |= u32::from(class);
            }
        }
        m
    };
    let found = if s.len() >= c.shortest && (s.len() > 256 || c.bigrams.maybe(s)) {
        c.keywords_in(s)
    } else {
        [0u64; WORD_SETS]
    };
    Present {
        summary,
        words: found.iter().any(|&w| w != 0),
        found,
    }
}

impl Needs {
    /// Whether the rule may find something in a string that holds `p`.
    fn met(&self, p: &Present) -> bool {
        self.classes & p.summary == self.classes
            && (self.nothing
                || self.bits & p.summary != 0
                || (p.words && self.words.iter().zip(&p.found).any(|(a, b)| a & b != 0)))
    }
}

/// Runs the rules over `s`. With `all`, every hit of every rule is collected (for
/// `check --explain`); otherwise the first hit ends the scan.
pub fn scan(s: &[u8], ctx: Context, all: bool) -> Vec<Hit> {
    let mut hits = Vec::new();
    run(s, ctx, all, &mut hits);
    hits
}

/// Only the rules that judge a whole value by its key (for JSON numbers).
pub fn scan_value(s: &[u8], ctx: Context) -> Option<Hit> {
    let c = compiled();
    c.rules
        .iter()
        .filter(|r| r.scope == Scope::Value && r.context.allows(ctx))
        .find_map(|&rule| value_hit(rule, s, ctx))
}

fn value_hit(rule: &'static Rule, s: &[u8], ctx: Context) -> Option<Hit> {
    let start = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let end = s.len()
        - s.iter()
            .rev()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    let end = end.max(start);
    let cand = Cand {
        hay: s,
        start,
        end,
        ctx,
    };
    let ok = start < end && rule.validate.is_some_and(|v| v(&cand));
    ok.then_some(Hit {
        rule,
        start,
        end,
        capped: false,
    })
}

fn run(s: &[u8], ctx: Context, all: bool, hits: &mut Vec<Hit>) {
    if s.is_empty() {
        return;
    }
    let c = compiled();
    let p = present(s, c);
    let mut work: Cow<[u8]> = Cow::Borrowed(s);
    for (i, &rule) in c.rules.iter().enumerate() {
        let Some(n) = c.needs.get(i) else {
            continue;
        };
        if !n.met(&p) || !rule.context.allows(ctx) {
            continue;
        }
        if rule.scope == Scope::Value {
            if let Some(h) = value_hit(rule, s, ctx) {
                hits.push(h);
                if !all {
                    return;
                }
            }
            continue;
        }
        let hay: &[u8] = if rule.scope == Scope::Raw { s } else { &work };
        let (found, blank) = candidates(c, i, rule, hay, ctx, all, hits);
        if found && !all {
            return;
        }
        if !blank.is_empty() {
            let w = work.to_mut();
            for (a, b) in blank {
                if let Some(span) = w.get_mut(a..b) {
                    span.fill(b' ');
                }
            }
        }
    }
}

/// Runs one rule's regex over `hay`: pushes its hits, returns whether it found any and
/// the spans it rejected when the rule blanks them.
fn candidates(
    c: &Compiled,
    i: usize,
    rule: &'static Rule,
    hay: &[u8],
    ctx: Context,
    all: bool,
    hits: &mut Vec<Hit>,
) -> (bool, Vec<(usize, usize)>) {
    let mut blank = Vec::new();
    let mut found = false;
    let Some(re) = c.regex(i, hay.len() >= LONG) else {
        return (false, blank);
    };
    let lead = c.lead(i);
    let mut at = 0;
    let mut seen = 0;
    while at <= hay.len() {
        let Some(m) = re.find(Input::new(hay).range(at..)) else {
            break;
        };
        seen += 1;
        let mut start = m.start();
        if let Some(set) = lead
            && m.end() > start
            && hay.get(start).is_some_and(|&b| set[usize::from(b)])
        {
            start += 1;
        }
        let cand = Cand {
            hay,
            start,
            end: m.end(),
            ctx,
        };
        let capped = seen > CAP;
        if capped || rule.validate.is_none_or(|v| v(&cand)) {
            hits.push(Hit {
                rule,
                start,
                end: m.end(),
                capped,
            });
            found = true;
            if !all || capped {
                break;
            }
        } else if rule.blanks {
            blank.push((start, m.end()));
        }
        at = m.end().max(m.start() + 1);
    }
    (found, blank)
}

/// Compiles every rule's regex (for tests: a pattern that does not compile is a bug).
#[cfg(test)]
pub fn compile_all() -> Vec<(&'static str, String)> {
    compiled()
        .rules
        .iter()
        .filter(|r| r.scope != Scope::Value)
        .filter(|r| {
            build(&full_pattern(r), true).is_none() || build(&full_pattern(r), false).is_none()
        })
        .map(|r| (r.id, "does not compile".to_string()))
        .collect()
}
