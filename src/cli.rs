//! The command-line definition. Settings come from `TELEMETRY_*` variables first (shell
//! scripts drive this tool); the global flags below only override them. Each command's
//! long help (its variables, examples and exit statuses) is data in `help`.

pub mod help;
mod lazy;
mod log;
mod send;

pub use lazy::Lazy;
pub use log::{LogArgs, LogFormat};
pub use send::{Correlation, EventArgs, ManifestArgs, SendCommand, SendOptions};

use std::ffi::OsString;
use std::path::PathBuf;

use clap::builder::NonEmptyStringValueParser;
use clap::{ArgAction, Args, CommandFactory, Parser, Subcommand, ValueEnum};

pub const ABOUT: &str = "Anonymous, opt-in usage telemetry for the productive-k3s shell layers";
pub const LONG_ABOUT: &str = "Anonymous, opt-in usage telemetry for the productive-k3s shell layers.\n\n\
    Settings are read from TELEMETRY_* environment variables; the global flags override them \
    (before or after the command). Telemetry never stalls or fails an installation: sends are \
    bounded in time, and what cannot be delivered is kept in a local outbox. \
    Each command's --help lists its own flags, variables, examples and exit statuses.";

/// The command line; with `long_help`, each page's text after the flags (`help`). Those
/// texts are built only when clap has something to show (`cmd::main`): building them all
/// is a quarter of the instructions of a whole `send --background`.
pub fn command(long_help: bool) -> clap::Command {
    if long_help {
        lazy::eager(|| with_pages(Cli::command(), help::TOP.name))
    } else {
        Cli::command()
    }
}

/// Puts the page named `name` (`pk3s-telemetry-send-manifest`) after the long help of
/// `cmd`, and each subcommand's under it. Every subcommand is visited in turn, so that
/// their order stays as declared (`mut_subcommand` moves the one it changes to the end).
fn with_pages(cmd: clap::Command, name: &str) -> clap::Command {
    let mut cmd = match help::page_named(name) {
        Some(page) => cmd.after_long_help(help::text(page)),
        None => cmd,
    };
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for sub in subs {
        let full = format!("{name}-{sub}");
        cmd = cmd.mut_subcommand(sub, |c| with_pages(c, &full));
    }
    cmd
}

#[derive(Debug, Parser)]
#[command(
    name = "pk3s-telemetry",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    #[command(subcommand)]
    pub command: Command,
}

// `-q` and `-v`, which every command takes (before or after its name). A plain comment:
// a doc comment here would become the about text of whatever command it is flattened into.
#[derive(Debug, Args, Default, Clone, Copy)]
#[command(next_help_heading = "Global options")]
pub struct Output {
    /// Print nothing but errors
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)
    #[arg(short, long, action = ArgAction::Count)]
    pub verbose: u8,
}

