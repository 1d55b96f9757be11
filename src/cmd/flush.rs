//! `flush`: replay the outbox (see `outbox::replay`), and say what came of it: a summary
//! line on stderr, or JSON on stdout with `--format json`.

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use serde_json::{Value, json};

use crate::cli::{FlushArgs, ReportFormat};
use crate::cmd::{DELIVERED, NOT_DELIVERED, carry, print};
use crate::consent;
use crate::delivery::Client;
use crate::error::{count, plain_io};
use crate::outbox::census;
use crate::outbox::replay::{Counts, MAX_WORKERS, Options, Replayer, Sink, Summary};
use crate::outbox::route::Route;
use crate::outbox::stored::Planned;
use crate::settings::{Settings, Verbosity};

/// How often the progress line is redrawn on a terminal.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

pub fn run(args: &FlushArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let out = settings.out;
    // Only an explicit "no" (steps 1-3) stops a flush: entries exist because someone said yes.
    if let Some(c) = consent::explicit(None, settings).filter(|c| !c.enabled) {
        if !args.dry_run {
            out.note(format_args!(
                "telemetry is off ({}): flush sends nothing and keeps the outbox as it is",
                c.source.as_str()
            ));
            return nothing_done(args, "telemetry is off");
        }
        out.warn(format_args!(
            "telemetry is off ({}): a real flush would send nothing",
            c.source.as_str()
        ));
    }
    if let Some(file) = &args.to {
        return carry::to(args, file, settings);
    }
    let route = Route::of(settings, args.reroute.as_deref())?;
    if route.is_none() && !args.dry_run {
        out.note("TELEMETRY_ENDPOINT is empty: flush sends nothing and keeps the outbox as it is");
        return nothing_done(args, "TELEMETRY_ENDPOINT is empty");
    }
    // A dry run with an empty endpoint still lists what is there.
    let route = route.unwrap_or_else(|| Route::nowhere(settings));
    // The ledger says who delivered: a bundle's payloads are `from`.
    let by = if args.from.is_some() { "from" } else { "flush" };
    let replayer = Replayer::new(settings, route, by);
    let dir = replayer.outbox.dir.clone();
    if let Some(w) = replayer.outbox.exposure() {
        out.warn(w);
    }
    if let Some(file) = &args.from {
        return carry::from(args, file, &replayer, settings);
    }
    if args.rejected && !args.dry_run {
        restore_rejected(&replayer, "to try once more", out);
    }
    let listing = match replayer.outbox.scan() {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            out.note(format_args!(
                "flush: the outbox {} does not exist: nothing to deliver",
                dir.display()
            ));
            return nothing_done(args, "the outbox does not exist");
        }
        Err(e) => {
            return Err(anyhow!(
                "the outbox {}: cannot read it: {}",
                dir.display(),
                plain_io(&e)
            ));
        }
    };
    if args.dry_run {
        let plan = replayer.plan(&listing, args.limit);
        return dry_run(&plan, census::rejected(&dir), args.format, out);
    }
    let mut sink = printer(&replayer, args, settings)?;
    let mut n = Counts::default();
    let todo = replayer.prepare(listing, &mut n, &mut sink);
    deliver(&replayer, &todo, n, 0, args, sink, settings)
}

/// The printer of a replay, once the settings are known good: a bad proxy setting is a
/// usage error before anything is touched (each worker then makes its own client, its own
/// connection, for each endpoint).
pub(super) fn printer(
    replayer: &Replayer,
    args: &FlushArgs,
    settings: &Settings,
) -> anyhow::Result<Printer> {
    let out = settings.out;
    let route = &replayer.route;
    let first = route.reroute.as_ref().or(route.explicit.as_ref());
    let url = first.unwrap_or(&route.fallback);
    let client = Client::new(settings, url)?;
    if let Some(note) = &client.proxy_note {
        out.info(note);
    }
    let progress =
        !out.quiet && args.format == ReportFormat::Text && std::io::stderr().is_terminal();
    Ok(Printer {
        out,
        progress,
        last: None,
        shown: false,
    })
}

