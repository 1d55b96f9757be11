//! More issued tokens by their prefixes: cloud providers, HashiCorp, package registries,
//! and other services a bootstrap may hold a token for.

use super::prelude::*;

pub const RULES: &[Rule] = &[
    Rule {
        id: "vendor.mail",
        about: "Mailgun (`key-…`, `pubkey-…`), Mailchimp (`…-us12`), Brevo (`xkeysib-…`) keys",
        scope: Scope::Raw,
        keywords: &["key-", "-us", "xkeysib-"],
        pattern: r"\b{start-half}(?:(?:pub)?key-[0-9a-f]{32}|[0-9a-f]{32}-us[0-9]{1,2}|xkeysib-[0-9a-f]{64}-[A-Za-z0-9]{16})\b{end-half}",
        catches: &[
            ("", "mailgun key-6a29744839664ff61ab064918d1307ef"),
            ("", "bd0b4bcee7e70e72bf4508aa961e5640-us12"),
            (
                "",
                "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",
            ),
        ],
        keeps: &[("", "key-value store"), ("", "en-us1")],
        ..Rule::BASE
    },
    Rule {
        id: "vendor.aws-key-id",
        about: "AWS access key ids (`AKIA…`, `ASIA…`, …) and Bedrock keys",
        scope: Scope::Raw,
        keywords: &[
            "akia", "asia", "abia", "acca", "agpa", "aida", "aroa", "aipa", "anpa", "anva", "apka",
            "a3t", "absk",
        ],
        pattern: r"\b{start-half}(?:(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b{end-half}|ABSK[A-Za-z0-9+/]{100,}={0,2})",
        catches: &[
            ("aws_access_key_id", "AKIAIOSFODNN7EXAMPLE"),
            ("note", "session ASIAB16MKCNNKVAO2PW7 expired"),
        ],
        keeps: &[
            ("", "AKIA is the prefix of long-term keys"),
            ("", "AKIAIOSFODNN7EXAMPLEX"),
        ],
        ..Rule::BASE
    },
    Rule {
        id: "vendor.gcp",
        about: "Google API keys (`AIza…`), OAuth tokens (`ya29.`) and client secrets (`GOCSPX-`), service-account key files",
        scope: Scope::Raw,
        keywords: &["aiza", "ya29.", "gocspx-", "service_account"],
        pattern: r"(?:\b{start-half}AIza[0-9A-Za-z_-]{35}|\b{start-half}ya29\.[0-9A-Za-z_-]{20,}|GOCSPX-[A-Za-z0-9_-]{20,}|\x22type\x22\s*:\s*\x22service_account\x22)",
        catches: &[
            ("", "AIzaWyJxV9sQVsKkhFMPWvYdIIBDpdAWy-Bv3WL"),
            (
                "",
                "Authorization done with ya29.qXgralv6o8gjPowL5L0YoJSa0G7OHSrSTAulJuaRfvSBdfdwPDqPvzmwN0GP",
            ),
            ("", "{\"type\": \"service_account\", \"project_id\": \"x\"}"),
        ],
        keeps: &[("", "AIza keys"), ("", "a service_account is used")],
        ..Rule::BASE
    },
    Rule {
        id: "vendor.azure",
        about: "Azure AD client secrets, storage account keys, SAS signatures",
        scope: Scope::Raw,
        keywords: &["q~", "accountkey=", "sig=", "sharedaccesskey="],
        pattern: r"(?:\b{start-half}[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}|(?i:AccountKey|SharedAccessKey)=[A-Za-z0-9+/]{30,}={0,2}|[?&](?i:sig)=[A-Za-z0-9%+/=]{16,})",
        catches: &[
            ("", "client_secret=bP88Q~BYXLfFMPDM3yk76xx4gW_k_vpbdNsai4l0"),
            (
                "conn",
                "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=UY4+HxMCMisu0OHTYoVgkzE6R8LE8JyOO91DHAwvmxH92IFGloLiAvbE31YHx3ybLW1zHY+KDhUGVR2hHuDxnQ==",
            ),
            (
                "",
                "https://acme.blob.core.windows.net/c/x?sv=2022-11-02&sig=PY6okXLluMHU6RMfc9d2RE03KMlk9zy0tDYckjl7LyP%3D",
            ),
        ],
        keeps: &[("", "Q~ marks"), ("", "sig=1")],
        ..Rule::BASE
    },
    Rule {
        id: "vendor.cloud",
        about: "DigitalOcean (`dop_v1_`), Alibaba (`LTAI`), Scaleway (`SCW`), Cloudflare origin-CA, Heroku (`HRKU-`) and Fly.io (`fo1_`) tokens",
        scope: Scope::Raw,
        keywords: &[
            "dop_v1_", "doo_v1_", "dor_v1_", "ltai", "scw", "v1.0-", "hrku-", "fo1_", "fm1", "fm2_",
        ],
        pattern: r"\b{start-half}(?:do[por]_v1_[a-f0-9]{64}|LTAI[A-Za-z0-9]{12,20}|SCW[A-Z0-9]{17}|v1\.0-[a-f0-9]{24}-[a-f0-9]{146}|HRKU-[A-Za-z0-9_-]{30,}|fo1_[A-Za-z0-9_-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,})",
        validate: Some(real_token),
        catches: &[
            (
                "",
                "dop_v1_e5cca36533a13cacf82c184bf2a3ecdef91d7187f88d7dca6ab99e02823ffada",
            ),
            ("", "LTAIyoHqeY2ilIV7emxOzHJ9"),
            ("", "SCW6Z5G7JFZ5M0OORNBK"),
            (
                "",
                "HRKU-AAzgQYzoZKlIeF_X2ShV9Idcqe_XO7kIgHONxfqveHuXCdkH3lSW88Gj_RFR",
            ),
            (
                "",
                "FLY_API_TOKEN=fo1_Bau9Yvab9HjsxHfrC9zzU9OgsqSK1JMUXVAxReIFH0C",
            ),
        ],
        keeps: &[("", "dop_v1_ prefix"), ("", "SCW region fr-par")],
        ..Rule::BASE
    },
    Rule {
        id: "vendor.hashicorp",
        about: "Vault tokens (`hvs.`, `hvb.`, `hvr.`) and Terraform Cloud tokens (`….atlasv1.…`)",
        scope: Scope::Raw,
        keywords: &["hvs.", "hvb.", "hvr.", "atlasv1"],
        pattern: r"(?:\b{start-half}hv[sbr]\.[A-Za-z0-9_-]{24,}|[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,})",
        validate: Some(real_token),
        catches: &[
            (
                "",
                "VAULT_TOKEN=hvs.ORtbge6u-26t33DsfR9p2OH2pKcHFN8xiQQ7S4w3T9CxF_kWvjTt5L8XOkzWNChPVMPcwaXM5ovjdAE3jYuAj4ck_0",
            ),
            (
                "",
                "NciERB5LmiXP2a.atlasv1.hSqzNmMw0TYiH51Nf3CgqN96jLSXleNC9H2mVbtR3csNSp4YnsShzsxq65pH5useUj3",
            ),
        ],
        keeps: &[("", "hvs. tokens are service tokens")],
        ..Rule::BASE
    },
    Rule {
        id: "vendor.registry",
        about: "Package and registry tokens: npm (`npm_`), PyPI (`pypi-AgEI…`), Docker Hub (`dckr_pat_`), RubyGems, NuGet, JFrog, Harbor-style robot secrets",
        scope: Scope::Raw,
        keywords: &[
            "npm_",
            "pypi-ageichlwas5vcmc",
            "dckr_pat_",
            "dckr_oat_",
            "rubygems_",
            "oy2",
            "akcp",
            "cmvmdgtu",
        ],
        pattern: r"\b{start-half}(?:npm_[A-Za-z0-9]{36}|pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}|dckr_(?:pat|oat)_[A-Za-z0-9_-]{20,}|rubygems_[a-f0-9]{48}|oy2[a-z0-9]{43}|AKCp[A-Za-z0-9]{60,}|cmVmdGtu[A-Za-z0-9]{50,})",
        validate: Some(real_token),
        catches: &[
            (
                "",
                "//registry.npmjs.org/:_authToken=npm_fsYxPr52YenxoMGE7ulEse2tlB4XjBMAbP3r",
            ),
            (
                "",
                "pypi-AgEIcHlwaS5vcmcIyXX4uDl45U6pMpIAymiDaRf7mQpBM4aT6q3dF7z4rJArFrtMVxX_dpF0k5nTuT6D_wpVf",
            ),
            ("", "docker login -p dckr_pat_fXbqbxLILQsFJOXaVd17VmLoPPe"),
        ],
        keeps: &[("", "npm_config_cache"), ("", "dckr_pat_ tokens")],
        ..Rule::BASE
    },
    Rule {
        id: "vendor.apps",
        about: "Other issued tokens with a prefix: Grafana (`glc_`, `glsa_`), Sentry, New Relic, Stripe, Twilio, Shopify, OpenAI, Anthropic, Hugging Face, Linear, Postman, Databricks, Doppler, Pulumi, Atlassian, Bitbucket, age, 1Password, Rancher API keys",
        scope: Scope::Raw,
        keywords: &[
            "glc_",
            "glsa_",
            "eyjrijoi",
            "sntrys_",
            "sntryu_",
            "nrak-",
            "nrjs-",
            "nrii-",
            "sk_live_",
            "sk_test_",
            "rk_live_",
            "sk_prod_",
            "shpat_",
            "shpss_",
            "shpca_",
            "shppa_",
            "sk-proj-",
            "sk-svcacct-",
            "sk-admin-",
            "t3blbkfj",
            "sk-ant-",
            "hf_",
            "lin_api_",
            "pmak-",
            "dapi",
            "dp.pt.",
            "dp.st.",
            "dp.sa.",
            "dp.ct.",
            "pul-",
            "atatt3",
            "atbb",
            "age-secret-key-1",
            "ops_eyj",
            "token-",
            "sk",
        ],
        pattern: r"\b{start-half}(?:glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|eyJrIjoi[A-Za-z0-9]{60,}|sntry[su]_[A-Za-z0-9+/=_]{40,}|NR(?:AK|JS|II)-[A-Za-z0-9]{19,}|[sr]k_(?:live|test|prod)_[A-Za-z0-9]{10,}|SK[0-9a-f]{32}\b{end-half}|shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}|sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|sk-ant-[a-z0-9]+-[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{30,}|lin_api_[A-Za-z0-9]{40}|PMAK-[a-f0-9]{24}-[a-f0-9]{34}|dapi[a-f0-9]{32}|dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}|pul-[a-f0-9]{40}|ATATT3[A-Za-z0-9_=-]{100,}|ATBB[A-Za-z0-9_=.-]{28,}|AGE-SECRET-KEY-1[0-9A-Z]{58}|ops_eyJ[A-Za-z0-9+/=]{100,}|token-[a-z0-9]{5}:[a-z0-9]{40,})",
        validate: Some(real_token),
        catches: &[
            ("", "glc_6GDDTszofepbaiZecFTTDPL8t6zZAz0BQ60kj38N=="),
            ("", "STRIPE=sk_live_gKmI7L1fNpFwpoTfcTeAoVyz"),
            (
                "",
                "OPENAI_API_KEY=sk-proj-cFP2qti63Dbtno_5lk-g5aIvoCsmMM8DEia3K_86BURI8R-f",
            ),
            ("", "hf_56WjmLvIf0vtkztHYIhf6J6yX5pOsFDxNZ"),
            (
                "rancher",
                "token-blfly:bylf4w10l3dhq7tfzowvgpdldbm3wehqrwel3k9es0lxdi4d2ci9gs",
            ),
            (
                "",
                "AGE-SECRET-KEY-1ED5OG4KMYMU8YRBDE6AD1S39K1JA2L73LW63UHJ30HDHORFWID9RYFFIIW",
            ),
        ],
        keeps: &[
            ("", "sk_live_ keys start so"),
            ("", "token-bucket rate limiter"),
            ("", "hf_hub cache"),
        ],
        ..Rule::BASE
    },
];
