//! The long help of each command, kept as data: the variables it reads, a few examples and
//! its exit statuses. `--help` renders it as text (after the flags); the man pages render
//! the same data as ENVIRONMENT, EXIT STATUS and EXAMPLES sections (`cmd::generate`).

/// One environment variable: its name, what it does, its default ("" for none).
pub struct Var {
    pub name: &'static str,
    pub about: &'static str,
    pub default: &'static str,
}

const fn var(name: &'static str, about: &'static str, default: &'static str) -> Var {
    Var {
        name,
        about,
        default,
    }
}

/// Every variable the tool reads, in the order the top-level help lists them.
#[rustfmt::skip]
pub const VARS: &[Var] = &[
    var("TELEMETRY_ENABLED", "consent: 1 true yes y on / 0 false no n off; anything else warns and means off", "unset: a saved choice, else ask in `resolve`, else off"),
    var("DO_NOT_TRACK", "truthy means off unless --telemetry or TELEMETRY_ENABLED says otherwise", "unset"),
    var("TELEMETRY_ENDPOINT", "receiver URL, http or https; set but empty: send nothing", "https://telemetry.productive-k3s.io/telemetry"),
    var("TELEMETRY_BEARER_TOKEN", "sent as Authorization: Bearer; never written to disk or printed", "unset"),
    var("TELEMETRY_MARKER", "the X-Productive-K3S-Telemetry header", "pk3s-public-v1"),
    var("TELEMETRY_MAX_RETRIES", "attempts in all, the first included", "3"),
    var("TELEMETRY_CONNECT_TIMEOUT_SECONDS", "per attempt: name lookup, TCP, proxy, TLS", "5"),
    var("TELEMETRY_REQUEST_TIMEOUT_SECONDS", "the whole attempt, response included", "10"),
    var("TELEMETRY_OUTBOX_DIR", "where undelivered payloads wait", "runs/telemetry-outbox"),
    var("TELEMETRY_OUTBOX_MAX_ENTRIES", "the oldest entries beyond this many are dropped", "10000"),
    var("TELEMETRY_OUTBOX_MAX_AGE_DAYS", "entries older than this are dropped", "30"),
    var("TELEMETRY_LEDGER_MAX_ENTRIES", "the ledger of what left keeps at most this many records, the newest (2 to 1000000)", "10000"),
    var("TELEMETRY_LEDGER_MAX_MB", "the ledger of what left keeps at most this many MiB, the newest (1 to 1024)", "16"),
    var("TELEMETRY_DELIVERY", "background: send returns once the payload is in the outbox, a detached process delivers it", "foreground"),
    var("TELEMETRY_USER_AGENT", "the User-Agent header", "productive-k3s/<version>"),
    var("TELEMETRY_SESSION_ID", "the chain's session", "a new UUID"),
    var("TELEMETRY_RUN_ID", "this run", "a new UUID"),
    var("TELEMETRY_PARENT_RUN_ID", "the run that started this one", "none"),
    var("TELEMETRY_COMPONENT", "cli, infra, core...", "core"),
    var("TELEMETRY_SOURCE_REPOSITORY", "client.repository", "productive-k3s"),
    var("TELEMETRY_SOURCE_SCRIPT", "client.script", "scripts/apply.sh"),
    var("TELEMETRY_EXIT_CODE", "client.exit_code of a manifest", "0"),
    var("TELEMETRY_PRIVACY", "redact, strict (refuse instead) or off", "redact"),
    var("TELEMETRY_PRIVACY_EXTRA", "more identifiers to redact, comma-separated", "unset"),
    var("TELEMETRY_CONFIG_DIR", "this user's saved choice lives here (for packagers and tests)", "$XDG_CONFIG_HOME/productive-k3s, else ~/.config/productive-k3s"),
    var("TELEMETRY_SYSTEM_CONFIG_DIR", "the machine's saved choice lives here (for packagers and tests)", "/etc/productive-k3s"),
    var("CI", "set (and not a no-word): never ask, no progress line", "unset"),
    var("HTTPS_PROXY HTTP_PROXY ALL_PROXY NO_PROXY", "either case, as with curl", "unset"),
    var("SSL_CERT_FILE SSL_CERT_DIR", "extra CA certificates, as with curl", "the system store"),
];