/// One attempt for each entry of `todo`, then the summary (with `damaged` lines of a
/// bundle skipped) and the exit status.
pub(super) fn deliver(
    replayer: &Replayer,
    todo: &[String],
    n: Counts,
    damaged: usize,
    args: &FlushArgs,
    mut sink: Printer,
    settings: &Settings,
) -> anyhow::Result<ExitCode> {
    let out = settings.out;
    let opts = Options {
        limit: args.limit,
        max_time: Duration::from_secs(args.max_time),
        workers: MAX_WORKERS,
        progress: sink.progress,
    };
    let summary = replayer.run(todo, n, &opts, &mut sink);
    sink.clear();
    let summary = summary.map_err(|fatal| anyhow!(fatal))?;
    if summary.n.delivered > 0 {
        let what = count(summary.n.delivered, "entry", "entries");
        census::note(&settings.outbox_dir, "flush", &what, out);
    }
    report(
        &summary,
        replayer.route.reroute.as_deref(),
        damaged,
        census::rejected(&replayer.outbox.dir),
        args.format,
        out,
    )?;
    let n = &summary.n;
    Ok(ExitCode::from(
        if n.kept > 0 || n.rejected > 0 || damaged > 0 {
            NOT_DELIVERED
        } else {
            DELIVERED
        },
    ))
}

/// `--rejected`: moves what `rejected/` holds back among the pending entries, saying how
/// many and `why`.
pub(super) fn restore_rejected(replayer: &Replayer, why: &str, out: Verbosity) {
    let (moved, errors) = replayer.outbox.restore_rejected();
    for e in errors {
        out.warn(e);
    }
    out.info(format_args!(
        "moved {} back from rejected/ {why}",
        count(moved, "entry", "entries")
    ));
}

/// A flush with nothing to do: exit 0, and with `--format json` a summary that says why
/// (a dry run's summary for a dry run).
fn nothing_done(args: &FlushArgs, why: &str) -> anyhow::Result<ExitCode> {
    if args.format == ReportFormat::Json {
        let summary = if args.dry_run {
            dry_summary([0; 4], 0)
        } else {
            summary_json(&Counts::default(), Some(why))
        };
        print(&format!("{summary}\n"))?;
    }
    Ok(ExitCode::from(DELIVERED))
}

fn report(
    s: &Summary,
    reroute: Option<&str>,
    damaged: usize,
    in_rejected: usize,
    format: ReportFormat,
    out: Verbosity,
) -> anyhow::Result<()> {
    if format == ReportFormat::Json {
        let mut j = summary_json(&s.n, s.stopped.as_deref());
        j["elsewhere"] = json!(s.n.elsewhere);
        j["written_for"] = json!(s.elsewhere);
        j["no_token"] = json!(s.n.no_token);
        j["rerouted_to"] = json!(reroute);
        if damaged > 0 {
            j["damaged"] = json!(damaged);
        }
        j["in_rejected"] = json!(in_rejected);
        return print(&format!("{j}\n"));
    }
    let n = &s.n;
    let mut line = format!(
        "flush: delivered={} kept={} rejected={} expired={}",
        n.delivered, n.kept, n.rejected, n.expired
    );
    if damaged > 0 {
        line.push_str(&format!(
            " damaged={damaged} (lines of the bundle skipped, named above)"
        ));
    }
    if n.set_aside > 0 {
        line.push_str(&format!(" set_aside={}", n.set_aside));
    }
    if n.in_use > 0 {
        line.push_str(&format!(" in_use={}", n.in_use));
    }
    if n.already_left > 0 {
        line.push_str(&format!(
            " already_left={} (not sent again: the ledger says they left)",
            n.already_left
        ));
    }
    if n.elsewhere > 0 {
        line.push_str(&format!(
            " elsewhere={}; kept, written for {} (the settings name another endpoint; flush --reroute URL sends them there)",
            n.elsewhere,
            s.elsewhere.join(", ")
        ));
    }
    if n.no_token > 0 {
        line.push_str(&format!(
            " no_token={}; kept, written with a bearer token and TELEMETRY_BEARER_TOKEN is not set",
            n.no_token
        ));
    }
    if let Some(r) = reroute {
        line.push_str(&format!("; re-routed to {r} (--reroute)"));
    }
    if let Some(why) = &s.stopped {
        line.push_str(&format!(
            "; stopped early, {why}: {} not tried, kept for a later flush",
            n.not_tried
        ));
    }
    line.push_str(&rejected_note(in_rejected));
    out.note(line);
    Ok(())
}

