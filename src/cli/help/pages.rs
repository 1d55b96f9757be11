//! The pages: each command's examples and exit statuses, and which commands it covers.

use super::Page;
use super::on;

const SEND_EXITS: &[(&str, &str)] = &[
    (
        "0",
        "delivered; or telemetry is off, or the endpoint is empty (nothing to do); or a dry run",
    ),
    (
        "1",
        "not delivered: kept in the outbox for a later flush, or rejected by the receiver",
    ),
    (
        "2",
        "bad input or usage: a missing, unreadable or non-JSON-object file, a bad flag or setting",
    ),
];

pub const TOP: Page = Page {
    name: "pk3s-telemetry",
    reads: on::ALL,
    examples: &[
        (
            "Decide consent and this run's ids at the top of a shell layer",
            "eval \"$(pk3s-telemetry resolve --component infra)\"",
        ),
        (
            "Send the run manifest when the run ends",
            "pk3s-telemetry send manifest runs/manifest.json",
        ),
        (
            "See where things stand: consent, endpoint, outbox",
            "pk3s-telemetry status",
        ),
    ],
    exits: &[
        (
            "0",
            "done: delivered, nothing to do (telemetry off), or a dry run",
        ),
        (
            "1",
            "not delivered (kept for a later flush, or rejected); check found identifiers",
        ),
        ("2", "bad input or usage, named on standard error"),
        (
            "126, 127",
            "env -- COMMAND: the command cannot run, or was not found",
        ),
    ],
};

pub const SEND: Page = Page {
    name: "pk3s-telemetry-send",
    reads: on::SEND,
    examples: &[
        (
            "Send the run manifest when the run ends",
            "pk3s-telemetry send manifest runs/manifest.json",
        ),
        (
            "Send a lifecycle event",
            "pk3s-telemetry send event --name core.apply.completed --result success",
        ),
    ],
    exits: SEND_EXITS,
};

pub const SEND_MANIFEST: Page = Page {
    name: "pk3s-telemetry-send-manifest",
    reads: on::MANIFEST,
    examples: &[
        (
            "Send the run manifest, with the run's own exit code",
            "pk3s-telemetry send manifest runs/manifest.json --exit-code \"$rc\"",
        ),
        (
            "Print the exact request (token masked), send nothing",
            "pk3s-telemetry send manifest runs/manifest.json --dry-run",
        ),
        (
            "Read the manifest from standard input",
            "generate-manifest | pk3s-telemetry send manifest -",
        ),
    ],
    exits: SEND_EXITS,
};

pub const SEND_EVENT: Page = Page {
    name: "pk3s-telemetry-send-event",
    reads: on::EVENT,
    examples: &[
        (
            "Build and send the standard lifecycle event",
            "pk3s-telemetry send event --name core.apply.completed --command apply --result success",
        ),
        (
            "Add fields to the event's command block",
            "pk3s-telemetry send event --name infra.up.completed --field mode=single-node",
        ),
        (
            "Send a ready-made event file as it is",
            "pk3s-telemetry send event event.json",
        ),
    ],
    exits: SEND_EXITS,
};

pub const RESOLVE: Page = Page {
    name: "pk3s-telemetry-resolve",
    reads: on::RESOLVE,
    examples: &[
        (
            "At the top of a shell layer: decide once, export for everything below",
            "eval \"$(pk3s-telemetry resolve --component infra)\"",
        ),
        (
            "The CLI layer passes the user's --telemetry choice down the chain",
            "eval \"$(pk3s-telemetry resolve --component cli --telemetry disable)\"",
        ),
        (
            "See each setting's value and where it came from",
            "pk3s-telemetry resolve --format json",
        ),
    ],
    exits: &[
        ("0", "decided and printed (also when the answer is off)"),
        ("2", "a bad flag"),
    ],
};

pub const ENV: Page = Page {
    name: "pk3s-telemetry-env",
    reads: on::ENV,
    examples: &[
        (
            "Run the next layer as this run's child",
            "pk3s-telemetry env -- ./scripts/apply.sh --mode single-node",
        ),
        (
            "Export the child's context into this shell instead",
            "eval \"$(pk3s-telemetry env)\"",
        ),
    ],
    exits: &[
        ("0", "printed the context"),
        ("2", "a bad flag (or a COMMAND without -- before it)"),
        ("N", "with -- COMMAND: the command's own status"),
        ("126, 127", "the command cannot run, or was not found"),
    ],
};

