use super::*;

#[test]
fn containers_are_counted_outside_strings_and_bounded() {
    assert!(!containers_over(br#"{"a":[1,{"b":"[[[{{{"}]}"#, 3));
    assert!(containers_over(br#"{"a":[1,{"b":"x"},[]]}"#, 3));
    // An escaped quote does not end a string; an unterminated one ends the count.
    assert!(!containers_over(br#"{"a":"\"[[[[\""}"#, 1));
    assert!(!containers_over(br#"{"a":"[[[[[["#, 1));
    let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    assert!(containers_over(deep.as_bytes(), MAX_CONTAINERS));
    let err = parse(deep.as_bytes()).unwrap_err();
    assert!(err.contains("more than 100000 objects and arrays"), "{err}");
    assert!(parse(b"{\"a\":[1,2]}").is_ok());
}

fn dup(s: &str) -> Option<(usize, String)> {
    duplicate_key(s.as_bytes()).map(|d| (d.document, d.path))
}

#[test]
fn repeated_keys_are_found_at_any_depth() {
    assert_eq!(dup(r#"{"a":1,"b":2}"#), None);
    assert_eq!(dup(r#"{"a":1,"a":2}"#), Some((0, "$.a".into())));
    assert_eq!(
        dup(r#"{"a":{"b":[1,{"c":"x","c":"y"}]}}"#),
        Some((0, "$.a.b[1].c".into()))
    );
    assert_eq!(dup(r#"{"a":1,"\u0061":2}"#), Some((0, "$.a".into())));
    assert_eq!(
        dup(r#"{"x":"a\"b","my host":1,"my host":2}"#),
        Some((0, "$[key 3]".into()))
    );
    // The same key in sibling objects is fine.
    assert_eq!(dup(r#"[{"a":1},{"a":2}]"#), None);
    assert_eq!(dup(r#"{"a":[{"k":1},{"k":2}],"b":{"a":1}}"#), None);
    // JSON Lines: the document is counted.
    assert_eq!(
        dup("{\"a\":1}\n12 true \"s\"\n{\"z\":{\"q\":1,\"q\":1}}"),
        Some((4, "$.z.q".into()))
    );
}

#[test]
fn any_bytes_end_without_a_panic() {
    let base = br#"{"a":[1,{"b":"c\"d","b":2}],"e":{"f":null}}"#;
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..20_000 {
        let mut b = base.to_vec();
        for _ in 0..4 {
            xorshift(&mut x);
            let i = (x as usize) % (b.len() + 1);
            match x % 3 {
                0 => b.insert(i, (x >> 32) as u8),
                1 if i < b.len() => {
                    b.remove(i);
                }
                _ => b.truncate(i),
            }
        }
        let _ = duplicate_key(&b);
    }
}

#[test]
fn plain_runs_end_at_the_first_quote_backslash_or_control_byte() {
    let naive = |b: &[u8]| {
        b.iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
            .unwrap_or(b.len())
    };
    // Every byte value at every place of a run longer than one word, after bytes that
    // would make a careless bit trick borrow (0x00-0x02, 0x21-0x23, 0x5b-0x5d, 0x80-0xff).
    let around = [
        0x00, 0x01, 0x02, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7f, 0x80, 0xff,
    ];
    for len in [0, 1, 7, 8, 9, 15, 16, 17, 24] {
        for at in 0..len {
            for v in 0..=255u8 {
                for &before in &around {
                    let mut b = vec![b'a'; len];
                    if at > 0 {
                        b[at - 1] = before;
                    }
                    b[at] = v;
                    assert_eq!(plain_len(&b), naive(&b), "{b:?}");
                    let at_v = b.iter().position(|&c| c == v);
                    assert_eq!(find_byte(&b, v), at_v, "{v} in {b:?}");
                }
            }
        }
    }
}
