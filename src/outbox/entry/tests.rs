use super::*;

#[test]
fn names_are_classified() {
    assert_eq!(
        classify("20261121T234743.123456789Z-abc.json"),
        Name::Entry("20261121T234743.123456789Z-abc")
    );
    assert!(matches!(
        classify("20261121T234743.123456789Z-abc.history"),
        Name::History(_)
    ));
    assert_eq!(
        classify("bootstrap-run-1-attempt-12.json"),
        Name::Legacy("bootstrap", "run-1", 12, true)
    );
    assert_eq!(
        classify("event-r-attempt-1.status"),
        Name::Legacy("event", "r", 1, false)
    );
    assert_eq!(classify(".tmp-1-x-y.json"), Name::Temp);
    assert_eq!(classify(".nfs0001"), Name::Hidden);
    assert_eq!(classify(LOCK_FILE), Name::Hidden);
    for foreign in [
        "notes.txt",
        "random.json",
        "2026-abc.json",
        "event--attempt-1.json",
        "bootstrap-x-attempt-.json",
        "bootstrap-x-attempt-+1.json",
        "20261121T234743.123456789Z-.json",
    ] {
        assert_eq!(classify(foreign), Name::Foreign, "{foreign}");
    }
}

#[test]
fn stems_carry_a_stamp_that_sorts_and_parses_back() {
    let t = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
    let stem = entry_stem(None, t, "a b/c");
    assert_eq!(stem, "20231114T221320.123456789Z-abc");
    assert_eq!(stamp_of(&stem), Some(t));
    assert_eq!(id_of(&stem), Some("abc"));
    let later = entry_stem(None, t + Duration::from_secs(1), "0");
    assert!(later > stem);
    // With a place in the write order: it sorts by that, after every stem without one,
    // whatever its stamp says.
    let first = entry_stem(Some(41), t + Duration::from_secs(86_400 * 365), "b");
    let second = entry_stem(Some(42), OffsetDateTime::UNIX_EPOCH, "a");
    assert_eq!(first, "s0000000000000029-20241113T221320.123456789Z-b");
    assert!(stem < first && first < second);
    assert_eq!((seq_of(&first), seq_of(&stem)), (Some(41), None));
    assert_eq!(stamp_of(&second), Some(OffsetDateTime::UNIX_EPOCH));
    assert_eq!(id_of(&second), Some("a"));
    assert_eq!(classify(&format!("{second}.json")), Name::Entry(&second));
    for odd in [
        "sZZ00000000000029-20241113T221320.123456789Z-b",
        "s29-20241113T221320.123456789Z-b",
    ] {
        assert_eq!(seq_of(odd), None, "{odd}");
    }
    // Written by hand, as time's formatter writes the format.
    for t in crate::payload::tests::instants(2_000) {
        let by_time = t.format(stamp_format()).unwrap();
        assert_eq!(entry_stem(None, t, "x"), format!("{by_time}-x"));
    }
    // Read by hand, as time's parser reads the format the stems are written in.
    for stamp in [
        "20231114T221320.123456789Z",
        "20240229T235959.999999999Z",
        "00000101T000000.000000000Z",
        "20230229T000000.000000000Z",
        "20231314T221320.123456789Z",
        "20231114T241320.123456789Z",
        "20231114T226020.123456789Z",
        "20231114T221360.123456789Z",
        "2023111AT221320.123456789Z",
        "20231114 221320.123456789Z",
        "20231114T221320,123456789Z",
        "20231114T221320.12345678+Z",
        "20231114T221320.123456789z",
        "+2023114T221320.123456789Z",
    ] {
        let by_time = PrimitiveDateTime::parse(stamp, stamp_format())
            .ok()
            .map(PrimitiveDateTime::assume_utc);
        assert_eq!(stamp_of(&format!("{stamp}-x")), by_time, "{stamp}");
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pk3s-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    private_dir(&dir).unwrap();
    dir
}

#[test]
fn a_claim_through_a_stale_handle_is_refused() {
    let dir = scratch("claim");
    let path = dir.join("e.json");
    fs::write(&path, "{}").unwrap();

    // Opened by a slow claimer, then delivered and deleted by a quicker one...
    let stale = File::open(&path).unwrap();
    let Claim::Held(first) = claim(&path, None).unwrap() else {
        panic!("free")
    };
    assert!(matches!(claim(&path, None).unwrap(), Claim::Busy));
    remove(&path).unwrap();
    drop(first);
    // ...the slow one gets the lock, but on a file that is no longer the entry.
    assert!(matches!(locked(stale, &path, None).unwrap(), Claim::Gone));
    // The same when a new file has taken the name in between, or it was moved away,
    // even when the claimer trusts a settled outbox (the move changed the file).
    let now = SystemTime::now;
    fs::write(&path, "{}").unwrap();
    let stale = File::open(&path).unwrap();
    remove(&path).unwrap();
    fs::write(&path, "{}").unwrap();
    assert!(matches!(locked(stale, &path, None).unwrap(), Claim::Gone));
    let stale = File::open(&path).unwrap();
    fs::rename(&path, dir.join("moved")).unwrap();
    fs::write(&path, "{}").unwrap();
    let later = now() + SETTLED_MARGIN * 2;
    assert!(matches!(
        locked(stale, &path, Some(now())).unwrap(),
        Claim::Gone
    ));
    // Settled long before the claim: the name is not looked at again.
    let settled = File::open(dir.join("moved")).unwrap();
    assert!(matches!(
        locked(settled, &path, Some(later)).unwrap(),
        Claim::Held(_)
    ));
    assert!(matches!(claim(&path, None).unwrap(), Claim::Held(_)));
    assert!(matches!(
        claim(&dir.join("none.json"), None).unwrap(),
        Claim::Gone
    ));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn symlinks_fifos_and_large_files_are_not_read() {
    let dir = scratch("regular");
    let target = dir.join("target");
    fs::write(&target, "{}").unwrap();
    std::os::unix::fs::symlink(&target, dir.join("link")).unwrap();
    let e = read_bounded(&dir.join("link"), 10).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
    assert!(claim(&dir.join("link"), None).is_err());
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        // Would hang for ever on a blocking open.
        let e = read_bounded(&fifo, 10).unwrap_err();
        assert_eq!(e.to_string(), "a FIFO, not a regular file");
    }
    fs::write(dir.join("big"), vec![b'x'; 100]).unwrap();
    assert_eq!(read_bounded(&dir.join("big"), 10).unwrap().len(), 11);
    assert_eq!(read_small_text(&dir.join("big"), 10), None);
    // A symlinked side directory is refused, not followed.
    std::os::unix::fs::symlink(&dir, dir.join("rejected")).unwrap();
    assert!(private_dir(&dir.join("rejected")).is_err());
    fs::remove_dir_all(&dir).unwrap();
}
