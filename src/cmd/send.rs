//! `send manifest` and `send event`: build or read the payload, hand it to the send use
//! case (`outbox::send`: guard, write-ahead, attempts or a background deliverer, settle),
//! and say what came of it. With consent off this is a silent no-op: no request, no DNS
//! lookup, no file.

use std::process::ExitCode;

use serde_json::{Map, Value};

use crate::attempt::Outcome;
use crate::cli::{Correlation, EventArgs, ManifestArgs, SendOptions, Telemetry};
use crate::cmd::{DELIVERED, NOT_DELIVERED, UsageError, print};
use crate::consent::{self, Consent};
use crate::delivery::{Client, headers};
use crate::outbox::background::Handoff;
use crate::outbox::send::{self, Mode, Sent, Start};
use crate::payload::{self, Context, Payload};
use crate::settings::Settings;

pub fn manifest(args: &ManifestArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let Some((consent, url)) = preflight(&args.send, settings)? else {
        return Ok(ExitCode::from(DELIVERED));
    };
    let (_, manifest) = payload::read_object(&args.path)?;
    let exit_code = exit_code(args.exit_code.as_deref(), settings)?;
    // Upstream uses the manifest's own run_id as the run id when none is handed in.
    let own_run = manifest
        .get("run_id")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty());
    let ctx = context(
        settings,
        consent,
        &args.ids,
        own_run,
        &args.repository,
        &args.script,
    );
    let payload = Payload::manifest(manifest, &ctx, exit_code);
    deliver(payload, &args.send, settings, url.as_deref())
}

pub fn event(args: &EventArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let Some((consent, url)) = preflight(&args.send, settings)? else {
        return Ok(ExitCode::from(DELIVERED));
    };
    let payload = match (&args.path, &args.name) {
        (Some(path), _) => {
            if let Some(flag) = args.ids.given() {
                return Err(UsageError(format!(
                    "{flag} applies to built events (--name); a ready-made event goes out as it is"
                ))
                .into());
            }
            let (bytes, object) = payload::read_object(path)?;
            Payload::raw(bytes, object)
        }
        (None, Some(name)) => {
            if name.trim().is_empty() {
                return Err(UsageError("--name: the event name must not be empty".into()).into());
            }
            let ctx = context(
                settings,
                consent,
                &args.ids,
                None,
                &args.repository,
                &args.script,
            );
            Payload::event(&args.family, name, command(args)?, &ctx)
        }
        // clap requires one of the two.
        (None, None) => return Err(UsageError("send event needs PATH or --name".into()).into()),
    };
    deliver(payload, &args.send, settings, url.as_deref())
}

/// Consent and endpoint: `None` when there is nothing to do. A dry run goes on either way
/// (printing is not sending) and says why the request would not go out.
fn preflight(
    opts: &SendOptions,
    settings: &Settings,
) -> anyhow::Result<Option<(Consent, Option<String>)>> {
    let consent = consent::for_send(opts.if_undecided.map(|t| t == Telemetry::Enable), settings);
    let out = settings.out;
    if !consent.enabled {
        if !opts.dry_run {
            out.info(format_args!(
                "telemetry is off ({}): nothing sent",
                consent.source.as_str()
            ));
            return Ok(None);
        }
        out.warn(format_args!(
            "telemetry is off ({}): this request would not be sent",
            consent.source.as_str()
        ));
    }
    let url = settings.endpoint()?;
    if url.is_none() {
        if !opts.dry_run {
            out.info("TELEMETRY_ENDPOINT is empty: nothing sent");
            return Ok(None);
        }
        out.warn("TELEMETRY_ENDPOINT is empty: this request would not be sent");
    }
    Ok(Some((consent, url)))
}

/// The correlation and client facts of a built payload; each flag overrides its variable.
/// The run id: `--run-id`, TELEMETRY_RUN_ID, the manifest's own, else a new one; absent
/// session and parent ids go out as `""`, as the scripts sent them.
fn context(
    settings: &Settings,
    consent: Consent,
    ids: &Correlation,
    own_run: Option<&str>,
    repository: &Option<String>,
    script: &Option<String>,
) -> Context {
    let pick = |flag: &Option<String>, var: &Option<String>| flag.clone().or_else(|| var.clone());
    Context {
        session_id: pick(&ids.session_id, &settings.session_id).unwrap_or_default(),
        run_id: pick(&ids.run_id, &settings.run_id)
            .or_else(|| own_run.map(str::to_string))
            .unwrap_or_else(payload::new_id),
        parent_run_id: pick(&ids.parent_run_id, &settings.parent_run_id).unwrap_or_default(),
        component: ids
            .component
            .clone()
            .unwrap_or_else(|| settings.component.clone()),
        repository: repository.as_ref().unwrap_or(&settings.repository).clone(),
        script: script.as_ref().unwrap_or(&settings.script).clone(),
        user_agent: settings.user_agent.clone(),
        telemetry_enabled: consent.enabled,
    }
}

