//! The command-line definition. Settings come from `TELEMETRY_*` variables first (shell
//! scripts drive this tool); the global flags below only override them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "pk3s-telemetry",
    version,
    about = "Anonymous, opt-in usage telemetry for the productive-k3s shell layers",
    long_about = "Anonymous, opt-in usage telemetry for the productive-k3s shell layers.\n\n\
        Settings are read from TELEMETRY_* environment variables; the global flags override them.\n\
        Telemetry never stalls or fails an installation: sends are bounded in time, and what \
        cannot be delivered is kept in a local outbox.",
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
    /// Replay the outbox oldest first; delete what is delivered, keep the rest for later
    Flush(FlushArgs),
}

#[derive(Debug, Args)]
pub struct FlushArgs {
    /// List what would be sent, expired or set aside; send nothing, change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Send at most N entries in this run (the rest stay for a later flush)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum SendCommand {
    /// Wrap a run manifest (a JSON object) in the install envelope and deliver it
    Manifest(ManifestArgs),
    /// Deliver a ready-made JSON event object as it is, or build the standard lifecycle event with --name
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
}