// The flags that override settings, for the commands that use them (a plain comment: see
// `Output`).
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]
    #[arg(long, value_name = "DIR")]
    pub outbox: Option<PathBuf>,

    /// Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    #[command(flatten)]
    pub output: Output,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Deliver a run manifest or an event now, with bounded retries; keep it in the outbox if it cannot be delivered
    #[command(subcommand)]
    Send(SendCommand),
    /// Decide consent (asking once at a terminal) and this run's ids; print them and the settings that were set, for `eval`
    #[command(
        long_about = "Decide consent and this run's correlation ids, and print them for eval: \
            export lines for what is decided (TELEMETRY_ENABLED as true or false) and for each \
            TELEMETRY_* setting that was set, exactly as given; nothing for a setting nobody \
            set (every layer applies the same defaults, and a layer's own shell values survive \
            the eval).\n\n\
            Consent: --telemetry, else TELEMETRY_ENABLED, else DO_NOT_TRACK, else a saved \
            choice (pk3s-telemetry enable|disable: the user's, then the machine's), else one \
            question on the terminal when a person is there (stdin and stderr are terminals, \
            CI unset), else off. The answer is exported, so nested layers never ask again."
    )]
    Resolve(Lazy<ResolveArgs>),
    /// Print the context for a nested child (same session, this run as its parent), or run COMMAND with it
    #[command(
        long_about = "Print the context for a nested child: the same session, \
            TELEMETRY_PARENT_RUN_ID set to this run's id, TELEMETRY_RUN_ID cleared so that the \
            child makes its own. Never asks. With -- COMMAND, run the command with that \
            environment and exit with its status (126 or 127 when it cannot be run)."
    )]
    Env(Lazy<EnvArgs>),
    /// Check JSON files (run manifests, test artifacts) for identifiers; exit 1 naming each path found
    Check(Lazy<CheckArgs>),
    /// Replay the outbox oldest first; delete what is delivered, keep the rest for later
    Flush(Lazy<FlushArgs>),
    /// Save "telemetry on" for this user (or with --system for the machine)
    #[command(long_about = "Save \"telemetry on\" for this user, in \
            $XDG_CONFIG_HOME/productive-k3s/telemetry.conf (else \
            ~/.config/productive-k3s/telemetry.conf), or with --system for every user of the \
            machine, in /etc/productive-k3s/telemetry.conf. A flag, TELEMETRY_ENABLED or \
            DO_NOT_TRACK still decide first; the user's choice wins over the machine's.")]
    Enable(Lazy<ChoiceArgs>),
    /// Save "telemetry off" for this user (or with --system for the machine); --purge also discards what waits in the outbox
    #[command(long_about = "Save \"telemetry off\" for this user, in \
            $XDG_CONFIG_HOME/productive-k3s/telemetry.conf (else \
            ~/.config/productive-k3s/telemetry.conf), or with --system for every user of the \
            machine, in /etc/productive-k3s/telemetry.conf. A saved \"off\" also stops \
            `flush`: kept entries stay where they are (disable says how many wait), unless \
            --purge discards them. A flag, TELEMETRY_ENABLED or DO_NOT_TRACK still decide \
            first; the user's choice wins over the machine's.")]
    Disable(Lazy<DisableArgs>),
    /// Show where things stand: consent and its source, endpoint, proxy, outbox counts, last delivery
    #[command(
        long_about = "Show where things stand: whether telemetry is on and what decided it, the \
            saved choices, the endpoint and the proxy a request would go through (never its \
            credentials), the outbox with its pending, rejected and corrupt counts and the age \
            of its oldest entry, and the last delivery recorded there. Never asks, sends or \
            changes anything."
    )]
    Status(Lazy<StatusArgs>),
    /// Show what left this machine from this outbox, newest first; --show prints one body byte for byte
    #[command(
        long_about = "Show what left this machine from this outbox: every payload delivered \
            (by send, the background deliverer, flush or flush --from) or carried out by hand \
            (flush --to), newest first, from the ledger kept beside the outbox: when, to which \
            endpoint, which event, the receiver's status. --format json adds the exact body of \
            each; --show EVENT_ID prints one body byte for byte. Never sends or changes anything."
    )]
    Log(Lazy<LogArgs>),
    /// Print the completion script for a shell (bash, zsh, fish, elvish or powershell)
    #[command(
        long_about = "Print the completion script for SHELL on standard output: the same \
            script `make install` puts where each shell looks. Load it for this session, or \
            save it where your shell reads completions (see the examples)."
    )]
    Completion(Lazy<CompletionArgs>),
    /// Write shell completions and man pages into DIR/completions and DIR/man (for packaging)
    #[command(hide = true)]
    Generate(Lazy<GenerateArgs>),
    /// The detached deliverer of `send --background` (started by send, not by hand)
    #[command(hide = true, name = "deliver-outbox")]
    Deliver(Lazy<DeliverArgs>),
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
pub struct ChoiceArgs {
    /// Save it for the machine (/etc/productive-k3s/telemetry.conf; needs root) instead of this user
    #[arg(long)]
    pub system: bool,

    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct DisableArgs {
    /// Save it for the machine (/etc/productive-k3s/telemetry.conf; needs root) instead of this user
    #[arg(long)]
    pub system: bool,

    /// Also discard every payload waiting in the outbox (pending, rejected/, corrupt/, the old scripts' files); never sends one
    #[arg(long)]
    pub purge: bool,

    /// The outbox that --purge empties, and whose waiting entries are counted [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]
    #[arg(long, value_name = "DIR")]
    pub outbox: Option<PathBuf>,

    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell the script is for
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// aligned lines, for eyes
    Text,
    /// one JSON object, for machines
    Json,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[arg(
        long,
        value_enum,
        default_value = "text",
        default_value_if("json", "true", Some("json"))
    )]
    pub format: StatusFormat,

    /// The same as --format json
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    #[command(flatten)]
    pub global: Global,
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

    #[arg(
        long,
        value_enum,
        default_value = "shell",
        default_value_if("json", "true", Some("json"))
    )]
    pub format: Format,

    /// The same as --format json
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    #[command(flatten)]
    pub global: Global,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    #[arg(
        long,
        value_enum,
        default_value = "shell",
        conflicts_with = "command",
        default_value_if("json", "true", Some("json"))
    )]
    pub format: Format,

    /// The same as --format json
    #[arg(long, conflicts_with_all = ["format", "command"])]
    pub json: bool,

    /// Run this command with the child context and exit with its status
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,

    #[command(flatten)]
    pub global: Global,
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

    /// Send every entry to URL, also those written for another endpoint (each entry goes where it was written for otherwise)
    #[arg(long, value_name = "URL")]
    pub reroute: Option<String>,

    /// Move every pending entry into FILE, a new bundle to carry to a host that can deliver it (flush --from FILE there); never overwrites a file
    #[arg(long, value_name = "FILE", conflicts_with_all = ["from", "dry_run", "reroute", "limit", "max_time"])]
    pub to: Option<PathBuf>,

    /// Deliver the payloads of a bundle made by flush --to, each to the endpoint it was written for; what is not delivered is kept in this outbox
    #[arg(long, value_name = "FILE", conflicts_with_all = ["to", "dry_run", "rejected"])]
    pub from: Option<PathBuf>,

    #[arg(
        long,
        value_enum,
        default_value = "text",
        default_value_if("json", "true", Some("json"))
    )]
    pub format: ReportFormat,

    /// The same as --format json
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    #[command(flatten)]
    pub global: Global,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// JSON files (one document, or several such as JSON Lines), or - for standard input
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,

    /// text: one `FILE: PATH: KIND` line per finding; json: one JSON object per file
    /// ({"file", "clean", "findings": [{"document", "path", "kind", "object_key"}]})
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"], default_value_if("json", "true", Some("json")))]
    pub format: String,

    /// Say why: the rule that fired, and the string with each identifier masked
    /// (`FILE: PATH: RULE (KIND): "node ready at [ip address]"`)
    #[arg(long)]
    pub explain: bool,

    /// The same as --format json
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    #[command(flatten)]
    pub output: Output,
}

