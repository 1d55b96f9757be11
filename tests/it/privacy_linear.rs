//! The guard is linear in its input whatever the input holds: for each hard shape, `check`
//! on 4 MiB must take well under 16 times (quadratic) what it takes on 1 MiB. A ratio
//! measured in the same run, the best of a few, never an absolute time. `make privacy`
//! prints the same shapes' figures against parsing alone.

use crate::harness::Sandbox;

/// A deterministic byte stream (xorshift), so a failure can be reproduced.
struct Bytes(u64);

impl Bytes {
    fn pick(&mut self, alphabet: &[u8]) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        alphabet[(self.0 % alphabet.len() as u64) as usize]
    }

    fn string(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| self.pick(alphabet) as char).collect()
    }
}

const HEX: &[u8] = b"0123456789abcdef";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// Every byte a rule keys on, so every rule runs.
const TRIGGERS: &[u8] = b"ab1.:/@-_ %=~[]\\9fK";

/// One JSON document of about `n` bytes in the given shape.
pub fn shape(name: &str, n: usize) -> String {
    let mut r = Bytes(0x9e37_79b9_7f4a_7c15);
    let one = |s: String| serde_json::json!({ "blob": s }).to_string();
    match name {
        "hex" => one(r.string(HEX, n)),
        "alphanumeric" => one(r.string(ALNUM, n)),
        "one-letter" => one("a".repeat(n)),
        "percent-41" => one("%41".repeat(n / 3)),
        "digits" => one(r.string(b"0123456789", n)),
        "base64" => one(r.string(B64, n)),
        "every-trigger" => one(r.string(TRIGGERS, n)),
        "public-look-alikes" => one("127.0.0.1 https://get.k3s.io/x v1.2.3.4 ".repeat(n / 40)),
        "long-key" => serde_json::json!({ r.string(ALNUM, n): 1 }).to_string(),
        "deep-nesting" => {
            let unit = format!("{}\"x\"{}", "[".repeat(120), "]".repeat(120));
            let units = vec![unit; n / 243];
            format!("[{}]", units.join(","))
        }
        "many-keys" => {
            let keys: Vec<String> = (0..n / 12).map(|i| format!("\"k{i:07}\":1")).collect();
            format!("{{{}}}", keys.join(","))
        }
        "many-items" => {
            let items: Vec<String> = (0..n / 11).map(|i| format!("\"i{i:07}\"")).collect();
            format!("[{}]", items.join(","))
        }
        other => panic!("no shape {other}"),
    }
}

pub const SHAPES: &[&str] = &[
    "hex",
    "alphanumeric",
    "one-letter",
    "percent-41",
    "digits",
    "base64",
    "every-trigger",
    "public-look-alikes",
    "long-key",
    "deep-nesting",
    "many-keys",
    "many-items",
];

#[test]
fn the_guard_is_linear_on_every_hard_shape() {
    let s = Sandbox::new();
    let best = |file: &str| {
        (0..3)
            .map(|_| {
                let run = s.run(&["check", file]);
                // Past json::MAX_CONTAINERS (deep nesting) a document is refused before it
                // is parsed: at once, and in words.
                let refused = run.code == 2 && run.stderr.contains("objects and arrays");
                assert!(
                    run.code == 0 || run.code == 1 || refused,
                    "{file}: {}",
                    run.stderr
                );
                run.elapsed.as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    let mut report = Vec::new();
    for name in SHAPES {
        s.write("small.json", &shape(name, 1 << 20));
        s.write("large.json", &shape(name, 4 << 20));
        let small = best("small.json");
        let large = best("large.json");
        let ratio = large / small.max(0.001);
        report.push(format!(
            "{name:<20} 1 MiB {small:.3} s, 4 MiB {large:.3} s, ratio {ratio:.1}"
        ));
        // Linear is 4 (less with start-up in both); quadratic would be 16. The margin is
        // for a busy machine (2 shared cores), the best of three runs for its noise.
        assert!(
            ratio < 10.0,
            "{name}: 4x the input took {ratio:.1}x the time\n{}",
            report.join("\n")
        );
    }
    println!("{}", report.join("\n"));
}