/// `--exit-code`, else TELEMETRY_EXIT_CODE, else 0; must be a whole number.
fn exit_code(flag: Option<&str>, settings: &Settings) -> Result<Value, UsageError> {
    let (source, value) = match (flag, &settings.exit_code) {
        (Some(v), _) => ("--exit-code", v),
        (None, Some(v)) => ("TELEMETRY_EXIT_CODE", v.as_str()),
        (None, None) => return Ok(Value::from(0)),
    };
    value
        .trim()
        .parse::<i64>()
        .map(Value::from)
        .map_err(|_| UsageError(format!("{source}: {value:?} is not a whole number")))
}

/// The `command` block of a built event: name, result, then the `--field` pairs.
fn command(args: &EventArgs) -> Result<Map<String, Value>, UsageError> {
    let mut m = Map::new();
    m.insert("name".into(), args.command.clone().into());
    m.insert("result".into(), args.result.clone().into());
    for field in &args.fields {
        let Some((k, v)) = field.split_once('=') else {
            return Err(UsageError(format!("--field {field:?}: expected K=V")));
        };
        if k.is_empty() || k == "name" || k == "result" {
            return Err(UsageError(format!(
                "--field {field:?}: the key must be non-empty and not name or result (use --command, --result)"
            )));
        }
        m.insert(k.to_string(), Value::from(v));
    }
    Ok(m)
}

/// Sends through the send use case (`outbox::send`) and says what came of it.
fn deliver(
    payload: Payload,
    opts: &SendOptions,
    settings: &Settings,
    url: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let out = settings.out;
    let mode = match (opts.dry_run, opts.background || settings.background) {
        (true, _) => Mode::DryRun,
        (false, true) => Mode::Background,
        (false, false) => Mode::Foreground,
    };
    // Without an endpoint a dry run prints the request it would make; nothing else happens.
    let Some(target) = url.or((mode == Mode::DryRun).then_some("")) else {
        return Ok(ExitCode::from(DELIVERED));
    };
    match send::send(Start::New(payload, target), mode, settings)? {
        Sent::DryRun(payload) => {
            print(&dry_run(&payload, settings, url)?)?;
            Ok(ExitCode::from(DELIVERED))
        }
        Sent::Delivered | Sent::Gone => Ok(ExitCode::from(DELIVERED)),
        Sent::Handed(path, handed) => {
            let path = path.display();
            match handed {
                Ok(Handoff::Started(pid)) => out.info(format_args!(
                    "kept {path} and handed it to a background deliverer (pid {pid})"
                )),
                Ok(Handoff::Running) => out.info(format_args!(
                    "kept {path}; the background deliverer already running will send it"
                )),
                Err(e) => out.warn(format_args!(
                    "kept {path} for a later flush: cannot start a background deliverer: {e}"
                )),
            }
            Ok(ExitCode::from(DELIVERED))
        }
        Sent::Spared(path, down, left) => {
            out.warn(format_args!(
                "not sent: {} did not answer a moment ago ({}, at {}); kept in {} for a later flush (sends to it wait {}s more before trying again; flush tries at once)",
                down.url,
                down.why,
                down.at,
                path.display(),
                left.as_secs().max(1)
            ));
            Ok(ExitCode::from(NOT_DELIVERED))
        }
        Sent::Settled(path, report) => {
            let last = report
                .last()
                .map(|a| a.answer.to_string())
                .unwrap_or_default();
            let n = report.attempts.len();
            let tries = if n == 1 { "attempt" } else { "attempts" };
            match (report.outcome, &report.stopped) {
                (Outcome::Rejected, _) => out.warn(format_args!(
                    "rejected by the receiver ({last}) after {n} {tries}; kept apart in {}",
                    path.display()
                )),
                (_, Some(why)) if why.contains("credentials") => out.warn(format_args!(
                    "not delivered after {n} {tries}: {why}; in {}",
                    path.display()
                )),
                _ => out.warn(format_args!(
                    "not delivered after {n} {tries} ({last}); kept in {} for a later flush",
                    path.display()
                )),
            }
            Ok(ExitCode::from(NOT_DELIVERED))
        }
    }
}

/// The exact request, token masked.
fn dry_run(payload: &Payload, settings: &Settings, url: Option<&str>) -> anyhow::Result<String> {
    if let Some(u) = url {
        // Fails as a real send would on a bad proxy variable.
        Client::new(settings, u)?;
    }
    let masked = settings.token.as_ref().map(|_| "********");
    let mut s = format!("POST {}\n", url.unwrap_or("(no endpoint)"));
    for (name, value) in headers(
        &settings.user_agent,
        &settings.marker,
        masked,
        &payload.event_id,
    ) {
        s.push_str(&format!("{name}: {value}\n"));
    }
    s.push('\n');
    let body = settings.protocol.body(payload);
    s.push_str(&String::from_utf8_lossy(&body));
    s.push('\n');
    Ok(s)
}
