//! The integration tests: the real binary against real loopback servers.

mod harness;
mod privacy;
mod send;
mod server;
