//! What kind of identifier a string held: the words a report uses.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    // This machine and run (see `local.rs`).
    Token,
    Hostname,
    UserName,
    Listed,
    HomeDir,
    CurrentDir,
    // The table of rules (see `rules/`).
    Secret,
    UrlWithCredentials,
    Url,
    SshTarget,
    Email,
    UncPath,
    DomainAccount,
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
        Kind::DomainAccount,
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
            Kind::DomainAccount => "domain account",
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
