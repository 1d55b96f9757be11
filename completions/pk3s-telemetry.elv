
use builtin;
use str;

set edit:completion:arg-completer[pk3s-telemetry] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'pk3s-telemetry'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'pk3s-telemetry'= {
            cand --outbox 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]'
            cand --endpoint 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]'
            cand -q 'Print nothing but errors'
            cand --quiet 'Print nothing but errors'
            cand -v 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand --verbose 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand send 'Deliver a run manifest or an event now, with bounded retries; keep it in the outbox if it cannot be delivered'
            cand resolve 'Decide consent (asking once at a terminal) and this run''s ids; print them and the settings that were set, for `eval`'
            cand env 'Print the context for a nested child (same session, this run as its parent), or run COMMAND with it'
            cand check 'Check JSON files (run manifests, test artifacts) for identifiers; exit 1 naming each path found'
            cand flush 'Replay the outbox oldest first; delete what is delivered, keep the rest for later'
            cand enable 'Save "telemetry on" for this user (or with --system for the machine)'
            cand disable 'Save "telemetry off" for this user (or with --system for the machine); --purge also discards what waits in the outbox'
            cand status 'Show where things stand: consent and its source, endpoint, proxy, outbox counts, last delivery'
            cand log 'Show what left this machine from this outbox, newest first; --show prints one body byte for byte'
            cand completion 'Print the completion script for a shell (bash, zsh, fish, elvish or powershell)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pk3s-telemetry;send'= {
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand manifest 'Wrap a run manifest (a JSON object) in the install envelope and deliver it'
            cand event 'Deliver a ready-made JSON event object as it is, or build the standard lifecycle event with --name'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pk3s-telemetry;send;manifest'= {
            cand --repository 'Source repository for the envelope''s client block [env: TELEMETRY_SOURCE_REPOSITORY] [default: productive-k3s]'
            cand --script 'Source script for the envelope''s client block [env: TELEMETRY_SOURCE_SCRIPT] [default: scripts/apply.sh]'
            cand --exit-code 'Exit code of the run, a number [env: TELEMETRY_EXIT_CODE] [default: 0]'
            cand --component 'The component reporting, e.g. cli, infra, core [env: TELEMETRY_COMPONENT] [default: core]'
            cand --session-id 'The session shared by the whole chain [env: TELEMETRY_SESSION_ID] [default: none, sent as ""; resolve exports one]'
            cand --run-id 'This run''s id [env: TELEMETRY_RUN_ID] [default: the manifest''s run_id, else a new one]'
            cand --parent-run-id 'The run that started this one [env: TELEMETRY_PARENT_RUN_ID] [default: none, sent as ""]'
            cand --if-undecided 'What this call counts as when nobody has decided (no TELEMETRY_ENABLED, DO_NOT_TRACK or saved choice): the drop-in shims pass enable, as their caller asked first [default: disable]'
            cand --outbox 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]'
            cand --endpoint 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]'
            cand --dry-run 'Print the exact request (token masked) and send nothing, write nothing'
            cand --background 'Return once the payload is safe in the outbox; a detached process delivers it [env: TELEMETRY_DELIVERY=background]'
            cand -q 'Print nothing but errors'
            cand --quiet 'Print nothing but errors'
            cand -v 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand --verbose 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pk3s-telemetry;send;event'= {
            cand --name 'Build the standard lifecycle event with this event_name (e.g. core.apply.completed)'
            cand --command 'The command.name of a built event'
            cand --result 'The command.result of a built event (e.g. success, failure)'
            cand --family 'The event_family of a built event'
            cand --field 'An extra command.K string field of a built event; repeatable'
            cand --repository 'Source repository for the event''s client block [env: TELEMETRY_SOURCE_REPOSITORY] [default: productive-k3s]'
            cand --script 'Source script for the event''s client block [env: TELEMETRY_SOURCE_SCRIPT] [default: scripts/apply.sh]'
            cand --component 'The component reporting, e.g. cli, infra, core [env: TELEMETRY_COMPONENT] [default: core]'
            cand --session-id 'The session shared by the whole chain [env: TELEMETRY_SESSION_ID] [default: none, sent as ""; resolve exports one]'
            cand --parent-run-id 'The run that started this one [env: TELEMETRY_PARENT_RUN_ID] [default: none, sent as ""]'
            cand --if-undecided 'What this call counts as when nobody has decided (no TELEMETRY_ENABLED, DO_NOT_TRACK or saved choice): the drop-in shims pass enable, as their caller asked first [default: disable]'
            cand --outbox 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]'
            cand --endpoint 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]'
            cand --run-id 'This run''s id [env: TELEMETRY_RUN_ID] [default: a new one]'
            cand --dry-run 'Print the exact request (token masked) and send nothing, write nothing'
            cand --background 'Return once the payload is safe in the outbox; a detached process delivers it [env: TELEMETRY_DELIVERY=background]'
            cand -q 'Print nothing but errors'
            cand --quiet 'Print nothing but errors'
            cand -v 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand --verbose 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pk3s-telemetry;send;help'= {
            cand manifest 'Wrap a run manifest (a JSON object) in the install envelope and deliver it'
            cand event 'Deliver a ready-made JSON event object as it is, or build the standard lifecycle event with --name'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pk3s-telemetry;send;help;manifest'= {
        }
        &'pk3s-telemetry;send;help;event'= {
        }
        &'pk3s-telemetry;send;help;help'= {
        }
        &'pk3s-telemetry;resolve'= {
            cand --component 'This layer''s name, e.g. cli, infra, core [env: TELEMETRY_COMPONENT] [default: core]'
            cand --telemetry 'The decision for the whole chain; wins over TELEMETRY_ENABLED and DO_NOT_TRACK'
            cand --format 'format'
            cand --outbox 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]'
            cand --endpoint 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]'
            cand --json 'The same as --format json'
            cand -q 'Print nothing but errors'
            cand --quiet 'Print nothing but errors'
            cand -v 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand --verbose 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pk3s-telemetry;env'= {
            cand --format 'format'
            cand --outbox 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]'
            cand --endpoint 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]'
            cand --json 'The same as --format json'
            cand -q 'Print nothing but errors'
            cand --quiet 'Print nothing but errors'
            cand -v 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand --verbose 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pk3s-telemetry;check'= {
            cand --format 'text: one `FILE: PATH: KIND` line per finding; json: one JSON object per file ({"file", "clean", "findings": [{"document", "path", "kind", "object_key"}]})'
            cand --explain 'Say why: the rule that fired, and the string with each identifier masked (`FILE: PATH: RULE (KIND): "node ready at [ip address]"`)'
            cand --json 'The same as --format json'
            cand -q 'Print nothing but errors'
            cand --quiet 'Print nothing but errors'
            cand -v 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand --verbose 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pk3s-telemetry;flush'= {
            cand --limit 'Send at most N entries in this run (the rest stay for a later flush)'
            cand --max-time 'Start no request after this many seconds (the summary counts what was not tried)'
            cand --reroute 'Send every entry to URL, also those written for another endpoint (each entry goes where it was written for otherwise)'
            cand --to 'Move every pending entry into FILE, a new bundle to carry to a host that can deliver it (flush --from FILE there); never overwrites a file'
            cand --from 'Deliver the payloads of a bundle made by flush --to, each to the endpoint it was written for; what is not delivered is kept in this outbox'
            cand --format 'format'
            cand --outbox 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]'
            cand --endpoint 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]'
            cand --dry-run 'List what would be sent, expired or set aside; send nothing, change nothing'
            cand --rejected 'First move the entries of rejected/ back into the outbox, so that each is tried once more'
            cand --json 'The same as --format json'
            cand -q 'Print nothing but errors'
            cand --quiet 'Print nothing but errors'
            cand -v 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand --verbose 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pk3s-telemetry;enable'= {
            cand --system 'Save it for the machine (/etc/productive-k3s/telemetry.conf; needs root) instead of this user'
            cand -q 'Print nothing but errors'
            cand --quiet 'Print nothing but errors'
            cand -v 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand --verbose 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pk3s-telemetry;disable'= {
            cand --outbox 'The outbox that --purge empties, and whose waiting entries are counted [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]'
            cand --system 'Save it for the machine (/etc/productive-k3s/telemetry.conf; needs root) instead of this user'
            cand --purge 'Also discard every payload waiting in the outbox (pending, rejected/, corrupt/, the old scripts'' files); never sends one'
            cand -q 'Print nothing but errors'
            cand --quiet 'Print nothing but errors'
            cand -v 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand --verbose 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pk3s-telemetry;status'= {
            cand --format 'format'
            cand --outbox 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]'
            cand --endpoint 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]'
            cand --json 'The same as --format json'
            cand -q 'Print nothing but errors'
            cand --quiet 'Print nothing but errors'
            cand -v 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand --verbose 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pk3s-telemetry;log'= {
            cand --show 'Print the exact body of the newest payload with this event id that left, byte for byte, and nothing else'
            cand --since 'Only what left since T: an RFC 3339 time (2026-12-01T00:00:00Z) or a time ago (90m, 24h, 7d)'
            cand --limit 'At most the newest N'
            cand --format 'format'
            cand --outbox 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]'
            cand --endpoint 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]'
            cand --json 'The same as --format json'
            cand -q 'Print nothing but errors'
            cand --quiet 'Print nothing but errors'
            cand -v 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand --verbose 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pk3s-telemetry;completion'= {
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pk3s-telemetry;help'= {
            cand send 'Deliver a run manifest or an event now, with bounded retries; keep it in the outbox if it cannot be delivered'
            cand resolve 'Decide consent (asking once at a terminal) and this run''s ids; print them and the settings that were set, for `eval`'
            cand env 'Print the context for a nested child (same session, this run as its parent), or run COMMAND with it'
            cand check 'Check JSON files (run manifests, test artifacts) for identifiers; exit 1 naming each path found'
            cand flush 'Replay the outbox oldest first; delete what is delivered, keep the rest for later'
            cand enable 'Save "telemetry on" for this user (or with --system for the machine)'
            cand disable 'Save "telemetry off" for this user (or with --system for the machine); --purge also discards what waits in the outbox'
            cand status 'Show where things stand: consent and its source, endpoint, proxy, outbox counts, last delivery'
            cand log 'Show what left this machine from this outbox, newest first; --show prints one body byte for byte'
            cand completion 'Print the completion script for a shell (bash, zsh, fish, elvish or powershell)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pk3s-telemetry;help;send'= {
            cand manifest 'Wrap a run manifest (a JSON object) in the install envelope and deliver it'
            cand event 'Deliver a ready-made JSON event object as it is, or build the standard lifecycle event with --name'
        }
        &'pk3s-telemetry;help;send;manifest'= {
        }
        &'pk3s-telemetry;help;send;event'= {
        }
        &'pk3s-telemetry;help;resolve'= {
        }
        &'pk3s-telemetry;help;env'= {
        }
        &'pk3s-telemetry;help;check'= {
        }
        &'pk3s-telemetry;help;flush'= {
        }
        &'pk3s-telemetry;help;enable'= {
        }
        &'pk3s-telemetry;help;disable'= {
        }
        &'pk3s-telemetry;help;status'= {
        }
        &'pk3s-telemetry;help;log'= {
        }
        &'pk3s-telemetry;help;completion'= {
        }
        &'pk3s-telemetry;help;help'= {
        }
    ]
    $completions[$command]
}
