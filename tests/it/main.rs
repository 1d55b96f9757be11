//! The integration tests: the real binary against real loopback servers.

mod docs;
mod dropin;
mod flush;
mod harness;
mod operator;
mod packaging;
mod privacy;
mod pty;
mod resolve;
mod schema;
mod send;
mod server;
