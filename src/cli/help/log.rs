//! The long help of `log`.

use super::Page;

pub const LOG: Page = Page {
    name: "pk3s-telemetry-log",
    reads: super::on::LOG,
    examples: &[
        ("What left, newest first", "pk3s-telemetry log"),
        (
            "What left in the last day, for a script, each with its exact body",
            "pk3s-telemetry log --since 24h --format json",
        ),
        (
            "The exact body of one payload that left, byte for byte",
            "pk3s-telemetry log --show 0b6c5a43-7f64-4c3e-9d55-2f1b1c7c0e11",
        ),
    ],
    exits: &[
        (
            "0",
            "shown (also when nothing has left; a damaged part of the ledger is named on standard error)",
        ),
        (
            "2",
            "a bad flag, or --show names an event id that did not leave (or whose body was too large to keep)",
        ),
    ],
};
