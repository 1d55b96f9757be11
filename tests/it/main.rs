//! The integration tests: the real binary against real loopback servers.

mod harness;
mod send;
mod server;
