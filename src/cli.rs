//! The command-line definition. Settings come from `TELEMETRY_*` variables first (shell
//! scripts drive this tool); the global flags below only override them.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::builder::NonEmptyStringValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};

pub const ABOUT: &str = "Anonymous, opt-in usage telemetry for the productive-k3s shell layers";
pub const LONG_ABOUT: &str = "Anonymous, opt-in usage telemetry for the productive-k3s shell layers.\n\n\
    Settings are read from TELEMETRY_* environment variables; the global flags override them.\n\
    Telemetry never stalls or fails an installation: sends are bounded in time, and what \
    cannot be delivered is kept in a local outbox.";

/// Shown under every command's `--help` (and in the man pages): each setting's variable
/// and default, since the environment is the primary interface.
pub const ENVIRONMENT: &str = "\
Environment (flags override; see the README for the details):
  TELEMETRY_ENABLED                  consent: 1 true yes y on / 0 false no n off [default: unset = off, or ask in `resolve`]
  DO_NOT_TRACK                       truthy means off unless a flag or TELEMETRY_ENABLED says otherwise [default: unset]
  TELEMETRY_ENDPOINT                 receiver URL, http or https; empty: send nothing [default: https://telemetry.productive-k3s.io/telemetry]
  TELEMETRY_BEARER_TOKEN             sent as Authorization: Bearer; never written to disk [default: unset]
  TELEMETRY_MARKER                   X-Productive-K3S-Telemetry header [default: pk3s-public-v1]
  TELEMETRY_MAX_RETRIES              attempts in all, the first included [default: 3]
  TELEMETRY_CONNECT_TIMEOUT_SECONDS  per attempt: DNS, TCP, proxy, TLS [default: 5]
  TELEMETRY_REQUEST_TIMEOUT_SECONDS  the whole attempt [default: 10]
  TELEMETRY_OUTBOX_DIR               undelivered payloads [default: runs/telemetry-outbox]
  TELEMETRY_OUTBOX_MAX_ENTRIES       oldest dropped beyond this many [default: 10000]
  TELEMETRY_OUTBOX_MAX_AGE_DAYS      entries older than this are dropped [default: 30]
  TELEMETRY_USER_AGENT               User-Agent header [default: productive-k3s/<version>]
  TELEMETRY_SESSION_ID               the chain's session [default: a new UUID]
  TELEMETRY_RUN_ID                   this run [default: a new UUID]
  TELEMETRY_PARENT_RUN_ID            the run that started this one [default: none]
  TELEMETRY_COMPONENT                cli, infra, core... [default: core]
  TELEMETRY_SOURCE_REPOSITORY        client.repository [default: productive-k3s]
  TELEMETRY_SOURCE_SCRIPT            client.script [default: scripts/apply.sh]
  TELEMETRY_EXIT_CODE                client.exit_code of a manifest [default: 0]
  TELEMETRY_PRIVACY                  redact, strict or off [default: redact]
  TELEMETRY_PRIVACY_EXTRA            more identifiers to redact [default: unset]
  HTTPS_PROXY HTTP_PROXY ALL_PROXY NO_PROXY (either case), SSL_CERT_FILE, SSL_CERT_DIR: as with curl";

#[derive(Debug, Parser)]
#[command(
    name = "pk3s-telemetry",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_long_help = ENVIRONMENT,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]
    #[arg(long, global = true, value_name = "DIR")]
    pub outbox: Option<PathBuf>,

    /// Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Print nothing but errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Describe each attempt on stderr
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Deliver a run manifest or an event now, with bounded retries; keep it in the outbox if it cannot be delivered
    #[command(subcommand)]
    Send(SendCommand),
    /// Decide consent (asking once at a terminal) and this run's ids; print every TELEMETRY_* setting for `eval`
    #[command(
        long_about = "Decide consent and this run's correlation ids, and print every TELEMETRY_* \
            setting with its effective value, as export lines for eval:\n\n    \
            eval \"$(pk3s-telemetry resolve --component infra)\"\n\n\
            Consent: --telemetry, else TELEMETRY_ENABLED, else DO_NOT_TRACK, else one question \
            on the terminal when a person is there (stdin and stderr are terminals, CI unset), \
            else off. The answer is exported, so nested layers never ask again.",
        after_long_help = ENVIRONMENT
    )]
    Resolve(ResolveArgs),
    /// Print the context for a nested child (same session, this run as its parent), or run COMMAND with it
    #[command(
        long_about = "Print the context for a nested child: the same session, \
            TELEMETRY_PARENT_RUN_ID set to this run's id, TELEMETRY_RUN_ID cleared so that the \
            child makes its own. Never asks. With -- COMMAND, run the command with that \
            environment and exit with its status (126 or 127 when it cannot be run).",
        after_long_help = ENVIRONMENT
    )]
    Env(EnvArgs),
    /// Check JSON files (run manifests, test artifacts) for identifiers; exit 1 naming each path found
    #[command(after_long_help = ENVIRONMENT)]
    Check(CheckArgs),
    /// Replay the outbox oldest first; delete what is delivered, keep the rest for later
    #[command(after_long_help = ENVIRONMENT)]
    Flush(FlushArgs),
    /// Write shell completions and man pages into DIR/completions and DIR/man (for packaging)
    #[command(hide = true)]
    Generate(GenerateArgs),
    /// The detached deliverer of `send --background` (started by send, not by hand)
    #[command(hide = true, name = "deliver-outbox")]
    Deliver(DeliverArgs),
}