pub const FLUSH: Page = Page {
    name: "pk3s-telemetry-flush",
    reads: on::FLUSH,
    examples: &[
        (
            "Replay what earlier runs could not deliver, each to the endpoint it was written for",
            "pk3s-telemetry flush",
        ),
        (
            "The receiver moved: send every entry to the new one",
            "pk3s-telemetry flush --reroute https://new.example/telemetry",
        ),
        (
            "A host that cannot reach the receiver: move what waits into a file, then run flush --from FILE where it can",
            "pk3s-telemetry flush --to /media/usb/outbox.jsonl",
        ),
    ],
    exits: &[
        (
            "0",
            "everything delivered, nothing to do, telemetry off, or a dry run; --to: every pending entry moved (or none pending)",
        ),
        (
            "1",
            "some entries are still kept (failed, written for another endpoint, waiting for a token) or were rejected; --to: some held by another process, named and left; --from: some kept in this outbox, or damaged lines of the file skipped (named)",
        ),
        (
            "2",
            "a bad flag or setting; --to: FILE exists or cannot be written; --from: FILE cannot be read or is not a bundle",
        ),
    ],
};

pub const CHECK: Page = Page {
    name: "pk3s-telemetry-check",
    reads: on::CHECK,
    examples: &[
        (
            "Check the artifacts of a test run",
            "pk3s-telemetry check runs/manifest.json runs/events.jsonl",
        ),
        (
            "Check what another tool prints",
            "generate-manifest | pk3s-telemetry check -",
        ),
        (
            "See which rule fired and why, with the identifiers masked",
            "pk3s-telemetry check --explain runs/manifest.json",
        ),
    ],
    exits: &[
        ("0", "no identifiers found"),
        (
            "1",
            "identifiers found: each JSON path is named on standard error",
        ),
        ("2", "a missing or unreadable file, or not JSON"),
    ],
};

const CHOICE_EXITS: &[(&str, &str)] = &[
    ("0", "saved"),
    (
        "1",
        "the file could not be written (named on standard error)",
    ),
    (
        "2",
        "a bad flag, or no place for this user's choice (HOME unset)",
    ),
];

pub const ENABLE: Page = Page {
    name: "pk3s-telemetry-enable",
    reads: on::ENABLE,
    examples: &[
        (
            "Say yes once, for every run of this user",
            "pk3s-telemetry enable",
        ),
        (
            "Say yes for every user of this machine",
            "sudo pk3s-telemetry enable --system",
        ),
    ],
    exits: CHOICE_EXITS,
};

pub const DISABLE: Page = Page {
    name: "pk3s-telemetry-disable",
    reads: on::DISABLE,
    examples: &[
        (
            "Say no once, for every run of this user",
            "pk3s-telemetry disable",
        ),
        (
            "Say no, and discard what waits in the outbox",
            "pk3s-telemetry disable --purge",
        ),
        (
            "Say no for every user of this machine",
            "sudo pk3s-telemetry disable --system",
        ),
    ],
    exits: &[
        ("0", "saved (and with --purge, the outbox emptied)"),
        (
            "1",
            "the file could not be written; or with --purge, saved but some entries were left (named on standard error)",
        ),
        (
            "2",
            "a bad flag, or no place for this user's choice (HOME unset)",
        ),
    ],
};

pub const STATUS: Page = Page {
    name: "pk3s-telemetry-status",
    reads: on::STATUS,
    examples: &[
        ("Where things stand, for eyes", "pk3s-telemetry status"),
        (
            "The same for a script: how many payloads wait",
            "pk3s-telemetry status --format json | jq .outbox.pending",
        ),
    ],
    exits: &[("0", "shown (whatever it shows)"), ("2", "a bad flag")],
};

pub const COMPLETION: Page = Page {
    name: "pk3s-telemetry-completion",
    reads: on::COMPLETION,
    examples: &[
        (
            "Complete in this bash session",
            "source <(pk3s-telemetry completion bash)",
        ),
        (
            "Install it for zsh (any directory on $fpath)",
            "pk3s-telemetry completion zsh > ~/.zfunc/_pk3s-telemetry",
        ),
        (
            "Install it for fish",
            "pk3s-telemetry completion fish > ~/.config/fish/completions/pk3s-telemetry.fish",
        ),
    ],
    exits: &[("0", "printed"), ("2", "an unknown shell, or a bad flag")],
};

/// Every page but the top one, for the man pages.
pub const PAGES: &[&Page] = &[
    &SEND,
    &SEND_MANIFEST,
    &SEND_EVENT,
    &RESOLVE,
    &ENV,
    &FLUSH,
    &CHECK,
    &ENABLE,
    &DISABLE,
    &STATUS,
    &super::log::LOG,
    &COMPLETION,
];
