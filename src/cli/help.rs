//! The long help of each command, kept as data: the variables it reads, a few examples and
//! its exit statuses. `--help` renders it as text (after the flags); the man pages render
//! the same data as ENVIRONMENT, EXIT STATUS and EXAMPLES sections (`cmd::generate`).
//!
//! Which command reads a variable is said once, on the variable's own line (`Var::read_by`),
//! so a new setting is one line here and every page that should list it does.

mod log;
mod pages;

pub use pages::{PAGES, TOP};

/// The commands, one bit each: who reads a variable, and what a page covers.
pub mod on {
    pub type Cmds = u16;
    pub const MANIFEST: Cmds = 1;
    pub const EVENT: Cmds = 1 << 1;
    pub const RESOLVE: Cmds = 1 << 2;
    pub const ENV: Cmds = 1 << 3;
    pub const FLUSH: Cmds = 1 << 4;
    pub const CHECK: Cmds = 1 << 5;
    pub const ENABLE: Cmds = 1 << 6;
    pub const DISABLE: Cmds = 1 << 7;
    pub const STATUS: Cmds = 1 << 8;
    pub const COMPLETION: Cmds = 1 << 9;
    pub const LOG: Cmds = 1 << 10;
    /// Both kinds of send.
    pub const SEND: Cmds = MANIFEST | EVENT;
    /// The commands that hand every setting that was set on to the next layer.
    pub const HAND_ON: Cmds = RESOLVE | ENV;
    /// Who reads the consent decision (`enable` and `disable` say when it overrides them).
    pub const CONSENT: Cmds = SEND | RESOLVE | ENV | FLUSH | STATUS | ENABLE | DISABLE;
    /// The top page: every variable.
    pub const ALL: Cmds = Cmds::MAX;
}

use on::*;

/// One environment variable: its name, what it does, its default ("" for none), and the
/// commands that read it.
pub struct Var {
    pub name: &'static str,
    pub about: &'static str,
    pub default: &'static str,
    pub read_by: on::Cmds,
}

const fn var(
    name: &'static str,
    about: &'static str,
    default: &'static str,
    read_by: on::Cmds,
) -> Var {
    Var {
        name,
        about,
        default,
        read_by,
    }
}

