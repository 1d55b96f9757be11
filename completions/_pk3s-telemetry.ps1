
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'pk3s-telemetry' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'pk3s-telemetry'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'pk3s-telemetry' {
            [CompletionResult]::new('--outbox', '--outbox', [CompletionResultType]::ParameterName, 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Deliver a run manifest or an event now, with bounded retries; keep it in the outbox if it cannot be delivered')
            [CompletionResult]::new('resolve', 'resolve', [CompletionResultType]::ParameterValue, 'Decide consent (asking once at a terminal) and this run''s ids; print them and the settings that were set, for `eval`')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Print the context for a nested child (same session, this run as its parent), or run COMMAND with it')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check JSON files (run manifests, test artifacts) for identifiers; exit 1 naming each path found')
            [CompletionResult]::new('flush', 'flush', [CompletionResultType]::ParameterValue, 'Replay the outbox oldest first; delete what is delivered, keep the rest for later')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Save "telemetry on" for this user (or with --system for the machine)')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Save "telemetry off" for this user (or with --system for the machine); --purge also discards what waits in the outbox')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show where things stand: consent and its source, endpoint, proxy, outbox counts, last delivery')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Show what left this machine from this outbox, newest first; --show prints one body byte for byte')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell (bash, zsh, fish, elvish or powershell)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pk3s-telemetry;send' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('manifest', 'manifest', [CompletionResultType]::ParameterValue, 'Wrap a run manifest (a JSON object) in the install envelope and deliver it')
            [CompletionResult]::new('event', 'event', [CompletionResultType]::ParameterValue, 'Deliver a ready-made JSON event object as it is, or build the standard lifecycle event with --name')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pk3s-telemetry;send;manifest' {
            [CompletionResult]::new('--repository', '--repository', [CompletionResultType]::ParameterName, 'Source repository for the envelope''s client block [env: TELEMETRY_SOURCE_REPOSITORY] [default: productive-k3s]')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'Source script for the envelope''s client block [env: TELEMETRY_SOURCE_SCRIPT] [default: scripts/apply.sh]')
            [CompletionResult]::new('--exit-code', '--exit-code', [CompletionResultType]::ParameterName, 'Exit code of the run, a number [env: TELEMETRY_EXIT_CODE] [default: 0]')
            [CompletionResult]::new('--component', '--component', [CompletionResultType]::ParameterName, 'The component reporting, e.g. cli, infra, core [env: TELEMETRY_COMPONENT] [default: core]')
            [CompletionResult]::new('--session-id', '--session-id', [CompletionResultType]::ParameterName, 'The session shared by the whole chain [env: TELEMETRY_SESSION_ID] [default: none, sent as ""; resolve exports one]')
            [CompletionResult]::new('--run-id', '--run-id', [CompletionResultType]::ParameterName, 'This run''s id [env: TELEMETRY_RUN_ID] [default: the manifest''s run_id, else a new one]')
            [CompletionResult]::new('--parent-run-id', '--parent-run-id', [CompletionResultType]::ParameterName, 'The run that started this one [env: TELEMETRY_PARENT_RUN_ID] [default: none, sent as ""]')
            [CompletionResult]::new('--if-undecided', '--if-undecided', [CompletionResultType]::ParameterName, 'What this call counts as when nobody has decided (no TELEMETRY_ENABLED, DO_NOT_TRACK or saved choice): the drop-in shims pass enable, as their caller asked first [default: disable]')
            [CompletionResult]::new('--outbox', '--outbox', [CompletionResultType]::ParameterName, 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the exact request (token masked) and send nothing, write nothing')
            [CompletionResult]::new('--background', '--background', [CompletionResultType]::ParameterName, 'Return once the payload is safe in the outbox; a detached process delivers it [env: TELEMETRY_DELIVERY=background]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pk3s-telemetry;send;event' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Build the standard lifecycle event with this event_name (e.g. core.apply.completed)')
            [CompletionResult]::new('--command', '--command', [CompletionResultType]::ParameterName, 'The command.name of a built event')
            [CompletionResult]::new('--result', '--result', [CompletionResultType]::ParameterName, 'The command.result of a built event (e.g. success, failure)')
            [CompletionResult]::new('--family', '--family', [CompletionResultType]::ParameterName, 'The event_family of a built event')
            [CompletionResult]::new('--field', '--field', [CompletionResultType]::ParameterName, 'An extra command.K string field of a built event; repeatable')
            [CompletionResult]::new('--repository', '--repository', [CompletionResultType]::ParameterName, 'Source repository for the event''s client block [env: TELEMETRY_SOURCE_REPOSITORY] [default: productive-k3s]')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'Source script for the event''s client block [env: TELEMETRY_SOURCE_SCRIPT] [default: scripts/apply.sh]')
            [CompletionResult]::new('--component', '--component', [CompletionResultType]::ParameterName, 'The component reporting, e.g. cli, infra, core [env: TELEMETRY_COMPONENT] [default: core]')
            [CompletionResult]::new('--session-id', '--session-id', [CompletionResultType]::ParameterName, 'The session shared by the whole chain [env: TELEMETRY_SESSION_ID] [default: none, sent as ""; resolve exports one]')
            [CompletionResult]::new('--parent-run-id', '--parent-run-id', [CompletionResultType]::ParameterName, 'The run that started this one [env: TELEMETRY_PARENT_RUN_ID] [default: none, sent as ""]')
            [CompletionResult]::new('--if-undecided', '--if-undecided', [CompletionResultType]::ParameterName, 'What this call counts as when nobody has decided (no TELEMETRY_ENABLED, DO_NOT_TRACK or saved choice): the drop-in shims pass enable, as their caller asked first [default: disable]')
            [CompletionResult]::new('--outbox', '--outbox', [CompletionResultType]::ParameterName, 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]')
            [CompletionResult]::new('--run-id', '--run-id', [CompletionResultType]::ParameterName, 'This run''s id [env: TELEMETRY_RUN_ID] [default: a new one]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the exact request (token masked) and send nothing, write nothing')
            [CompletionResult]::new('--background', '--background', [CompletionResultType]::ParameterName, 'Return once the payload is safe in the outbox; a detached process delivers it [env: TELEMETRY_DELIVERY=background]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pk3s-telemetry;send;help' {
            [CompletionResult]::new('manifest', 'manifest', [CompletionResultType]::ParameterValue, 'Wrap a run manifest (a JSON object) in the install envelope and deliver it')
            [CompletionResult]::new('event', 'event', [CompletionResultType]::ParameterValue, 'Deliver a ready-made JSON event object as it is, or build the standard lifecycle event with --name')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pk3s-telemetry;send;help;manifest' {
            break
        }
        'pk3s-telemetry;send;help;event' {
            break
        }
        'pk3s-telemetry;send;help;help' {
            break
        }
        'pk3s-telemetry;resolve' {
            [CompletionResult]::new('--component', '--component', [CompletionResultType]::ParameterName, 'This layer''s name, e.g. cli, infra, core [env: TELEMETRY_COMPONENT] [default: core]')
            [CompletionResult]::new('--telemetry', '--telemetry', [CompletionResultType]::ParameterName, 'The decision for the whole chain; wins over TELEMETRY_ENABLED and DO_NOT_TRACK')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'format')
            [CompletionResult]::new('--outbox', '--outbox', [CompletionResultType]::ParameterName, 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'The same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pk3s-telemetry;env' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'format')
            [CompletionResult]::new('--outbox', '--outbox', [CompletionResultType]::ParameterName, 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'The same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pk3s-telemetry;check' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'text: one `FILE: PATH: KIND` line per finding; json: one JSON object per file ({"file", "clean", "findings": [{"document", "path", "kind", "object_key"}]})')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Say why: the rule that fired, and the string with each identifier masked (`FILE: PATH: RULE (KIND): "node ready at [ip address]"`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'The same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pk3s-telemetry;flush' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Send at most N entries in this run (the rest stay for a later flush)')
            [CompletionResult]::new('--max-time', '--max-time', [CompletionResultType]::ParameterName, 'Start no request after this many seconds (the summary counts what was not tried)')
            [CompletionResult]::new('--reroute', '--reroute', [CompletionResultType]::ParameterName, 'Send every entry to URL, also those written for another endpoint (each entry goes where it was written for otherwise)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Move every pending entry into FILE, a new bundle to carry to a host that can deliver it (flush --from FILE there); never overwrites a file')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Deliver the payloads of a bundle made by flush --to, each to the endpoint it was written for; what is not delivered is kept in this outbox')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'format')
            [CompletionResult]::new('--outbox', '--outbox', [CompletionResultType]::ParameterName, 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'List what would be sent, expired or set aside; send nothing, change nothing')
            [CompletionResult]::new('--rejected', '--rejected', [CompletionResultType]::ParameterName, 'First move the entries of rejected/ back into the outbox, so that each is tried once more')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'The same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pk3s-telemetry;enable' {
            [CompletionResult]::new('--system', '--system', [CompletionResultType]::ParameterName, 'Save it for the machine (/etc/productive-k3s/telemetry.conf; needs root) instead of this user')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pk3s-telemetry;disable' {
            [CompletionResult]::new('--outbox', '--outbox', [CompletionResultType]::ParameterName, 'The outbox that --purge empties, and whose waiting entries are counted [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]')
            [CompletionResult]::new('--system', '--system', [CompletionResultType]::ParameterName, 'Save it for the machine (/etc/productive-k3s/telemetry.conf; needs root) instead of this user')
            [CompletionResult]::new('--purge', '--purge', [CompletionResultType]::ParameterName, 'Also discard every payload waiting in the outbox (pending, rejected/, corrupt/, the old scripts'' files); never sends one')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pk3s-telemetry;status' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'format')
            [CompletionResult]::new('--outbox', '--outbox', [CompletionResultType]::ParameterName, 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'The same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pk3s-telemetry;log' {
            [CompletionResult]::new('--show', '--show', [CompletionResultType]::ParameterName, 'Print the exact body of the newest payload with this event id that left, byte for byte, and nothing else')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only what left since T: an RFC 3339 time (2026-12-01T00:00:00Z) or a time ago (90m, 24h, 7d)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most the newest N')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'format')
            [CompletionResult]::new('--outbox', '--outbox', [CompletionResultType]::ParameterName, 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'The same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pk3s-telemetry;completion' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pk3s-telemetry;help' {
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Deliver a run manifest or an event now, with bounded retries; keep it in the outbox if it cannot be delivered')
            [CompletionResult]::new('resolve', 'resolve', [CompletionResultType]::ParameterValue, 'Decide consent (asking once at a terminal) and this run''s ids; print them and the settings that were set, for `eval`')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Print the context for a nested child (same session, this run as its parent), or run COMMAND with it')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check JSON files (run manifests, test artifacts) for identifiers; exit 1 naming each path found')
            [CompletionResult]::new('flush', 'flush', [CompletionResultType]::ParameterValue, 'Replay the outbox oldest first; delete what is delivered, keep the rest for later')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Save "telemetry on" for this user (or with --system for the machine)')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Save "telemetry off" for this user (or with --system for the machine); --purge also discards what waits in the outbox')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show where things stand: consent and its source, endpoint, proxy, outbox counts, last delivery')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Show what left this machine from this outbox, newest first; --show prints one body byte for byte')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell (bash, zsh, fish, elvish or powershell)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pk3s-telemetry;help;send' {
            [CompletionResult]::new('manifest', 'manifest', [CompletionResultType]::ParameterValue, 'Wrap a run manifest (a JSON object) in the install envelope and deliver it')
            [CompletionResult]::new('event', 'event', [CompletionResultType]::ParameterValue, 'Deliver a ready-made JSON event object as it is, or build the standard lifecycle event with --name')
            break
        }
        'pk3s-telemetry;help;send;manifest' {
            break
        }
        'pk3s-telemetry;help;send;event' {
            break
        }
        'pk3s-telemetry;help;resolve' {
            break
        }
        'pk3s-telemetry;help;env' {
            break
        }
        'pk3s-telemetry;help;check' {
            break
        }
        'pk3s-telemetry;help;flush' {
            break
        }
        'pk3s-telemetry;help;enable' {
            break
        }
        'pk3s-telemetry;help;disable' {
            break
        }
        'pk3s-telemetry;help;status' {
            break
        }
        'pk3s-telemetry;help;log' {
            break
        }
        'pk3s-telemetry;help;completion' {
            break
        }
        'pk3s-telemetry;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
