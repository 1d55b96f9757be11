//! The integration tests: the real binary against real loopback servers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod advice;
mod background;
mod carry;
mod clock;
mod completion;
mod docs;
mod dropin;
mod flush;
mod fuzz;
mod harness;
mod hostile;
mod hostile_net;
mod layout;
mod ledger;
mod memory;
mod model;
mod nohang;
mod notice;
mod operator;
mod otlp;
mod otlp_check;
mod packaging;
mod pinned;
mod privacy;
mod privacy_corpus;
mod privacy_linear;
mod pty;
mod purge;
mod resolve;
mod schema;
mod send;
mod server;
mod store;
mod trace;
mod wording;
