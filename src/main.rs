//! pk3s-telemetry: anonymous, opt-in usage telemetry for the productive-k3s shell layers.

mod attempt;
mod choice;
mod cli;
mod cmd;
mod consent;
mod delivery;
mod error;
mod exports;
mod input;
mod json;
mod oflags;
mod outbox;
mod payload;
mod privacy;
mod settings;

use std::process::ExitCode;

fn main() -> ExitCode {
    cmd::main()
}
