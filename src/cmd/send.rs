//! `send manifest` and `send event`: write the payload ahead into the outbox, deliver it
//! with bounded retries (or hand it to a background deliverer), and say what came of it.
//! With consent off this is a silent no-op: no request, no DNS lookup, no file.

use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::attempt::Outcome;
use crate::cli::{Correlation, EventArgs, ManifestArgs, SendOptions, Telemetry};
use crate::cmd::{DELIVERED, NOT_DELIVERED, UsageError, print};
use crate::consent::{self, Consent};
use crate::delivery::proxy::proxy_for;
use crate::delivery::{Client, headers, policy};
use crate::error::plain_io;
use crate::outbox::background::Handoff;
use crate::outbox::census;
use crate::outbox::{Outbox, Pending};
use crate::payload::{self, Context, Payload};
use crate::privacy::{self, Guard};
use crate::settings::{Settings, Verbosity};

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

fn deliver(
    mut payload: Payload,
    opts: &SendOptions,
    settings: &Settings,
    url: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let out = settings.out;
    // Before anything is printed, sent or kept.
    let guard = Guard::from_env(settings.token.as_deref());
    privacy::protect(&mut payload, &guard, privacy::Mode::from_env(out), out)?;
    payload.stamp(1, OffsetDateTime::now_utc());
    if opts.dry_run {
        print(&dry_run(&payload, settings, url)?)?;
        return Ok(ExitCode::from(DELIVERED));
    }
    let Some(url) = url else {
        return Ok(ExitCode::from(DELIVERED));
    };
    let outbox = Outbox::new(&settings.outbox_dir);
    // Written ahead of the first attempt and claimed until the last: a kill or a panic from
    // here on leaves it in the outbox, and no flush sends it meanwhile.
    let pending = outbox.write_ahead(&payload);
    if pending.is_ok()
        && let Some(w) = outbox.exposure()
    {
        out.warn(w);
    }
    let pending = match pending {
        Ok(p) if opts.background || settings.background => {
            // Only a bad proxy setting can stop it now; the deliverer makes the client.
            if let Err(e) = proxy_for(url) {
                let _ = outbox.settle(p, Outcome::Kept, &[]);
                return Err(e.into());
            }
            return background(&outbox, p, url, out);
        }
        other => other,
    };
    let client = match Client::new(settings, url) {
        Ok(c) => c,
        Err(e) => {
            // A good payload stopped by a bad setting is kept for a later flush.
            let kept = match pending {
                Ok(p) => outbox.settle(p, Outcome::Kept, &[]).ok().flatten(),
                Err(_) => None,
            };
            let Some(path) = kept else {
                return Err(e.into());
            };
            return Err(UsageError(format!(
                "{e}; the payload is kept in {} for a flush once that is fixed",
                path.display()
            ))
            .into());
        }
    };
    if let Some(note) = &client.proxy_note {
        out.info(note);
    }
    let pending = match pending {
        Ok(p) => Some(p),
        // Sent all the same; said below only if it is not delivered.
        Err(e) => {
            out.info(format_args!(
                "the outbox {} cannot hold the payload ahead of sending: {}",
                outbox.dir.display(),
                plain_io(&e)
            ));
            None
        }
    };
    let report = policy::deliver(
        |b, k| client.post(b, k),
        &mut payload,
        1,
        settings.max_attempts,
        None,
        out,
    );
    if report.outcome == Outcome::Delivered {
        let answer = report.last().map(|a| a.answer.to_string());
        census::note(
            &settings.outbox_dir,
            "send",
            &answer.unwrap_or_default(),
            out,
        );
    }
    let cannot_keep = || {
        format!(
            "not delivered, and the outbox {} cannot keep it",
            settings.outbox_dir.display()
        )
    };
    let Some(pending) = pending else {
        if report.outcome == Outcome::Delivered {
            return Ok(ExitCode::from(DELIVERED));
        }
        // Tried once more, for the error that says why it cannot be kept.
        let why = match outbox.write_ahead(&payload) {
            Err(e) => plain_io(&e),
            Ok(p) => {
                outbox.settle(p, report.outcome, &report.attempts)?;
                return Ok(ExitCode::from(NOT_DELIVERED));
            }
        };
        return Err(anyhow::anyhow!("{}: {why}", cannot_keep()));
    };
    let stem = pending.stem.clone();
    let path = match outbox.settle(pending, report.outcome, &report.attempts) {
        Ok(path) => path,
        Err(e) if report.outcome == Outcome::Delivered => {
            out.warn(format_args!(
                "delivered, but {} cannot be removed from the outbox ({}); a later flush sends it again under the same key",
                outbox.json(&stem).display(),
                plain_io(&e)
            ));
            None
        }
        Err(e) => return Err(e).with_context(cannot_keep),
    };
    let Some(path) = path else {
        return Ok(ExitCode::from(DELIVERED));
    };
    if report.outcome == Outcome::Kept {
        for w in outbox.cap_after_send(&stem, settings.outbox_caps) {
            out.warn(w);
        }
    }
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

/// `--background`: the payload is in the outbox; a detached deliverer takes it from here.
fn background(
    outbox: &Outbox,
    pending: Pending,
    url: &str,
    out: Verbosity,
) -> anyhow::Result<ExitCode> {
    let stem = pending.stem.clone();
    // Let go of the claim, so that the deliverer (or a flush) can take the entry.
    drop(pending);
    match outbox.hand_off(&stem, url) {
        Ok(Handoff::Started(pid)) => out.info(format_args!(
            "kept {} and handed it to a background deliverer (pid {pid})",
            outbox.json(&stem).display()
        )),
        Ok(Handoff::Running) => out.info(format_args!(
            "kept {}; the background deliverer already running will send it",
            outbox.json(&stem).display()
        )),
        Err(e) => out.warn(format_args!(
            "kept {} for a later flush: cannot start a background deliverer: {}",
            outbox.json(&stem).display(),
            plain_io(&e)
        )),
    }
    Ok(ExitCode::from(DELIVERED))
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
    s.push_str(&String::from_utf8_lossy(&payload.body()));
    s.push('\n');
    Ok(s)
}
