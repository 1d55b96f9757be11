use super::*;

/// Shared with `lean`'s tests.
pub(super) fn ctx() -> Context {
    Context {
        session_id: "s".into(),
        run_id: "r".into(),
        parent_run_id: String::new(),
        component: "core".into(),
        repository: "productive-k3s".into(),
        script: "scripts/apply.sh".into(),
        user_agent: "productive-k3s/0".into(),
        telemetry_enabled: true,
    }
}

#[test]
fn stamping_refreshes_attempt_fields_but_never_the_event_id() {
    let mut p = Payload::manifest(Map::new(), &ctx(), json!(0));
    let id = p.event_id.clone();
    // The wire types the scripts sent: strings, "" for an absent parent.
    assert_eq!(p.object["client"]["telemetry_enabled"], json!("true"));
    assert_eq!(p.object["parent_run_id"], json!(""));
    p.stamp(1, OffsetDateTime::UNIX_EPOCH);
    assert_eq!(p.object["retry_of_run_id"], json!("r"));
    p.stamp(3, OffsetDateTime::UNIX_EPOCH);
    assert_eq!(p.object["delivery_attempt"], json!(3));
    assert_eq!(p.object["retry_attempt"], json!(2));
    assert_eq!(p.object["is_retry"], json!(true));
    assert_eq!(p.object["retry_of_run_id"], json!("r"));
    assert_eq!(p.object["sent_at"], json!("1970-01-01T00:00:00.000Z"));
    assert_eq!(p.object["event_id"], json!(id));
}

#[test]
fn a_replay_brings_entries_of_earlier_versions_to_the_wire_types() {
    let old = br#"{"event_id":"e1","run_id":"r","session_id":null,"parent_run_id":null,"retry_of_run_id":null,"client":{"telemetry_enabled":true}}"#;
    let mut p = Payload::stored(Kind::Built, old.to_vec(), None, || "k".into()).unwrap();
    p.stamp(2, OffsetDateTime::UNIX_EPOCH);
    assert_eq!(p.object["session_id"], json!(""));
    assert_eq!(p.object["parent_run_id"], json!(""));
    assert_eq!(p.object["retry_of_run_id"], json!("r"));
    assert_eq!(p.object["client"]["telemetry_enabled"], json!("true"));
}

#[test]
fn stored_payloads_keep_their_key_and_refuse_what_is_not_an_object() {
    let never = || -> String { panic!("no fallback needed") };
    let built = Payload::stored(
        Kind::Built,
        br#"{"event_id":"e1","delivery_attempt":3}"#.to_vec(),
        Some("h"),
        never,
    )
    .unwrap();
    assert_eq!((built.event_id.as_str(), built.last_attempt()), ("e1", 3));
    let raw = Payload::stored(
        Kind::Raw,
        br#"{"event_id":"e1"}"#.to_vec(),
        Some("h"),
        never,
    )
    .unwrap();
    assert_eq!(
        raw.event_id, "h",
        "a raw payload keeps the key it was first sent under"
    );
    assert_eq!(raw.body(), br#"{"event_id":"e1"}"#);
    let bare = Payload::stored(Kind::Raw, b"{}".to_vec(), None, || "f".into()).unwrap();
    assert_eq!(bare.event_id, "f");
    for (bytes, why) in [
        (&b""[..], "empty"),
        (b"{\"a\":", "invalid JSON"),
        (b"[1]", "found an array"),
    ] {
        let err = Payload::stored(Kind::Built, bytes.to_vec(), None, || "f".into()).unwrap_err();
        assert!(err.contains(why), "{err}");
    }
}

/// `n` instants anywhere in years 0..=9999, any nanosecond (a fixed xorshift sequence), for
/// the tests of what is written by hand against time's formatter.
pub(crate) fn instants(n: usize) -> Vec<OffsetDateTime> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..n)
        .map(|_| {
            let x = crate::json::xorshift(&mut x);
            let secs = (x % 315_537_897_600) as i64 - 62_167_219_200;
            OffsetDateTime::from_unix_timestamp(secs).unwrap()
                + time::Duration::nanoseconds((x >> 34) as i64 % 1_000_000_000)
        })
        .collect()
}

#[test]
fn timestamps_are_written_as_the_format_description_writes_them() {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    for t in instants(2_000) {
        assert_eq!(timestamp(t), t.format(&fmt).unwrap(), "{t}");
    }
    // Years before 0, as the description writes them ("-0044").
    for secs in [-62_167_219_201, -63_555_980_400, -377_705_116_800] {
        let t = OffsetDateTime::from_unix_timestamp(secs).unwrap();
        assert_eq!(timestamp(t), t.format(&fmt).unwrap(), "{t}");
    }
    let offset = time::UtcOffset::from_hms(5, 30, 0).unwrap();
    let t = OffsetDateTime::UNIX_EPOCH.to_offset(offset);
    assert_eq!(timestamp(t), "1970-01-01T00:00:00.000Z");
}

#[test]
fn derived_keys_are_stable_uuids() {
    let k = derived_key("legacy:bootstrap-run-1");
    assert_eq!(k, derived_key("legacy:bootstrap-run-1"));
    assert_ne!(k, derived_key("legacy:event-run-1"));
    let u = uuid::Uuid::parse_str(&k).unwrap();
    assert_eq!(u.get_version_num(), 8);
    assert_eq!(u.get_variant(), uuid::Variant::RFC4122);
}

#[test]
fn raw_events_keep_a_usable_event_id_as_key() {
    let obj = |id: Value| {
        let mut m = Map::new();
        m.insert("event_id".into(), id);
        m
    };
    assert_eq!(Payload::raw(vec![], obj(json!("abc-1"))).event_id, "abc-1");
    assert_ne!(Payload::raw(vec![], obj(json!("a b"))).event_id, "a b");
    assert_eq!(Payload::raw(vec![], obj(json!(7))).event_id.len(), 36);
}
