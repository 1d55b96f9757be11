//! The flags of `log`.

use clap::{Args, ValueEnum};

use super::Global;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// one line per payload, newest first, for eyes
    Text,
    /// one JSON object per line, newest first, each with its exact body as a JSON string
    Json,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Print the exact body of the newest payload with this event id that left, byte for byte, and nothing else
    #[arg(long, value_name = "EVENT_ID", conflicts_with_all = ["since", "limit", "format", "json"])]
    pub show: Option<String>,

    /// Only what left since T: an RFC 3339 time (2026-12-01T00:00:00Z) or a time ago (90m, 24h, 7d)
    #[arg(long, value_name = "T")]
    pub since: Option<String>,

    /// At most the newest N
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,

    #[arg(long, value_enum, default_value = "text")]
    pub format: LogFormat,

    /// The same as --format json
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    #[command(flatten)]
    pub global: Global,
}
