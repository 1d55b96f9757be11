//! The table of rules: what kinds of identifier there are, and the order in which the
//! generic rules run over a string (the first that matches names the kind reported).
//! To add a rule: write `fn(&Text) -> Option<Kind>` in the family's file, add a `Kind`
//! if it is a new one, put it in [`RULES`] and in the rules table in docs/privacy.md (a test checks
//! that every kind is documented there).

use super::context::Context;
use super::{cloud, network, paths, people, secrets};

/// What kind of identifier a string held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    // This machine and run (see `local.rs`).
    Token,
    Hostname,
    UserName,
    Listed,
    HomeDir,
    CurrentDir,
    // Generic rules.
    Secret,
    UrlWithCredentials,
    Url,
    SshTarget,
    Email,
    UncPath,
    AzureSubscription,
    CloudAccount,
    GcpProject,
    CloudResource,
    Cidr,
    IpAddress,
    MacAddress,
    AbsolutePath,
    HostPort,
    HostName,
    HostByKey,
    UserByKey,
    // Contract fields (see `contract.rs`).
    ContractField,
    EventName,
}

impl Kind {
    /// Every kind, for documentation checks.
    #[cfg(test)]
    pub const ALL: &[Kind] = &[
        Kind::Token,
        Kind::Hostname,
        Kind::UserName,
        Kind::Listed,
        Kind::HomeDir,
        Kind::CurrentDir,
        Kind::Secret,
        Kind::UrlWithCredentials,
        Kind::Url,
        Kind::SshTarget,
        Kind::Email,
        Kind::UncPath,
        Kind::AzureSubscription,
        Kind::CloudAccount,
        Kind::GcpProject,
        Kind::CloudResource,
        Kind::Cidr,
        Kind::IpAddress,
        Kind::MacAddress,
        Kind::AbsolutePath,
        Kind::HostPort,
        Kind::HostName,
        Kind::HostByKey,
        Kind::UserByKey,
        Kind::ContractField,
        Kind::EventName,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Token => "bearer token",
            Kind::Hostname => "hostname",
            Kind::UserName => "user name",
            Kind::Listed => "listed identifier",
            Kind::HomeDir => "home directory",
            Kind::CurrentDir => "current directory",
            Kind::Secret => "secret",
            Kind::UrlWithCredentials => "url with credentials",
            Kind::Url => "url",
            Kind::SshTarget => "ssh target",
            Kind::Email => "e-mail address",
            Kind::UncPath => "unc path",
            Kind::AzureSubscription => "azure subscription",
            Kind::CloudAccount => "cloud account id",
            Kind::GcpProject => "gcp project id",
            Kind::CloudResource => "cloud resource id",
            Kind::Cidr => "cidr network",
            Kind::IpAddress => "ip address",
            Kind::MacAddress => "mac address",
            Kind::AbsolutePath => "absolute path",
            Kind::HostPort => "host and port",
            Kind::HostName => "infrastructure host name",
            Kind::HostByKey => "host (by key)",
            Kind::UserByKey => "user (by key)",
            Kind::ContractField => "malformed contract field",
            Kind::EventName => "malformed event name",
        }
    }
}

/// A string to check and the context its key gives it.
#[derive(Debug, Clone, Copy)]
pub struct Text<'a> {
    pub s: &'a str,
    pub b: &'a [u8],
    pub ctx: Context,
}

impl<'a> Text<'a> {
    pub fn new(s: &'a str, ctx: Context) -> Text<'a> {
        Text {
            s,
            b: s.as_bytes(),
            ctx,
        }
    }
}

pub type Check = fn(&Text) -> Option<Kind>;

/// The generic rules, most specific first. Each is linear in the string.
pub const RULES: &[(&str, Check)] = &[
    ("secrets of well-known shapes", secrets::shaped),
    ("values under secret-like keys", secrets::by_key),
    ("URLs", network::url),
    ("user@host", people::at_sign),
    ("UNC paths", paths::unc),
    ("Azure subscriptions", cloud::azure),
    ("AWS account ids", cloud::aws_account),
    ("GCP project ids", cloud::gcp_project),
    ("EC2-style resource ids", cloud::resource_id),
    ("IP addresses, CIDRs, MACs", network::address),
    ("home directories", paths::home),
    ("absolute paths", paths::absolute),
    ("name:port", network::host_port),
    ("dotted host names", network::host_name),
    ("words under host-like keys", people::host_by_key),
    ("words under user-like keys", people::user_by_key),
];
