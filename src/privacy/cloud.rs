//! Cloud identifiers: AWS account ids and ARNs, Azure subscriptions, GCP projects, and
//! EC2-style resource ids.

use super::context::Context;
use super::public;
use super::rules::{Kind, Text};
use super::text::{before, find_ci, is_word, placeholder, run_len};

/// AWS: an ARN; 12 digits under an account key, before `.dkr.ecr.`, or within a few words
/// after "account" in free text. The public image publishers' accounts pass.
pub fn aws_account(t: &Text) -> Option<Kind> {
    let b = t.b;
    let arn = find_ci(b, b"arn:aws").any(|i| {
        !before(b, i).is_some_and(is_word) && matches!(b.get(i + 7), Some(b':') | Some(b'-'))
    });
    if arn {
        return Some(Kind::CloudAccount);
    }
    let mut i = 0;
    while i < b.len() {
        let n = run_len(b, i, |c| c.is_ascii_digit());
        if n == 0 {
            i += 1;
            continue;
        }
        let run = b.get(i..i + n).unwrap_or_default();
        let alone = !before(b, i).is_some_and(|c| c.is_ascii_alphanumeric())
            && !b.get(i + n).is_some_and(|c| c.is_ascii_alphanumeric());
        if n == 12 && alone && !public::AWS_PUBLISHERS.iter().any(|p| p.as_bytes() == run) {
            let ecr = b.get(i + n..).is_some_and(|r| {
                r.len() >= 9
                    && r.get(..9)
                        .is_some_and(|w| w.eq_ignore_ascii_case(b".dkr.ecr."))
            });
            let said = b
                .get(i.saturating_sub(24)..i)
                .is_some_and(|w| find_ci(w, b"account").next().is_some());
            if t.ctx == Context::Account || ecr || said {
                return Some(Kind::CloudAccount);
            }
        }
        i += n;
    }
    None
}

/// 8-4-4-4-12 hex digits from `i`.
fn uuid_at(b: &[u8], i: usize) -> bool {
    let Some(w) = b.get(i..i + 36) else {
        return false;
    };
    w.iter().enumerate().all(|(j, c)| {
        if matches!(j, 8 | 13 | 18 | 23) {
            *c == b'-'
        } else {
            c.is_ascii_hexdigit()
        }
    }) && !b.get(i + 36).is_some_and(|&c| is_word(c))
}

/// Azure: `subscriptions/<uuid>` anywhere (resource ids, portal URLs); a UUID under a
/// subscription or tenant key.
pub fn azure(t: &Text) -> Option<Kind> {
    let b = t.b;
    let path = find_ci(b, b"subscriptions/").any(|i| uuid_at(b, i + 14));
    let keyed = t.ctx == Context::Subscription && {
        let v = t.s.trim();
        uuid_at(v.as_bytes(), 0) && v.len() == 36
    };
    (path || keyed).then_some(Kind::AzureSubscription)
}

/// A GCP project id's shape: 6–30 of lowercase letters, digits, hyphens; starts with a
/// letter, does not end with a hyphen.
fn project_shape(p: &[u8]) -> bool {
    (6..=30).contains(&p.len())
        && p.first().is_some_and(u8::is_ascii_lowercase)
        && p.last().is_some_and(|&c| c != b'-')
        && p.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
}

/// Our own project's names are public.
fn ours(p: &[u8]) -> bool {
    p.starts_with(b"productive-k3s") || p.starts_with(b"pk3s")
}

/// GCP: a project-shaped value with a digit or hyphen under a project key; `projects/<id>` in resource names;
/// `<region>-docker.pkg.dev/<id>/` (Artifact Registry).
pub fn gcp_project(t: &Text) -> Option<Kind> {
    let b = t.b;
    if t.ctx == Context::Project {
        let v = t.s.trim().as_bytes();
        let marked = v.iter().any(|&c| c.is_ascii_digit() || c == b'-');
        if project_shape(v) && marked && !ours(v) && !placeholder(t.s) {
            return Some(Kind::GcpProject);
        }
    }
    let after = |i: usize| {
        let n = run_len(b, i, |c| c.is_ascii_alphanumeric() || c == b'-');
        b.get(i..i + n)
            .is_some_and(|p| project_shape(p) && !ours(p))
    };
    let resource =
        find_ci(b, b"projects/").any(|i| !before(b, i).is_some_and(is_word) && after(i + 9));
    let registry = find_ci(b, b".pkg.dev/").any(|i| after(i + 9));
    (resource || registry).then_some(Kind::GcpProject)
}

/// EC2 and VPC resource id prefixes (`i-0abc…`, `vol-…`, `sg-…`, `subnet-…`, `vpc-…`).
#[rustfmt::skip]
const RESOURCE_PREFIXES: &[&str] = &[
    "i", "vol", "sg", "subnet", "vpc", "ami", "eni", "snap", "igw", "nat", "rtb", "acl",
    "eipalloc", "eipassoc", "lt", "tgw", "tgw-attach", "vpce", "pcx", "eigw", "dopt", "fs",
    "fsmt", "cgw", "vgw", "elb", "key", "sir", "lb", "cr", "rtbassoc", "aclassoc",
];

/// `<prefix>-` then 8 or 17 hex digits, delimited.
pub fn resource_id(t: &Text) -> Option<Kind> {
    let b = t.b;
    for (i, _) in b.iter().enumerate().filter(|(_, c)| **c == b'-') {
        let hex = run_len(b, i + 1, |c| c.is_ascii_hexdigit());
        if hex != 8 && hex != 17 {
            continue;
        }
        let end = i + 1 + hex;
        if b.get(end).is_some_and(|&c| is_word(c) || c == b'-') {
            continue;
        }
        let hit = RESOURCE_PREFIXES.iter().any(|p| {
            let p = p.as_bytes();
            i >= p.len()
                && b.get(i - p.len()..i).is_some_and(|w| w == p)
                && !before(b, i - p.len()).is_some_and(|c| is_word(c) || c == b'-')
        });
        if hit {
            return Some(Kind::CloudResource);
        }
    }
    None
}