/// What one command's help adds after its flags.
pub struct Page {
    /// Its man page's file stem, e.g. `pk3s-telemetry-send-manifest`.
    pub name: &'static str,
    /// The variables it reads, by name (`VARS`); the top-level page lists them all.
    pub vars: &'static [&'static str],
    /// (what it does, the command line)
    pub examples: &'static [(&'static str, &'static str)],
    /// (status, meaning)
    pub exits: &'static [(&'static str, &'static str)],
}

const SEND_VARS: &[&str] = &[
    "TELEMETRY_ENABLED",
    "DO_NOT_TRACK",
    "TELEMETRY_CONFIG_DIR",
    "TELEMETRY_SYSTEM_CONFIG_DIR",
    "TELEMETRY_ENDPOINT",
    "TELEMETRY_BEARER_TOKEN",
    "TELEMETRY_MARKER",
    "TELEMETRY_MAX_RETRIES",
    "TELEMETRY_CONNECT_TIMEOUT_SECONDS",
    "TELEMETRY_REQUEST_TIMEOUT_SECONDS",
    "TELEMETRY_OUTBOX_DIR",
    "TELEMETRY_OUTBOX_MAX_ENTRIES",
    "TELEMETRY_OUTBOX_MAX_AGE_DAYS",
    "TELEMETRY_LEDGER_MAX_ENTRIES",
    "TELEMETRY_LEDGER_MAX_MB",
    "TELEMETRY_DELIVERY",
    "TELEMETRY_USER_AGENT",
    "TELEMETRY_SESSION_ID",
    "TELEMETRY_RUN_ID",
    "TELEMETRY_PARENT_RUN_ID",
    "TELEMETRY_COMPONENT",
    "TELEMETRY_SOURCE_REPOSITORY",
    "TELEMETRY_SOURCE_SCRIPT",
    "TELEMETRY_EXIT_CODE",
    "TELEMETRY_PRIVACY",
    "TELEMETRY_PRIVACY_EXTRA",
    "CI",
    "HTTPS_PROXY HTTP_PROXY ALL_PROXY NO_PROXY",
    "SSL_CERT_FILE SSL_CERT_DIR",
];

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
    vars: &[],
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
    vars: SEND_VARS,
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
    vars: SEND_VARS,
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
    vars: SEND_VARS,
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
    vars: &[
        "TELEMETRY_ENABLED",
        "DO_NOT_TRACK",
        "TELEMETRY_CONFIG_DIR",
        "TELEMETRY_SYSTEM_CONFIG_DIR",
        "CI",
        "TELEMETRY_SESSION_ID",
        "TELEMETRY_RUN_ID",
        "TELEMETRY_PARENT_RUN_ID",
        "TELEMETRY_COMPONENT",
        "TELEMETRY_ENDPOINT",
        "TELEMETRY_BEARER_TOKEN",
        "TELEMETRY_MARKER",
        "TELEMETRY_MAX_RETRIES",
        "TELEMETRY_CONNECT_TIMEOUT_SECONDS",
        "TELEMETRY_REQUEST_TIMEOUT_SECONDS",
        "TELEMETRY_OUTBOX_DIR",
        "TELEMETRY_USER_AGENT",
        "TELEMETRY_SOURCE_REPOSITORY",
        "TELEMETRY_SOURCE_SCRIPT",
    ],
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
    vars: &[
        "TELEMETRY_ENABLED",
        "DO_NOT_TRACK",
        "TELEMETRY_CONFIG_DIR",
        "TELEMETRY_SYSTEM_CONFIG_DIR",
        "TELEMETRY_SESSION_ID",
        "TELEMETRY_RUN_ID",
        "TELEMETRY_PARENT_RUN_ID",
        "TELEMETRY_COMPONENT",
        "TELEMETRY_ENDPOINT",
        "TELEMETRY_BEARER_TOKEN",
        "TELEMETRY_MARKER",
        "TELEMETRY_MAX_RETRIES",
        "TELEMETRY_CONNECT_TIMEOUT_SECONDS",
        "TELEMETRY_REQUEST_TIMEOUT_SECONDS",
        "TELEMETRY_OUTBOX_DIR",
        "TELEMETRY_USER_AGENT",
        "TELEMETRY_SOURCE_REPOSITORY",
        "TELEMETRY_SOURCE_SCRIPT",
        "TELEMETRY_EXIT_CODE",
    ],
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
    vars: &[
        "TELEMETRY_ENABLED",
        "DO_NOT_TRACK",
        "TELEMETRY_CONFIG_DIR",
        "TELEMETRY_SYSTEM_CONFIG_DIR",
        "TELEMETRY_ENDPOINT",
        "TELEMETRY_BEARER_TOKEN",
        "TELEMETRY_MARKER",
        "TELEMETRY_CONNECT_TIMEOUT_SECONDS",
        "TELEMETRY_REQUEST_TIMEOUT_SECONDS",
        "TELEMETRY_OUTBOX_DIR",
        "TELEMETRY_OUTBOX_MAX_ENTRIES",
        "TELEMETRY_OUTBOX_MAX_AGE_DAYS",
        "TELEMETRY_LEDGER_MAX_ENTRIES",
        "TELEMETRY_LEDGER_MAX_MB",
        "TELEMETRY_USER_AGENT",
        "TELEMETRY_PRIVACY",
        "TELEMETRY_PRIVACY_EXTRA",
        "HTTPS_PROXY HTTP_PROXY ALL_PROXY NO_PROXY",
        "SSL_CERT_FILE SSL_CERT_DIR",
    ],
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
    vars: &["TELEMETRY_BEARER_TOKEN", "TELEMETRY_PRIVACY_EXTRA"],
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

