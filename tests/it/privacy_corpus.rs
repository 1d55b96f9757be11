//! The labelled corpus (`tests/privacy-corpus/`, see its README): real outputs of the
//! upstream scripts' writers and look-alike payloads of other systems, each clean on its
//! own; planted with identifiers of labelled kinds and with look-alikes of every kind of
//! ordinary data. All of it goes through one `check --format json` run, and the guard must
//! catch ≥ 99% of the contract's kinds and ≥ 97% of all kinds, and damage ≤ 1% of the
//! clean payloads. `make privacy` (and `cargo test --test it corpus -- --nocapture`)
//! prints the figures.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::Sandbox;

const TOKEN: &str = "pk3s-tok-7Qf2mX9LwZ";

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/privacy-corpus")
}

/// Every document of the `.jsonl` and `.json` files in `dir`, with its file's name.
fn documents(dir: &str) -> Vec<(String, Value)> {
    let mut files: Vec<PathBuf> = fs::read_dir(corpus().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let text = fs::read_to_string(&f).unwrap();
        for v in serde_json::Deserializer::from_str(&text).into_iter::<Value>() {
            out.push((name.clone(), v.unwrap()));
        }
    }
    out
}

/// The objects of a document, as JSON pointers, in document order.
fn objects(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            out.push(at.clone());
            for (k, x) in m {
                objects(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                objects(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn value(raw: &str) -> Value {
    match raw.strip_prefix("@obj:") {
        Some(j) => serde_json::from_str(j).unwrap(),
        None => Value::String(raw.into()),
    }
}

/// `doc` with `key: value` planted: `@top.K` and `@client.K` set the contract's own
/// fields (only in events and envelopes); any other key goes into one of the
/// document's objects, chosen by `n`. `None` when the document cannot take it.
fn plant(doc: &Value, key: &str, raw: &str, n: usize) -> Option<Value> {
    let mut d = doc.clone();
    if let Some(field) = key.strip_prefix("@top.") {
        // An event or envelope: the contract's fields are its own.
        d.get("event_name")?;
        d[field] = value(raw);
        return Some(d);
    }
    if let Some(field) = key.strip_prefix("@client.") {
        d.get("client")?.get(field)?;
        d["client"][field] = value(raw);
        return Some(d);
    }
    let mut at = Vec::new();
    objects(&d, String::new(), &mut at);
    let pointer = at.get(n % at.len().max(1))?.clone();
    d.pointer_mut(&pointer)?
        .as_object_mut()?
        .insert(key.to_string(), value(raw));
    Some(d)
}

#[test]
fn corpus_meets_the_catch_and_damage_goals() {
    let labels: Value =
        serde_json::from_str(&fs::read_to_string(corpus().join("labels.json")).unwrap()).unwrap();
    let upstream: Vec<(String, Value)> = documents("upstream")
        .into_iter()
        .filter(|(f, _)| !f.starts_with("core-private-contexts"))
        .collect();
    let private: Vec<(String, Value)> = documents("upstream")
        .into_iter()
        .filter(|(f, _)| f.starts_with("core-private-contexts"))
        .collect();
    let bases: Vec<(String, Value)> = upstream
        .iter()
        .cloned()
        .chain(documents("other-systems"))
        .collect();

    // (document, label): Some((kind, contract)) planted, None clean.
    let mut docs: Vec<Value> = Vec::new();
    let mut labelled: Vec<Option<(String, bool)>> = Vec::new();
    let mut origin: Vec<String> = Vec::new();
    for (name, b) in &bases {
        docs.push(b.clone());
        labelled.push(None);
        origin.push(format!("{name} as it is"));
    }
    for (name, p) in &private {
        docs.push(p.clone());
        labelled.push(Some(("private-context".into(), true)));
        origin.push(name.clone());
    }
    for (i, p) in labels["plants"].as_array().unwrap().iter().enumerate() {
        let (kind, key, raw) = (
            p["kind"].as_str().unwrap(),
            p["key"].as_str().unwrap(),
            p["value"].as_str().unwrap(),
        );
        // Each planted identifier goes into two different documents that can take it.
        let mut placed = 0;
        for j in 0..bases.len() {
            let (name, base) = &bases[(i * 5 + j * 7) % bases.len()];
            if let Some(d) = plant(base, key, raw, i + j) {
                docs.push(d);
                labelled.push(Some((kind.to_string(), p["contract"].as_bool().unwrap())));
                origin.push(format!("{name} + {key}"));
                placed += 1;
                if placed == 2 {
                    break;
                }
            }
        }
        assert_eq!(placed, 2, "nowhere to plant {p}");
    }
    for (i, c) in labels["clean"].as_array().unwrap().iter().enumerate() {
        let (key, raw) = (c["key"].as_str().unwrap(), c["value"].as_str().unwrap());
        let (name, base) = &bases[(i * 3) % bases.len()];
        docs.push(plant(base, key, raw, i).unwrap());
        labelled.push(None);
        origin.push(format!("{name} + {key}"));
    }

    let mut s = Sandbox::new();
    s.set("TELEMETRY_BEARER_TOKEN", TOKEN)
        .set("USER", "corpus-runner");
    let lines: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
    s.write("corpus.jsonl", &(lines.join("\n") + "\n"));
    let run = s.run(&["check", "--format", "json", "--explain", "corpus.jsonl"]);
    assert!(run.code == 0 || run.code == 1, "{run:#?}");
    let report: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    let mut flagged: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        flagged
            .entry(f["document"].as_u64().unwrap())
            .or_default()
            .push(format!("{} {} {}", f["path"], f["rule"], f["masked"]));
    }
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN));

    let mut per_kind: BTreeMap<&str, (bool, usize, usize)> = BTreeMap::new();
    let (mut clean, mut damaged, mut upstream_damaged) = (0, 0, 0);
    let mut notes = Vec::new();
    for (i, label) in labelled.iter().enumerate() {
        let hit = flagged.get(&(i as u64 + 1));
        match label {
            Some((kind, contract)) => {
                let e = per_kind.entry(kind).or_insert((*contract, 0, 0));
                e.1 += 1;
                if hit.is_some() {
                    e.2 += 1;
                } else {
                    notes.push(format!("  missed {kind}: {} {}", origin[i], docs[i]));
                }
            }
            None => {
                clean += 1;
                if let Some(h) = hit {
                    damaged += 1;
                    if i < bases.len() {
                        upstream_damaged += 1;
                    }
                    notes.push(format!("  damaged: {} {h:?}", origin[i]));
                }
            }
        }
    }
    let (mut all, mut all_hit, mut con, mut con_hit) = (0, 0, 0, 0);
    println!("kind                  contract  caught");
    for (kind, (contract, n, hit)) in &per_kind {
        println!(
            "{kind:<22}{:<10}{hit}/{n}",
            if *contract { "yes" } else { "no" }
        );
        all += n;
        all_hit += hit;
        if *contract {
            con += n;
            con_hit += hit;
        }
    }
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    println!(
        "corpus: {} payloads ({} real upstream outputs and other systems' look-alikes, {} with planted identifiers of {} kinds, {clean} clean)",
        docs.len(),
        bases.len(),
        all,
        per_kind.len()
    );
    println!(
        "caught, all kinds:      {:.1}% ({all_hit}/{all})",
        pct(all_hit, all)
    );
    println!(
        "caught, contract kinds: {:.1}% ({con_hit}/{con})",
        pct(con_hit, con)
    );
    println!(
        "clean payloads damaged: {:.1}% ({damaged}/{clean})",
        pct(damaged, clean)
    );
    for n in &notes {
        println!("{n}");
    }
    assert_eq!(
        upstream_damaged, 0,
        "a real upstream output or look-alike is damaged as it is"
    );
    assert!(pct(con_hit, con) >= 99.0, "contract kinds caught below 99%");
    assert!(pct(all_hit, all) >= 97.0, "all kinds caught below 97%");
    assert!(
        pct(damaged, clean) <= 1.0,
        "more than 1% of clean payloads damaged"
    );
}
