//! The integration tests: the real binary against real loopback servers.

mod flush;
mod harness;
mod send;
mod server;