const CHOICE_VARS: &[&str] = &[
    "TELEMETRY_CONFIG_DIR",
    "TELEMETRY_SYSTEM_CONFIG_DIR",
    "TELEMETRY_ENABLED",
    "DO_NOT_TRACK",
];

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
    vars: CHOICE_VARS,
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
    vars: &[
        "TELEMETRY_CONFIG_DIR",
        "TELEMETRY_SYSTEM_CONFIG_DIR",
        "TELEMETRY_ENABLED",
        "DO_NOT_TRACK",
        "TELEMETRY_OUTBOX_DIR",
    ],
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
    vars: &[
        "TELEMETRY_ENABLED",
        "DO_NOT_TRACK",
        "TELEMETRY_CONFIG_DIR",
        "TELEMETRY_SYSTEM_CONFIG_DIR",
        "TELEMETRY_ENDPOINT",
        "TELEMETRY_OUTBOX_DIR",
        "HTTPS_PROXY HTTP_PROXY ALL_PROXY NO_PROXY",
    ],
    examples: &[
        ("Where things stand, for eyes", "pk3s-telemetry status"),
        (
            "The same for a script: how many payloads wait",
            "pk3s-telemetry status --format json | jq .outbox.pending",
        ),
    ],
    exits: &[("0", "shown (whatever it shows)"), ("2", "a bad flag")],
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
    &LOG,
];

/// The page of the man page `name` (the top one included).
pub fn page_named(name: &str) -> Option<&'static Page> {
    PAGES.iter().copied().chain([&TOP]).find(|p| p.name == name)
}

pub fn var_named(name: &str) -> Option<&'static Var> {
    VARS.iter().find(|v| v.name == name)
}

/// The variables a page reads (all of them for the top page).
pub fn vars_of(page: &Page) -> Vec<&'static Var> {
    if page.vars.is_empty() {
        VARS.iter().collect()
    } else {
        page.vars.iter().filter_map(|n| var_named(n)).collect()
    }
}

/// The text `--help` shows after the flags. Each item's first line is its name or command;
/// the lines under it are indented, so that wrapping keeps them under it.
pub fn text(page: &Page) -> String {
    let mut s = String::from("Environment (flags win over variables):\n");
    for v in vars_of(page) {
        s.push_str(&format!("  {}\n          {}", v.name, v.about));
        if !v.default.is_empty() {
            s.push_str(&format!(" [default: {}]", v.default));
        }
        s.push('\n');
    }
    s.push_str("\nExamples:\n");
    for (what, line) in page.examples {
        s.push_str(&format!("  # {what}\n  $ {line}\n"));
    }
    s.push_str("\nExit status:\n");
    for (code, meaning) in page.exits {
        s.push_str(&format!("  {code:<8}  {meaning}\n"));
    }
    s.pop();
    s
}

mod log;
pub use log::LOG;

#[cfg(test)]
mod tests;
