//! The integration tests: the real binary against real loopback servers.

mod harness;
mod privacy;
mod pty;
mod resolve;
mod send;
mod server;
