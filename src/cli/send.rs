//! The `send` commands' arguments: what a payload is built from, who it reports as, and how
//! it goes.

use clap::builder::NonEmptyStringValueParser;
use clap::{Args, Subcommand};

use super::{Global, Lazy, Telemetry};

#[derive(Debug, Subcommand)]
pub enum SendCommand {
    /// Wrap a run manifest (a JSON object) in the install envelope and deliver it
    Manifest(Lazy<ManifestArgs>),
    /// Deliver a ready-made JSON event object as it is, or build the standard lifecycle event with --name
    Event(Lazy<EventArgs>),
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
    pub ids: Correlation,

    #[command(flatten)]
    pub send: SendOptions,
}

/// Who a built payload reports as; each flag overrides its variable.
#[derive(Debug, Args)]
pub struct Correlation {
    /// The component reporting, e.g. cli, infra, core [env: TELEMETRY_COMPONENT] [default: core]
    #[arg(long, value_name = "NAME", value_parser = NonEmptyStringValueParser::new())]
    pub component: Option<String>,

    /// The session shared by the whole chain [env: TELEMETRY_SESSION_ID] [default: none, sent as ""; resolve exports one]
    #[arg(long, value_name = "ID", value_parser = NonEmptyStringValueParser::new())]
    pub session_id: Option<String>,

    /// This run's id [env: TELEMETRY_RUN_ID] [default: the manifest's run_id, else a new one]
    #[arg(long, value_name = "ID", value_parser = NonEmptyStringValueParser::new())]
    pub run_id: Option<String>,

    /// The run that started this one [env: TELEMETRY_PARENT_RUN_ID] [default: none, sent as ""]
    #[arg(long, value_name = "ID", value_parser = NonEmptyStringValueParser::new())]
    pub parent_run_id: Option<String>,
}

// One of PATH and --name, so that an error without either names both. A send event's run
// id has no manifest to come from.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("event").required(true).args(["path", "name"]))]
#[command(mut_arg("run_id", |a| a.help(
    "This run's id [env: TELEMETRY_RUN_ID] [default: a new one]"
)))]
pub struct EventArgs {
    /// A ready-made event file (a JSON object), or - for standard input; sent byte-for-byte
    #[arg(value_name = "PATH|-", conflicts_with = "name")]
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
    pub ids: Correlation,

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

    /// What this call counts as when nobody has decided (no TELEMETRY_ENABLED, DO_NOT_TRACK or saved choice): the drop-in shims pass enable, as their caller asked first [default: disable]
    #[arg(long, value_name = "CHOICE", value_enum)]
    pub if_undecided: Option<Telemetry>,

    #[command(flatten)]
    pub global: Global,
}

impl Correlation {
    /// The first correlation flag that was given, for messages.
    pub fn given(&self) -> Option<&'static str> {
        [
            ("--component", &self.component),
            ("--session-id", &self.session_id),
            ("--run-id", &self.run_id),
            ("--parent-run-id", &self.parent_run_id),
        ]
        .into_iter()
        .find_map(|(flag, v)| v.is_some().then_some(flag))
    }
}