#[derive(Debug, Args)]
pub struct DeliverArgs {
    /// The entry to deliver first, with the send policy
    #[arg(long, value_name = "STEM")]
    pub first: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// lines for a person, on stderr
    Text,
    /// JSON on stdout: one summary object (with --dry-run, one object per line per entry, then the summary)
    Json,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The directory that receives completions/ and man/
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// export NAME='value' lines, for eval in bash, dash or zsh
    Shell,
    /// one JSON object: each setting's value and where it came from; never the token
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Telemetry {
    Enable,
    Disable,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// This layer's name, e.g. cli, infra, core [env: TELEMETRY_COMPONENT] [default: core]
    #[arg(long, value_name = "NAME", value_parser = NonEmptyStringValueParser::new())]
    pub component: Option<String>,

    /// The decision for the whole chain; wins over TELEMETRY_ENABLED and DO_NOT_TRACK
    #[arg(long, value_enum, value_name = "enable|disable")]
    pub telemetry: Option<Telemetry>,

    #[arg(long, value_enum, default_value = "shell")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    #[arg(long, value_enum, default_value = "shell", conflicts_with = "command")]
    pub format: Format,

    /// Run this command with the child context and exit with its status
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct FlushArgs {
    /// List what would be sent, expired or set aside; send nothing, change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Send at most N entries in this run (the rest stay for a later flush)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,

    /// Start no request after this many seconds (the summary counts what was not tried)
    #[arg(long, value_name = "SECONDS", default_value = "120", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub max_time: u64,

    /// First move the entries of rejected/ back into the outbox, so that each is tried once more
    #[arg(long)]
    pub rejected: bool,

    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
}

#[derive(Debug, Subcommand)]
pub enum SendCommand {
    /// Wrap a run manifest (a JSON object) in the install envelope and deliver it
    #[command(after_long_help = ENVIRONMENT)]
    Manifest(ManifestArgs),
    /// Deliver a ready-made JSON event object as it is, or build the standard lifecycle event with --name
    #[command(after_long_help = ENVIRONMENT)]
    Event(EventArgs),
}

#[derive(Debug, Args)]
pub struct ManifestArgs {
    /// The manifest file, or - for standard input
    #[arg(value_name = "PATH|-")]
    pub path: String,

    /// Source repository for the envelope's client block [env: TELEMETRY_SOURCE_REPOSITORY] [default: productive-k3s]
    #[arg(long, value_name = "NAME")]
    pub repository: Option<String>,

    /// Source script for the envelope's client block [env: TELEMETRY_SOURCE_SCRIPT] [default: scripts/apply.sh]
    #[arg(long, value_name = "PATH")]
    pub script: Option<String>,

    /// Exit code of the run, a number [env: TELEMETRY_EXIT_CODE] [default: 0]
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub exit_code: Option<String>,

    #[command(flatten)]
    pub send: SendOptions,
}

#[derive(Debug, Args)]
pub struct EventArgs {
    /// A ready-made event file (a JSON object), or - for standard input; sent byte-for-byte
    #[arg(
        value_name = "PATH|-",
        required_unless_present = "name",
        conflicts_with = "name"
    )]
    pub path: Option<String>,

    /// Build the standard lifecycle event with this event_name (e.g. core.apply.completed)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// The command.name of a built event
    #[arg(long, value_name = "C", requires = "name")]
    pub command: Option<String>,

    /// The command.result of a built event (e.g. success, failure)
    #[arg(long, value_name = "R", requires = "name")]
    pub result: Option<String>,

    /// The event_family of a built event
    #[arg(long, value_name = "F", default_value = "usage", requires = "name")]
    pub family: String,

    /// An extra command.K string field of a built event; repeatable
    #[arg(long = "field", value_name = "K=V", requires = "name")]
    pub fields: Vec<String>,

    /// Source repository for the event's client block [env: TELEMETRY_SOURCE_REPOSITORY] [default: productive-k3s]
    #[arg(long, value_name = "NAME", requires = "name")]
    pub repository: Option<String>,

    /// Source script for the event's client block [env: TELEMETRY_SOURCE_SCRIPT] [default: scripts/apply.sh]
    #[arg(long, value_name = "PATH", requires = "name")]
    pub script: Option<String>,

    #[command(flatten)]
    pub send: SendOptions,
}

#[derive(Debug, Args)]
pub struct SendOptions {
    /// Print the exact request (token masked) and send nothing, write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Return once the payload is safe in the outbox; a detached process delivers it [env: TELEMETRY_DELIVERY=background]
    #[arg(long)]
    pub background: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// JSON files (one document, or several such as JSON Lines), or - for standard input
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,
}
