//! Who decides whether telemetry is on: a flag, then TELEMETRY_ENABLED, then DO_NOT_TRACK,
//! then a saved choice (the user's, then the machine's); only `resolve` may go on to ask a
//! person. `send`, `env` and `flush` never ask.

use std::io::{BufRead, IsTerminal, Write};

use crate::choice::{self, Choice, Places, Saved, Scope};
use crate::settings::{Settings, Verbosity, parse_bool};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env,
    DoNotTrack,
    /// `pk3s-telemetry enable|disable`, saved for the user.
    UserConfig,
    /// `pk3s-telemetry enable|disable --system`, saved for the machine.
    SystemConfig,
    Prompt,
    /// `send --if-undecided`: the calling script's own answer, below every other source.
    Caller,
    Default,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Flag => "flag",
            Source::Env => "env",
            Source::DoNotTrack => "do_not_track",
            Source::UserConfig => "user_config",
            Source::SystemConfig => "system_config",
            Source::Prompt => "prompt",
            Source::Caller => "caller",
            Source::Default => "default",
        }
    }
}

/// Where a decision came from, in words for an operator (`status`, `enable`).
pub fn describe(source: Source) -> String {
    let file = |scope| {
        Places::from_env()
            .file(scope)
            .map_or_else(String::new, |p| format!(" ({})", p.display()))
    };
    match source {
        Source::Flag => "the --telemetry flag".to_string(),
        Source::Env => "TELEMETRY_ENABLED in the environment".to_string(),
        Source::DoNotTrack => "DO_NOT_TRACK in the environment".to_string(),
        Source::UserConfig => format!("this user's saved choice{}", file(Scope::User)),
        Source::SystemConfig => format!("the machine's saved choice{}", file(Scope::System)),
        Source::Prompt => "the answer at the terminal".to_string(),
        Source::Caller => "the calling script (send --if-undecided)".to_string(),
        Source::Default => "the default (nobody has decided)".to_string(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consent {
    pub enabled: bool,
    pub source: Source,
}

/// Steps 1–3b of the contract: an explicit decision (a flag, the environment or a saved
/// choice), or `None` when nobody has decided. A saved `disable` is as explicit as
/// TELEMETRY_ENABLED=0: it stops `flush` too. A saved `enable` given to an older notice
/// than `NOTICE` has lapsed: it counts as no choice. The files are read only when steps 1–3
/// are silent.
pub fn explicit(flag: Option<bool>, settings: &Settings) -> Option<Consent> {
    from_run(flag, settings).or_else(|| saved(settings.out).counts)
}

/// The saved choices as they count now.
#[derive(Debug, Default)]
pub struct SavedNow {
    /// The one that decides: the user's, else the machine's, lapsed ones passed over.
    pub counts: Option<Consent>,
    /// A saved `enable` passed over because the notice changed since it was given.
    pub lapsed: Option<Saved>,
}

pub fn saved(out: Verbosity) -> SavedNow {
    let mut now = SavedNow::default();
    let places = Places::from_env();
    for s in choice::load(&places, out) {
        if s.choice.lapsed(NOTICE) {
            now.lapsed.get_or_insert(s);
            continue;
        }
        now.counts = Some(Consent {
            enabled: s.choice.enabled,
            source: match s.scope {
                Scope::User => Source::UserConfig,
                Scope::System => Source::SystemConfig,
            },
        });
        break;
    }
    now
}

/// Steps 1–3: what this run was told by its flag or environment.
pub fn from_run(flag: Option<bool>, settings: &Settings) -> Option<Consent> {
    if let Some(enabled) = flag {
        return Some(Consent {
            enabled,
            source: Source::Flag,
        });
    }
    if let Some(enabled) = settings.enabled {
        return Some(Consent {
            enabled,
            source: Source::Env,
        });
    }
    settings.do_not_track.then_some(Consent {
        enabled: false,
        source: Source::DoNotTrack,
    })
}

/// `send`'s decision: an explicit one (the environment or a saved choice) holds; only
/// where nobody has decided does `if_undecided` (a caller that asked its user itself, as
/// upstream's layers do before they call their sender) stand for the answer; else off.
pub fn for_send(if_undecided: Option<bool>, settings: &Settings) -> Consent {
    explicit(None, settings).unwrap_or(match if_undecided {
        Some(enabled) => Consent {
            enabled,
            source: Source::Caller,
        },
        None => Consent {
            enabled: false,
            source: Source::Default,
        },
    })
}

/// All five steps, for `resolve`: when nobody has decided and a person is at a terminal,
/// ask once; otherwise off. When the question is asked because a saved `enable` lapsed,
/// the answer is saved for the user in its place (with the notice it answered), as
/// `enable`/`disable` would: that person chose to be asked once, not on every run.
pub fn with_prompt(flag: Option<bool>, settings: &Settings) -> Consent {
    if let Some(c) = from_run(flag, settings) {
        return c;
    }
    let saved = saved(settings.out);
    if let Some(c) = saved.counts {
        return c;
    }
    let off = Consent {
        enabled: false,
        source: Source::Default,
    };
    if !person_at_terminal() {
        return off;
    }
    let keep = saved.lapsed.as_ref().and(Places::from_env().user);
    let intro = saved.lapsed.as_ref().map(|l| {
        let place = keep.as_ref().map_or_else(
            || "run `pk3s-telemetry enable` (or disable) to keep it".to_string(),
            |p| format!("your answer is saved in {}", p.display()),
        );
        format!(
            "What is collected has changed since telemetry was enabled here (notice version {}, now {NOTICE}), so you are asked again; {place}.\n",
            l.choice.notice
        )
    });
    let stdin = std::io::stdin();
    let answer = ask(
        &mut stdin.lock(),
        &mut std::io::stderr(),
        intro.as_deref().unwrap_or_default(),
    );
    match answer {
        Ok(Some(enabled)) => {
            if let Some(path) = &keep {
                let choice = Choice {
                    enabled,
                    notice: NOTICE,
                };
                if let Err(e) = choice::save(path, Scope::User, choice) {
                    settings.out.warn(e);
                }
            }
            Consent {
                enabled,
                source: Source::Prompt,
            }
        }
        // No answer (end of input) or the terminal failed: nobody said yes.
        Ok(None) => off,
        Err(e) => {
            settings.out.warn(format_args!(
                "cannot ask on the terminal ({e}); telemetry is off"
            ));
            off
        }
    }
}

/// Standard input and standard error are terminals and this is not CI. Standard output
/// is not looked at: under `eval "$(…)"` it is a pipe.
fn person_at_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal() && !under_ci()
}

pub use crate::settings::under_ci;

/// The version of the notice: the question's words, above all what it says is collected.
/// Raise it when what is collected changes: every saved `enable` of an older version then
/// lapses (`resolve` asks again at a terminal; everything else counts it as undecided). A
/// saved `disable` always holds.
pub const NOTICE: u32 = 1;

/// The words upstream's layers promise and their tests assert ("anonymous telemetry",
/// "sensitive information like hostnames or other environment-specific identifiers",
/// "propagated to the underlying productive-k3s bootstrap steps"). Each phrase stays on
/// one line so that a test reading the terminal finds it whole.
pub const QUESTION: &str = "\
Productive K3S can send anonymous telemetry about this run to help improve the installation flow: which steps ran, how they ended, and the OS and software versions involved.
It does not include any sensitive information like hostnames or other environment-specific identifiers.
If enabled, this choice will also be propagated to the underlying productive-k3s bootstrap steps.
This answer is for this run only: `pk3s-telemetry enable` or `pk3s-telemetry disable` saves a choice for every run (TELEMETRY_ENABLED=false or DO_NOT_TRACK=1 says no for one run).
";
const PROMPT: &str = "Enable anonymous telemetry for this run? [Y/n] ";
/// Unclear answers are asked again this many times in all, then count as no answer.
const TRIES: usize = 3;

/// Asks on the terminal, one line at a time (the terminal's own line mode: Ctrl-C stops
/// the whole script, as at any shell prompt, and no terminal mode is left changed).
/// Enter means yes. `None`: end of input, or no clear answer.
pub fn ask(
    input: &mut impl BufRead,
    term: &mut impl Write,
    intro: &str,
) -> std::io::Result<Option<bool>> {
    term.write_all(intro.as_bytes())?;
    term.write_all(QUESTION.as_bytes())?;
    for _ in 0..TRIES {
        term.write_all(PROMPT.as_bytes())?;
        term.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            term.write_all(b"\n")?;
            return Ok(None);
        }
        let answer = line.trim();
        if answer.is_empty() {
            return Ok(Some(true));
        }
        if let Some(yes) = parse_bool(answer) {
            return Ok(Some(yes));
        }
        term.write_all(b"Please answer y (yes) or n (no).\n")?;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(typed: &str) -> (Option<bool>, String) {
        let mut term = Vec::new();
        let got = ask(&mut typed.as_bytes(), &mut term, "").unwrap();
        (got, String::from_utf8(term).unwrap())
    }

    #[test]
    fn enter_is_yes_and_words_are_read() {
        assert_eq!(answer("\n").0, Some(true));
        assert_eq!(answer("  Y \n").0, Some(true));
        assert_eq!(answer("yes\n").0, Some(true));
        assert_eq!(answer("n\n").0, Some(false));
        assert_eq!(answer("NO\n").0, Some(false));
    }

    #[test]
    fn unclear_answers_are_asked_again_then_count_as_none() {
        let (got, term) = answer("maybe\nn\n");
        assert_eq!(got, Some(false));
        assert_eq!(term.matches(PROMPT).count(), 2);
        let (got, term) = answer("a\nb\nc\ny\n");
        assert_eq!(got, None);
        assert_eq!(term.matches(PROMPT).count(), TRIES);
    }

    #[test]
    fn end_of_input_is_no_answer() {
        assert_eq!(answer("").0, None);
    }

    #[test]
    fn the_question_carries_the_words_the_layers_promise() {
        // Upstream's consent tests assert these phrases, each on one line.
        for phrase in [
            "anonymous telemetry",
            "sensitive information like hostnames or other environment-specific identifiers",
            "propagated to the underlying productive-k3s bootstrap steps",
        ] {
            assert!(
                QUESTION.lines().any(|l| l.contains(phrase)),
                "{phrase:?} missing"
            );
        }
        assert!(PROMPT.contains("anonymous telemetry"));
        // How to make it stick, by the commands' names.
        assert!(QUESTION.contains("`pk3s-telemetry enable`"));
        assert!(QUESTION.contains("`pk3s-telemetry disable`"));
    }
}