impl Command {
    /// The global flags given after the command's name (`None`: those it does not take).
    pub fn global(&self) -> (Option<&Global>, Option<Output>) {
        fn g(g: &Global) -> (Option<&Global>, Option<Output>) {
            (Some(g), Some(g.output))
        }
        match self {
            Command::Send(SendCommand::Manifest(a)) => g(&a.send.global),
            Command::Send(SendCommand::Event(a)) => g(&a.send.global),
            Command::Resolve(a) => g(&a.global),
            Command::Env(a) => g(&a.global),
            Command::Flush(a) => g(&a.global),
            Command::Status(a) => g(&a.global),
            Command::Log(a) => g(&a.global),
            Command::Check(a) => (None, Some(a.output)),
            Command::Enable(a) => (None, Some(a.output)),
            Command::Disable(a) => (None, Some(a.output)),
            Command::Completion(_) | Command::Generate(_) | Command::Deliver(_) => (None, None),
        }
    }

    /// `--outbox` given after the command's name by a command that takes it without the
    /// other global flags (`disable`).
    pub fn outbox(&self) -> Option<&PathBuf> {
        match self {
            Command::Disable(a) => a.outbox.as_ref(),
            _ => self.global().0.and_then(|g| g.outbox.as_ref()),
        }
    }
}