/// Every variable the tool reads, in the order the top-level help lists them.
#[rustfmt::skip]
pub const VARS: &[Var] = &[
    var("TELEMETRY_ENABLED", "consent: 1 true yes y on enable enabled / 0 false no n off disable disabled (any case); anything else warns and means off", "unset: a saved choice, else ask in `resolve`, else off", CONSENT),
    var("DO_NOT_TRACK", "truthy means off unless --telemetry or TELEMETRY_ENABLED says otherwise", "unset", CONSENT),
    var("TELEMETRY_ENDPOINT", "receiver URL, http or https; set but empty: send nothing", "https://telemetry.productive-k3s.io/telemetry", SEND | FLUSH | STATUS | HAND_ON),
    var("TELEMETRY_PROTOCOL", "pk3s, or otlp: OTLP/HTTP logs (JSON) for an OpenTelemetry Collector, which needs TELEMETRY_ENDPOINT", "pk3s", SEND | FLUSH | HAND_ON),
    var("TELEMETRY_BEARER_TOKEN", "sent as Authorization: Bearer; never written to disk or printed", "unset", SEND | FLUSH | CHECK | HAND_ON),
    var("TELEMETRY_MARKER", "the X-Productive-K3S-Telemetry header", "pk3s-public-v1", SEND | FLUSH | HAND_ON),
    var("TELEMETRY_MAX_RETRIES", "attempts in all, the first included", "3", SEND | HAND_ON),
    var("TELEMETRY_CONNECT_TIMEOUT_SECONDS", "per attempt: name lookup, TCP, proxy, TLS", "5", SEND | FLUSH | HAND_ON),
    var("TELEMETRY_REQUEST_TIMEOUT_SECONDS", "the whole attempt, response included", "10", SEND | FLUSH | HAND_ON),
    var("TELEMETRY_OUTBOX_DIR", "where undelivered payloads wait", "runs/telemetry-outbox", SEND | FLUSH | STATUS | DISABLE | LOG | HAND_ON),
    var("TELEMETRY_OUTBOX_MAX_ENTRIES", "the oldest entries beyond this many are dropped", "10000", SEND | FLUSH | HAND_ON),
    var("TELEMETRY_OUTBOX_MAX_AGE_DAYS", "entries older than this are dropped", "30", SEND | FLUSH | HAND_ON),
    var("TELEMETRY_LEDGER_MAX_ENTRIES", "the ledger of what left keeps at most this many records, the newest (2 to 1000000)", "10000", SEND | FLUSH | STATUS | LOG | HAND_ON),
    var("TELEMETRY_LEDGER_MAX_MB", "the ledger of what left keeps at most this many MiB, the newest (1 to 1024)", "16", SEND | FLUSH | STATUS | LOG | HAND_ON),
    var("TELEMETRY_DELIVERY", "background: send returns once the payload is in the outbox, a detached process delivers it", "foreground", SEND | HAND_ON),
    var("TELEMETRY_USER_AGENT", "the User-Agent header", "productive-k3s/<version>", SEND | FLUSH | HAND_ON),
    var("TELEMETRY_SESSION_ID", "the chain's session", "resolve makes a new UUID; a send without one sends \"\"", SEND | HAND_ON),
    var("TELEMETRY_RUN_ID", "this run", "resolve makes a new UUID; send manifest takes the manifest's run_id, else a new UUID", SEND | HAND_ON),
    var("TELEMETRY_PARENT_RUN_ID", "the run that started this one", "none: sent as \"\"", SEND | HAND_ON),
    var("TELEMETRY_COMPONENT", "cli, infra, core...", "core", SEND | HAND_ON),
    var("TELEMETRY_SOURCE_REPOSITORY", "client.repository", "productive-k3s", SEND | HAND_ON),
    var("TELEMETRY_SOURCE_SCRIPT", "client.script", "scripts/apply.sh", SEND | HAND_ON),
    var("TELEMETRY_EXIT_CODE", "client.exit_code of a manifest (env clears it for the child)", "0", MANIFEST | ENV),
    var("TELEMETRY_PRIVACY", "redact, strict (refuse instead) or off", "redact", SEND | FLUSH | HAND_ON),
    var("TELEMETRY_PRIVACY_EXTRA", "more identifiers to redact, comma-separated", "unset", SEND | FLUSH | CHECK | HAND_ON),
    var("TELEMETRY_CONFIG_DIR", "this user's saved choice lives here (for packagers and tests)", "$XDG_CONFIG_HOME/productive-k3s, else ~/.config/productive-k3s", CONSENT),
    var("TELEMETRY_SYSTEM_CONFIG_DIR", "the machine's saved choice lives here (for packagers and tests)", "/etc/productive-k3s", CONSENT),
    var("XDG_STATE_HOME", "the endpoint memory (an endpoint that did not answer) lives in its productive-k3s/", "~/.local/state", SEND | FLUSH | STATUS),
    var("CI", "set (and not a no-word): never ask, no progress line", "unset", SEND | RESOLVE),
    var("HTTPS_PROXY HTTP_PROXY ALL_PROXY NO_PROXY", "either case, as with curl", "unset", SEND | FLUSH | STATUS),
    var("SSL_CERT_FILE SSL_CERT_DIR", "extra CA certificates, as with curl", "the system store", SEND | FLUSH),
];

/// What one command's help adds after its flags.
pub struct Page {
    /// Its man page's file stem, e.g. `pk3s-telemetry-send-manifest`.
    pub name: &'static str,
    /// The commands it covers (`on`): it lists the variables they read.
    pub reads: on::Cmds,
    /// (what it does, the command line)
    pub examples: &'static [(&'static str, &'static str)],
    /// (status, meaning)
    pub exits: &'static [(&'static str, &'static str)],
}

/// The page of the man page `name` (the top one included).
pub fn page_named(name: &str) -> Option<&'static Page> {
    PAGES.iter().copied().chain([&TOP]).find(|p| p.name == name)
}

/// The variables a page reads (all of them for the top page).
pub fn vars_of(page: &Page) -> impl Iterator<Item = &'static Var> + use<> {
    let reads = page.reads;
    VARS.iter().filter(move |v| v.read_by & reads != 0)
}

/// The text `--help` shows after the flags. Each item's first line is its name or command;
/// the lines under it are indented, so that wrapping keeps them under it.
pub fn text(page: &Page) -> String {
    let mut s = String::from("Environment (flags win over variables):\n");
    let mut none = true;
    for v in vars_of(page) {
        none = false;
        s.push_str(&format!("  {}\n          {}", v.name, v.about));
        if !v.default.is_empty() {
            s.push_str(&format!(" [default: {}]", v.default));
        }
        s.push('\n');
    }
    if none {
        s.push_str("  none: this command reads no variable\n");
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

#[cfg(test)]
mod tests;
