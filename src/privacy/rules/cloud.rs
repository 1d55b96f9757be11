//! Cloud identifiers: AWS account ids and ARNs, Azure subscriptions, GCP projects, EC2-style
//! resource ids. Found in the string as given (a console URL is public, its ids are not).

use super::prelude::*;

pub const RULES: &[Rule] = &[
    Rule {
        id: "cloud.arn",
        kind: Kind::CloudAccount,
        about: "AWS ARNs (`arn:aws:…`, `arn:aws-us-gov:…`)",
        scope: Scope::Raw,
        keywords: &["arn:aws"],
        pattern: r"(?i)\b{start-half}arn:aws(?:-[a-z-]+)?:[a-z0-9-]+:",
        catches: &[
            ("iam_role", "arn:aws:iam::123456789012:role/k3s-node"),
            ("bucket", "arn:aws:s3:::acme-k3s-state"),
        ],
        keeps: &[("", "warn:aws credentials missing")],
        ..Rule::BASE
    },
    Rule {
        id: "cloud.aws-account",
        kind: Kind::CloudAccount,
        about: "12-digit AWS account ids before `.dkr.ecr.` or within a few words after \"account\" (not the public image publishers')",
        scope: Scope::Raw,
        keywords: &["account", ".dkr.ecr."],
        pattern: r"(?i)(?:\b{start-half}[0-9]{12}\.dkr\.ecr\.|account[^0-9\r\n]{0,24}\b{start-half}[0-9]{12}\b{end-half})",
        validate: Some(aws_account),
        catches: &[
            ("note", "deployed in account 210987654321"),
            (
                "image",
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.0",
            ),
        ],
        keeps: &[
            ("bytes", "123456789012"),
            ("", "AMI owner account 099720109477 (Canonical)"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "cloud.account-by-key",
        kind: Kind::CloudAccount,
        about: "12 digits under a key naming an account (`aws_account_id`, `owner_id`)",
        scope: Scope::Value,
        context: When::In(&[Context::Account]),
        validate: Some(twelve_digits),
        catches: &[
            ("aws_account_id", "123456789012"),
            ("account", "998877665544"),
        ],
        keeps: &[("account", "1234567890123"), ("owners", "099720109477")],
        ..Rule::BASE
    },
    Rule {
        id: "cloud.azure-subscription",
        kind: Kind::AzureSubscription,
        about: "Azure resource paths (`/subscriptions/<uuid>/…`)",
        scope: Scope::Raw,
        keywords: &["subscriptions/"],
        pattern: r"(?i)subscriptions/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b{end-half}",
        catches: &[(
            "resource_id",
            "/subscriptions/0b6c1a2e-3f4d-4e5f-8a9b-123456789012/resourceGroups/rg-k3s",
        )],
        keeps: &[("", "subscriptions/list")],
        ..Rule::BASE
    },
    Rule {
        id: "cloud.subscription-by-key",
        kind: Kind::AzureSubscription,
        about: "a UUID under a subscription or tenant key",
        scope: Scope::Value,
        context: When::In(&[Context::Subscription]),
        validate: Some(uuid),
        catches: &[
            ("subscription_id", "9d2f1c44-8e7a-4b1c-9f0e-2a3b4c5d6e7f"),
            ("tenant_id", "72f988bf-86f1-41af-91ab-2d7cd011db47"),
        ],
        keeps: &[("idempotency_key", "0b6c1a2e-3f4d-4e5f-8a9b-123456789012")],
        ..Rule::BASE
    },
    Rule {
        id: "cloud.gcp-project",
        kind: Kind::GcpProject,
        about: "GCP project ids in resource names (`projects/<id>/…`) and Artifact Registry paths (`<region>-docker.pkg.dev/<id>/`)",
        scope: Scope::Raw,
        keywords: &["projects/", ".pkg.dev/"],
        pattern: r"(?i)(?:\b{start-half}projects/|\.pkg\.dev/)[a-z][a-z0-9-]{4,28}[a-z0-9]\b{end-half}",
        validate: Some(gcp_resource),
        catches: &[
            (
                "note",
                "projects/acme-staging-2024/zones/europe-west1-b/instances/vm1",
            ),
            (
                "image",
                "europe-docker.pkg.dev/acme-platform-77/images/api:1.0",
            ),
        ],
        keeps: &[
            ("", "projects/productive-k3s/x"),
            ("", "see the projects/ folder"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "cloud.project-by-key",
        kind: Kind::GcpProject,
        about: "a project-id-shaped value (6–30 of `a-z0-9-`, with a digit or hyphen) under a project key",
        scope: Scope::Value,
        context: When::In(&[Context::Project]),
        validate: Some(gcp_by_key),
        catches: &[
            ("gcp_project", "acme-prod-123456"),
            ("project_id", "my-k3s-lab-42"),
        ],
        keeps: &[("project", "productive-k3s"), ("project", "default")],
        ..Rule::BASE
    },
    Rule {
        id: "cloud.resource-id",
        kind: Kind::CloudResource,
        about: "EC2 and VPC resource ids: `i-`, `vol-`, `sg-`, `subnet-`, `vpc-`, `ami-`, … and 8 or 17 hex digits",
        keywords: &["-"],
        pattern: r"\b{start-half}(?:i|vol|sg|subnet|vpc|ami|eni|snap|igw|nat|rtb|acl|eipalloc|eipassoc|lt|tgw|tgw-attach|vpce|pcx|eigw|dopt|fs|fsmt|cgw|vgw|elb|sir|lb|cr|rtbassoc|aclassoc)-(?:[0-9a-f]{17}|[0-9a-f]{8})\b{end-half}",
        validate: Some(resource_id),
        catches: &[
            ("instance", "i-0abcd1234ef567890"),
            ("detail", "subnet-1a2b3c4d in vpc-0f9e8d7c6b5a43210"),
        ],
        keeps: &[("", "api-12345678 is not an id")],
        ..Rule::BASE
    },
];

/// The 12 digits of an account, not a public image publisher's.
fn aws_account(c: &Cand) -> bool {
    let t = c.text();
    let digits: Vec<u8> = t.iter().copied().filter(u8::is_ascii_digit).collect();
    let id = digits
        .get(digits.len().saturating_sub(12)..)
        .unwrap_or_default();
    let id = if t.first().is_some_and(u8::is_ascii_digit) {
        digits.get(..12).unwrap_or_default()
    } else {
        id
    };
    !public::AWS_PUBLISHERS.iter().any(|p| p.as_bytes() == id)
}

/// A delimited run of exactly 12 digits, not a publisher's.
fn twelve_digits(c: &Cand) -> bool {
    c.text().split(|b| !b.is_ascii_alphanumeric()).any(|w| {
        w.len() == 12
            && w.iter().all(u8::is_ascii_digit)
            && !public::AWS_PUBLISHERS.iter().any(|p| p.as_bytes() == w)
    })
}

fn uuid(c: &Cand) -> bool {
    super::super::text::uuid(c.text())
}

/// Our own project's names are public.
fn ours(p: &[u8]) -> bool {
    p.starts_with(b"productive-k3s") || p.starts_with(b"pk3s")
}

fn gcp_resource(c: &Cand) -> bool {
    let t = c.text();
    let id = t.rsplit(|&b| b == b'/').next().unwrap_or_default();
    !ours(&lower(id)) && c.after(0) != Some(b'.')
}

/// 6–30 of lower-case letters, digits and hyphens, starting with a letter, with a digit or
/// hyphen (a plain word is a name, not an id).
fn gcp_by_key(c: &Cand) -> bool {
    let p = c.text();
    (6..=30).contains(&p.len())
        && p.first().is_some_and(u8::is_ascii_lowercase)
        && p.last().is_some_and(|&b| b != b'-')
        && p.iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && p.iter().any(|&b| b.is_ascii_digit() || b == b'-')
        && !ours(p)
}

/// The prefix stands alone (`api-12345678` is not `i-…`).
fn resource_id(c: &Cand) -> bool {
    !c.before(1).is_some_and(|b| b == b'-' || b == b'.')
}
