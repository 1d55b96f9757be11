//! The integration tests: the real binary against real loopback servers.

mod flush;
mod harness;
mod packaging;
mod privacy;
mod privacy_corpus;
mod pty;
mod resolve;
mod schema;
mod send;
mod server;
