//! The integration tests: the real binary against real loopback servers.

mod background;
mod flush;
mod harness;
mod layout;
mod model;
mod packaging;
mod privacy;
mod pty;
mod resolve;
mod schema;
mod send;
mod server;
mod store;
