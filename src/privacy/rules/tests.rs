//! Every rule's own examples, run as tests (prefilter included), and the table's hygiene:
//! patterns compile, ids are unique, the generated documentation is fresh.

use std::collections::HashSet;

use super::super::context::of_key;
use super::super::{Guard, Mode, docs, engine};
use super::all;

fn ctx(key: &str) -> super::super::context::Context {
    if key.is_empty() {
        super::super::context::Context::Free
    } else {
        of_key(key)
    }
}

#[test]
fn every_pattern_compiles() {
    assert_eq!(engine::compile_all(), Vec::<(&str, String)>::new());
}

#[test]
fn ids_are_unique_and_every_rule_has_examples_and_words() {
    let mut ids = HashSet::new();
    for r in all() {
        assert!(ids.insert(r.id), "duplicate rule id {}", r.id);
        assert!(!r.about.is_empty(), "{} says nothing about itself", r.id);
        assert!(!r.catches.is_empty(), "{} has nothing it must catch", r.id);
        assert!(!r.keeps.is_empty(), "{} has nothing it must keep", r.id);
        assert!(
            r.keywords
                .iter()
                .all(|k| k.bytes().all(|b| !b.is_ascii_uppercase())),
            "{}: keywords are written in lower case",
            r.id
        );
        assert!(r.pattern.is_ascii(), "{}: ASCII patterns only", r.id);
    }
}

#[test]
fn each_rule_catches_its_examples_itself() {
    let mut wrong = Vec::new();
    for r in all() {
        for (key, s) in r.catches {
            let fired = engine::scan(s.as_bytes(), ctx(key), true)
                .iter()
                .any(|h| h.rule.id == r.id);
            let guarded = Guard::new(None)
                .classify(s, (!key.is_empty()).then_some(*key), Mode::Redact)
                .is_some();
            if !fired || !guarded {
                wrong.push(format!("{} does not catch {s:?} under {key:?}", r.id));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn each_rule_keeps_its_examples_and_so_does_the_whole_guard() {
    let mut wrong = Vec::new();
    for r in all() {
        for (key, s) in r.keeps {
            let got = Guard::new(None).classify(s, (!key.is_empty()).then_some(*key), Mode::Redact);
            if got.is_some() {
                let by: Vec<&str> = engine::scan(s.as_bytes(), ctx(key), true)
                    .iter()
                    .map(|h| h.rule.id)
                    .collect();
                wrong.push(format!(
                    "{}: {s:?} under {key:?} is damaged ({got:?} by {by:?})",
                    r.id
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_documented_rule_list_is_generated_from_the_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/privacy.md");
    let page = std::fs::read_to_string(path).expect("docs/privacy.md");
    let fresh = docs::refreshed(&page).expect("docs/privacy.md has the rule list's markers");
    assert!(
        fresh == page,
        "docs/privacy.md's rule list is stale: run `make generate`"
    );
    for r in all() {
        assert!(
            page.contains(&format!("`{}`", r.id)),
            "{} is not documented",
            r.id
        );
    }
    for kind in super::super::Kind::ALL {
        assert!(
            page.contains(&format!("`{}`", kind.as_str())),
            "docs/privacy.md lacks `{}`",
            kind.as_str()
        );
    }
}