/// What waits in `rejected/`, which a flush does not replay unless asked.
fn rejected_note(n: usize) -> String {
    if n == 0 {
        return String::new();
    }
    format!(
        "; {} in rejected/, not replayed (`flush --rejected` tries {} once more)",
        count(n, "entry", "entries"),
        if n == 1 { "it" } else { "them" }
    )
}

fn summary_json(n: &Counts, stopped: Option<&str>) -> Value {
    json!({
        "type": "summary",
        "delivered": n.delivered,
        "kept": n.kept,
        "not_tried": n.not_tried,
        "rejected": n.rejected,
        "expired": n.expired,
        "set_aside": n.set_aside,
        "in_use": n.in_use,
        "foreign": n.foreign,
        "already_left": n.already_left,
        "stopped": stopped,
    })
}

fn dry_run(
    plan: &[Planned],
    in_rejected: usize,
    format: ReportFormat,
    out: Verbosity,
) -> anyhow::Result<ExitCode> {
    let count = |a: &str| plan.iter().filter(|p| p.action == a).count();
    let (send, expire, aside, leave) = (
        count("send"),
        count("expire"),
        count("set_aside"),
        count("leave"),
    );
    let mut text = String::new();
    for p in plan {
        if format == ReportFormat::Json {
            let mut o = json!({
                "type": "entry",
                "action": p.action,
                "path": p.path.display().to_string(),
            });
            if let Some(k) = &p.key {
                o["key"] = json!(k);
            }
            if let Some(a) = p.attempt {
                o["attempt"] = json!(a);
            }
            if let Some(r) = &p.reason {
                o["reason"] = json!(r);
            }
            text.push_str(&format!("{o}\n"));
            continue;
        }
        let verb = match p.action {
            "set_aside" => "set aside",
            other => other,
        };
        let path = p.path.display();
        text.push_str(&match (&p.key, p.attempt, &p.reason) {
            (Some(k), Some(a), _) => format!("would send {path} key={k} attempt={a}\n"),
            (_, _, Some(r)) if matches!(p.action, "expire" | "send") => {
                format!("would {verb} {path} ({r})\n")
            }
            (_, _, Some(r)) => format!("would {verb} {path}: {r}\n"),
            _ => format!("would {verb} {path}\n"),
        });
    }
    if format == ReportFormat::Json {
        let summary = dry_summary([send, expire, aside, leave], in_rejected);
        text.push_str(&format!("{summary}\n"));
    }
    print(&text)?;
    out.note(format_args!(
        "flush --dry-run: would send {send}, expire {expire}, set aside {aside}{}; nothing sent, nothing changed",
        rejected_note(in_rejected)
    ));
    Ok(ExitCode::from(DELIVERED))
}

/// A dry run's JSON summary: how many it would send, expire, set aside and leave.
fn dry_summary([send, expire, aside, leave]: [usize; 4], in_rejected: usize) -> Value {
    json!({
        "type": "summary",
        "dry_run": true,
        "send": send,
        "expire": expire,
        "set_aside": aside,
        "leave": leave,
        "in_rejected": in_rejected,
    })
}

/// Prints what a replay reports; on a terminal, a progress line redrawn in place and
/// cleared before any other message.
pub(super) struct Printer {
    out: Verbosity,
    progress: bool,
    last: Option<Instant>,
    shown: bool,
}

impl Printer {
    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
            self.shown = false;
        }
    }
}

impl Sink for Printer {
    fn warn(&mut self, msg: &str) {
        self.clear();
        self.out.warn(msg);
    }

    fn info(&mut self, msg: &str) {
        if self.out.verbose {
            self.clear();
            self.out.info(msg);
        }
    }

    fn progress(&mut self, done: usize, total: usize, n: &Counts) {
        if !self.progress || self.last.is_some_and(|t| t.elapsed() < PROGRESS_EVERY) {
            return;
        }
        self.last = Some(Instant::now());
        self.shown = true;
        eprint!(
            "\r\x1b[Kpk3s-telemetry: flush: {done}/{total} delivered={} kept={}",
            n.delivered, n.kept
        );
    }
}
