use std::fs;
use std::os::unix::fs::PermissionsExt;

use time::OffsetDateTime;

use super::read::{self, Left};
use super::record::Record;
use super::*;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pk3s-ledger-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn record<'a>(id: &'a str, body: &'a [u8]) -> Record<'a> {
    Record {
        event_id: id,
        endpoint: "http://127.0.0.1:1/t",
        at: OffsetDateTime::UNIX_EPOCH,
        by: "flush",
        protocol: "pk3s",
        event_name: Some("a.b"),
        attempt: 1,
        status: Some(200),
        carried_to: None,
        body,
    }
}

fn ids(d: &Path, caps: LedgerCaps) -> Vec<String> {
    let all = read::all(d, caps);
    assert!(all.problems.is_empty(), "{:?}", all.problems);
    all.entries.into_iter().map(|e| e.event_id).collect()
}

#[test]
fn records_rotate_by_count_keeping_the_newest_half_at_least() {
    let d = dir("count");
    let caps = LedgerCaps {
        max_entries: 10,
        max_bytes: 1 << 20,
    };
    let mut l = Ledger::new(&d, caps);
    let names: Vec<String> = (0..23).map(|i| format!("id-{i:02}")).collect();
    for n in &names {
        l.append(&[record(n, b"{}")]).unwrap();
    }
    let kept = ids(&d, caps);
    assert!((5..=10).contains(&kept.len()), "{kept:?}");
    assert_eq!(
        kept,
        names[names.len() - kept.len()..],
        "the newest, in order"
    );
    assert_eq!(read::overview(&d, caps).recorded, kept.len() as u64);
    assert_eq!(
        read::overview(&d, caps).last.map(|e| e.event_id).as_deref(),
        Some("id-22")
    );
    for f in [LEDGER_FILE, OLDER_FILE] {
        assert_eq!(
            fs::metadata(d.join(f)).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // A batch larger than a segment rotates in its middle too.
    let batch: Vec<Record> = names.iter().map(|n| record(n, b"{}")).collect();
    l.append(&batch).unwrap();
    assert_eq!(ids(&d, caps).last().map(String::as_str), Some("id-22"));
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn records_rotate_by_size_and_a_body_too_large_is_left_out() {
    let d = dir("size");
    let caps = LedgerCaps {
        max_entries: 1_000_000,
        max_bytes: 1 << 20,
    };
    let body = vec![b'x'; 100 * 1024];
    let mut l = Ledger::new(&d, caps);
    for i in 0..30 {
        l.append(&[record(&format!("id-{i}"), &body)]).unwrap();
    }
    let size = |f| fs::metadata(d.join(f)).map_or(0, |m| m.len());
    assert!(size(LEDGER_FILE) + size(OLDER_FILE) <= 1 << 20);
    let all = read::all(&d, caps);
    assert!(all.entries.len() >= 4, "{}", all.entries.len());
    assert!(
        all.entries
            .iter()
            .all(|e| e.body.as_deref() == Some(&body[..]))
    );
    let huge = vec![b'y'; 600 * 1024];
    l.append(&[record("huge", &huge)]).unwrap();
    let last = read::all(&d, caps).entries.pop().unwrap();
    assert_eq!(
        (last.event_id.as_str(), last.body, last.bytes),
        ("huge", None, 600 * 1024)
    );
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn two_writers_holding_the_ledger_open_lose_nothing_across_rotations() {
    let d = dir("two");
    let caps = LedgerCaps {
        max_entries: 1000,
        max_bytes: 1 << 20,
    };
    let (mut a, mut b) = (Ledger::new(&d, caps), Ledger::new(&d, caps));
    let mut written = Vec::new();
    for i in 0..700 {
        let id = format!("id-{i:03}");
        let w = if i % 3 == 0 { &mut a } else { &mut b };
        w.append(&[record(&id, b"{\"k\":1}")]).unwrap();
        written.push(id);
    }
    let kept = ids(&d, caps);
    // Rotated once or twice: the newest are all there, in order, none torn.
    assert!(kept.len() >= 500, "{}", kept.len());
    assert_eq!(kept, written[written.len() - kept.len()..]);
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_damaged_tail_is_named_and_writing_goes_on_after_it() {
    let d = dir("damaged");
    let caps = LedgerCaps::default();
    let mut l = Ledger::new(&d, caps);
    l.append(&[record("one", b"{}")]).unwrap();
    // A write cut short, then garbage on a line of its own.
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(d.join(LEDGER_FILE))
        .unwrap();
    f.write_all(b"{\"event_id\":\"cut\",\"endp").unwrap();
    let mut l = Ledger::new(&d, caps);
    l.append(&[record("two", b"{}")]).unwrap();
    f.write_all(b"not json\n").unwrap();
    l.append(&[record("three", b"{}")]).unwrap();
    let all = read::all(&d, caps);
    let got: Vec<&str> = all.entries.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(got, ["one", "two", "three"]);
    assert_eq!(all.problems.len(), 1, "{:?}", all.problems);
    assert!(
        all.problems[0].contains("line 2 (not JSON"),
        "{:?}",
        all.problems
    );
    assert!(
        all.problems[0].contains("line 4 (not JSON"),
        "{:?}",
        all.problems
    );
    let o = read::overview(&d, caps);
    assert_eq!(o.last.map(|e| e.event_id).as_deref(), Some("three"));
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_lookup_knows_deliveries_by_endpoint_not_carried_payloads() {
    let d = dir("left");
    let caps = LedgerCaps::default();
    let mut carried = record("carried", b"{}");
    carried.status = None;
    carried.carried_to = Some("/tmp/x.jsonl");
    Ledger::new(&d, caps)
        .append(&[record("sent", b"{}"), carried])
        .unwrap();
    let left = Left::load(&d, caps);
    assert!(left.contains("sent", "HTTP://127.0.0.1:1/t/"));
    assert!(!left.contains("sent", "http://127.0.0.1:2/t"));
    assert!(!left.contains("carried", "http://127.0.0.1:1/t"));
    assert!(!Left::load(&d.join("none"), caps).contains("sent", "http://127.0.0.1:1/t"));
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_symlink_or_fifo_as_the_ledger_is_neither_followed_nor_waited_on() {
    let d = dir("links");
    let caps = LedgerCaps::default();
    let target = d.join("target");
    fs::write(&target, "mine\n").unwrap();
    std::os::unix::fs::symlink(&target, d.join(LEDGER_FILE)).unwrap();
    assert!(Ledger::new(&d, caps).append(&[record("x", b"{}")]).is_err());
    assert_eq!(fs::read_to_string(&target).unwrap(), "mine\n");
    let all = read::all(&d, caps);
    assert!(
        all.problems[0].contains("a symlink, not followed"),
        "{:?}",
        all.problems
    );
    fs::remove_file(d.join(LEDGER_FILE)).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(d.join(LEDGER_FILE))
        .status()
        .unwrap();
    assert!(fifo.success());
    assert!(Ledger::new(&d, caps).append(&[record("x", b"{}")]).is_err());
    assert!(read::all(&d, caps).problems[0].contains("FIFO"));
    assert!(read::overview(&d, caps).damaged);
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn workers_recording_at_once_share_writes_and_lose_nothing() {
    use super::group::Group;
    let d = dir("group");
    let caps = LedgerCaps {
        max_entries: 1_000_000,
        max_bytes: 1 << 30,
    };
    let group = Group::new(Ledger::new(&d, caps));
    std::thread::scope(|s| {
        for t in 0..8 {
            let group = &group;
            s.spawn(move || {
                for i in 0..250 {
                    let id = format!("t{t}-{i:03}");
                    group.record(&record(&id, b"{\"k\":1}")).unwrap();
                }
            });
        }
    });
    let mut kept = ids(&d, caps);
    assert_eq!(kept.len(), 2000);
    // Each thread's records in its own order.
    for t in 0..8 {
        let mine: Vec<&String> = kept
            .iter()
            .filter(|k| k.starts_with(&format!("t{t}-")))
            .collect();
        assert!(mine.windows(2).all(|w| w[0] < w[1]));
    }
    kept.sort();
    kept.dedup();
    assert_eq!(kept.len(), 2000);
    assert_eq!(read::overview(&d, caps).recorded, 2000);
    // A ledger that cannot be written fails every record, for every thread.
    fs::remove_dir_all(&d).unwrap();
    let group = Group::new(Ledger::new(&d, caps));
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| assert!(group.record(&record("x", b"{}")).is_err()));
        }
    });
}
