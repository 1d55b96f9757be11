# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_pk3s_telemetry_global_optspecs
    string join \n outbox= endpoint= q/quiet v/verbose h/help V/version
end

function __fish_pk3s_telemetry_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_pk3s_telemetry_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_pk3s_telemetry_using_subcommand
    set -l cmd (__fish_pk3s_telemetry_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_needs_command" -l outbox -d 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]' -r -F
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_needs_command" -l endpoint -d 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_needs_command" -s q -l quiet -d 'Print nothing but errors'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_needs_command" -s v -l verbose -d 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_needs_command" -s V -l version -d 'Print version'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_needs_command" -f -a "send" -d 'Deliver a run manifest or an event now, with bounded retries; keep it in the outbox if it cannot be delivered'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_needs_command" -f -a "resolve" -d 'Decide consent (asking once at a terminal) and this run\'s ids; print them and the settings that were set, for `eval`'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_needs_command" -f -a "env" -d 'Print the context for a nested child (same session, this run as its parent), or run COMMAND with it'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_needs_command" -f -a "check" -d 'Check JSON files (run manifests, test artifacts) for identifiers; exit 1 naming each path found'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_needs_command" -f -a "flush" -d 'Replay the outbox oldest first; delete what is delivered, keep the rest for later'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_needs_command" -f -a "enable" -d 'Save "telemetry on" for this user (or with --system for the machine)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_needs_command" -f -a "disable" -d 'Save "telemetry off" for this user (or with --system for the machine); --purge also discards what waits in the outbox'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_needs_command" -f -a "status" -d 'Show where things stand: consent and its source, endpoint, proxy, outbox counts, last delivery'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_needs_command" -f -a "log" -d 'Show what left this machine from this outbox, newest first; --show prints one body byte for byte'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_needs_command" -f -a "completion" -d 'Print the completion script for a shell (bash, zsh, fish, elvish or powershell)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and not __fish_seen_subcommand_from manifest event help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and not __fish_seen_subcommand_from manifest event help" -s V -l version -d 'Print version'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and not __fish_seen_subcommand_from manifest event help" -f -a "manifest" -d 'Wrap a run manifest (a JSON object) in the install envelope and deliver it'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and not __fish_seen_subcommand_from manifest event help" -f -a "event" -d 'Deliver a ready-made JSON event object as it is, or build the standard lifecycle event with --name'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and not __fish_seen_subcommand_from manifest event help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from manifest" -l repository -d 'Source repository for the envelope\'s client block [env: TELEMETRY_SOURCE_REPOSITORY] [default: productive-k3s]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from manifest" -l script -d 'Source script for the envelope\'s client block [env: TELEMETRY_SOURCE_SCRIPT] [default: scripts/apply.sh]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from manifest" -l exit-code -d 'Exit code of the run, a number [env: TELEMETRY_EXIT_CODE] [default: 0]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from manifest" -l component -d 'The component reporting, e.g. cli, infra, core [env: TELEMETRY_COMPONENT] [default: core]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from manifest" -l session-id -d 'The session shared by the whole chain [env: TELEMETRY_SESSION_ID] [default: none, sent as ""; resolve exports one]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from manifest" -l run-id -d 'This run\'s id [env: TELEMETRY_RUN_ID] [default: the manifest\'s run_id, else a new one]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from manifest" -l parent-run-id -d 'The run that started this one [env: TELEMETRY_PARENT_RUN_ID] [default: none, sent as ""]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from manifest" -l if-undecided -d 'What this call counts as when nobody has decided (no TELEMETRY_ENABLED, DO_NOT_TRACK or saved choice): the drop-in shims pass enable, as their caller asked first [default: disable]' -r -f -a "enable\t''
disable\t''"
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from manifest" -l outbox -d 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]' -r -F
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from manifest" -l endpoint -d 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from manifest" -l dry-run -d 'Print the exact request (token masked) and send nothing, write nothing'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from manifest" -l background -d 'Return once the payload is safe in the outbox; a detached process delivers it [env: TELEMETRY_DELIVERY=background]'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from manifest" -s q -l quiet -d 'Print nothing but errors'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from manifest" -s v -l verbose -d 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from manifest" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from manifest" -s V -l version -d 'Print version'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -l name -d 'Build the standard lifecycle event with this event_name (e.g. core.apply.completed)' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -l command -d 'The command.name of a built event' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -l result -d 'The command.result of a built event (e.g. success, failure)' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -l family -d 'The event_family of a built event' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -l field -d 'An extra command.K string field of a built event; repeatable' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -l repository -d 'Source repository for the event\'s client block [env: TELEMETRY_SOURCE_REPOSITORY] [default: productive-k3s]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -l script -d 'Source script for the event\'s client block [env: TELEMETRY_SOURCE_SCRIPT] [default: scripts/apply.sh]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -l component -d 'The component reporting, e.g. cli, infra, core [env: TELEMETRY_COMPONENT] [default: core]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -l session-id -d 'The session shared by the whole chain [env: TELEMETRY_SESSION_ID] [default: none, sent as ""; resolve exports one]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -l parent-run-id -d 'The run that started this one [env: TELEMETRY_PARENT_RUN_ID] [default: none, sent as ""]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -l if-undecided -d 'What this call counts as when nobody has decided (no TELEMETRY_ENABLED, DO_NOT_TRACK or saved choice): the drop-in shims pass enable, as their caller asked first [default: disable]' -r -f -a "enable\t''
disable\t''"
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -l outbox -d 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]' -r -F
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -l endpoint -d 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -l run-id -d 'This run\'s id [env: TELEMETRY_RUN_ID] [default: a new one]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -l dry-run -d 'Print the exact request (token masked) and send nothing, write nothing'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -l background -d 'Return once the payload is safe in the outbox; a detached process delivers it [env: TELEMETRY_DELIVERY=background]'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -s q -l quiet -d 'Print nothing but errors'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -s v -l verbose -d 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from event" -s V -l version -d 'Print version'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from help" -f -a "manifest" -d 'Wrap a run manifest (a JSON object) in the install envelope and deliver it'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from help" -f -a "event" -d 'Deliver a ready-made JSON event object as it is, or build the standard lifecycle event with --name'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand send; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand resolve" -l component -d 'This layer\'s name, e.g. cli, infra, core [env: TELEMETRY_COMPONENT] [default: core]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand resolve" -l telemetry -d 'The decision for the whole chain; wins over TELEMETRY_ENABLED and DO_NOT_TRACK' -r -f -a "enable\t''
disable\t''"
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand resolve" -l format -r -f -a "shell\t'export NAME=\'value\' lines, for eval in bash, dash or zsh'
json\t'one JSON object: each setting\'s value and where it came from; never the token'"
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand resolve" -l outbox -d 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]' -r -F
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand resolve" -l endpoint -d 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand resolve" -l json -d 'The same as --format json'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand resolve" -s q -l quiet -d 'Print nothing but errors'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand resolve" -s v -l verbose -d 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand resolve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand resolve" -s V -l version -d 'Print version'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand env" -l format -r -f -a "shell\t'export NAME=\'value\' lines, for eval in bash, dash or zsh'
json\t'one JSON object: each setting\'s value and where it came from; never the token'"
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand env" -l outbox -d 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]' -r -F
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand env" -l endpoint -d 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand env" -l json -d 'The same as --format json'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand env" -s q -l quiet -d 'Print nothing but errors'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand env" -s v -l verbose -d 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand env" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand env" -s V -l version -d 'Print version'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand check" -l format -d 'text: one `FILE: PATH: KIND` line per finding; json: one JSON object per file ({"file", "clean", "findings": [{"document", "path", "kind", "object_key"}]})' -r -f -a "text\t''
json\t''"
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand check" -l explain -d 'Say why: the rule that fired, and the string with each identifier masked (`FILE: PATH: RULE (KIND): "node ready at [ip address]"`)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand check" -l json -d 'The same as --format json'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand check" -s q -l quiet -d 'Print nothing but errors'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand check" -s v -l verbose -d 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand check" -s V -l version -d 'Print version'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand flush" -l limit -d 'Send at most N entries in this run (the rest stay for a later flush)' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand flush" -l max-time -d 'Start no request after this many seconds (the summary counts what was not tried)' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand flush" -l reroute -d 'Send every entry to URL, also those written for another endpoint (each entry goes where it was written for otherwise)' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand flush" -l to -d 'Move every pending entry into FILE, a new bundle to carry to a host that can deliver it (flush --from FILE there); never overwrites a file' -r -F
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand flush" -l from -d 'Deliver the payloads of a bundle made by flush --to, each to the endpoint it was written for; what is not delivered is kept in this outbox' -r -F
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand flush" -l format -r -f -a "text\t'lines for a person, on stderr'
json\t'JSON on stdout: one summary object (with --dry-run, one object per line per entry, then the summary)'"
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand flush" -l outbox -d 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]' -r -F
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand flush" -l endpoint -d 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand flush" -l dry-run -d 'List what would be sent, expired or set aside; send nothing, change nothing'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand flush" -l rejected -d 'First move the entries of rejected/ back into the outbox, so that each is tried once more'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand flush" -l json -d 'The same as --format json'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand flush" -s q -l quiet -d 'Print nothing but errors'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand flush" -s v -l verbose -d 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand flush" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand flush" -s V -l version -d 'Print version'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand enable" -l system -d 'Save it for the machine (/etc/productive-k3s/telemetry.conf; needs root) instead of this user'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand enable" -s q -l quiet -d 'Print nothing but errors'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand enable" -s v -l verbose -d 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand enable" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand enable" -s V -l version -d 'Print version'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand disable" -l outbox -d 'The outbox that --purge empties, and whose waiting entries are counted [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]' -r -F
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand disable" -l system -d 'Save it for the machine (/etc/productive-k3s/telemetry.conf; needs root) instead of this user'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand disable" -l purge -d 'Also discard every payload waiting in the outbox (pending, rejected/, corrupt/, the old scripts\' files); never sends one'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand disable" -s q -l quiet -d 'Print nothing but errors'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand disable" -s v -l verbose -d 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand disable" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand disable" -s V -l version -d 'Print version'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand status" -l format -r -f -a "text\t'aligned lines, for eyes'
json\t'one JSON object, for machines'"
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand status" -l outbox -d 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]' -r -F
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand status" -l endpoint -d 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand status" -l json -d 'The same as --format json'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand status" -s q -l quiet -d 'Print nothing but errors'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand status" -s v -l verbose -d 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand status" -s V -l version -d 'Print version'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand log" -l show -d 'Print the exact body of the newest payload with this event id that left, byte for byte, and nothing else' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand log" -l since -d 'Only what left since T: an RFC 3339 time (2026-12-01T00:00:00Z) or a time ago (90m, 24h, 7d)' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand log" -l limit -d 'At most the newest N' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand log" -l format -r -f -a "text\t'one line per payload, newest first, for eyes'
json\t'one JSON object per line, newest first, each with its exact body as a JSON string'"
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand log" -l outbox -d 'Directory for undelivered payloads [env: TELEMETRY_OUTBOX_DIR] [default: runs/telemetry-outbox]' -r -F
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand log" -l endpoint -d 'Receiver URL, http or https [env: TELEMETRY_ENDPOINT] [default: https://telemetry.productive-k3s.io/telemetry]' -r
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand log" -l json -d 'The same as --format json'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand log" -s q -l quiet -d 'Print nothing but errors'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand log" -s v -l verbose -d 'Say more on stderr: -v each attempt, -vv also the settings in use and each request and answer (token masked)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand log" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand log" -s V -l version -d 'Print version'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand completion" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand completion" -s V -l version -d 'Print version'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand help; and not __fish_seen_subcommand_from send resolve env check flush enable disable status log completion help" -f -a "send" -d 'Deliver a run manifest or an event now, with bounded retries; keep it in the outbox if it cannot be delivered'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand help; and not __fish_seen_subcommand_from send resolve env check flush enable disable status log completion help" -f -a "resolve" -d 'Decide consent (asking once at a terminal) and this run\'s ids; print them and the settings that were set, for `eval`'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand help; and not __fish_seen_subcommand_from send resolve env check flush enable disable status log completion help" -f -a "env" -d 'Print the context for a nested child (same session, this run as its parent), or run COMMAND with it'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand help; and not __fish_seen_subcommand_from send resolve env check flush enable disable status log completion help" -f -a "check" -d 'Check JSON files (run manifests, test artifacts) for identifiers; exit 1 naming each path found'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand help; and not __fish_seen_subcommand_from send resolve env check flush enable disable status log completion help" -f -a "flush" -d 'Replay the outbox oldest first; delete what is delivered, keep the rest for later'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand help; and not __fish_seen_subcommand_from send resolve env check flush enable disable status log completion help" -f -a "enable" -d 'Save "telemetry on" for this user (or with --system for the machine)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand help; and not __fish_seen_subcommand_from send resolve env check flush enable disable status log completion help" -f -a "disable" -d 'Save "telemetry off" for this user (or with --system for the machine); --purge also discards what waits in the outbox'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand help; and not __fish_seen_subcommand_from send resolve env check flush enable disable status log completion help" -f -a "status" -d 'Show where things stand: consent and its source, endpoint, proxy, outbox counts, last delivery'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand help; and not __fish_seen_subcommand_from send resolve env check flush enable disable status log completion help" -f -a "log" -d 'Show what left this machine from this outbox, newest first; --show prints one body byte for byte'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand help; and not __fish_seen_subcommand_from send resolve env check flush enable disable status log completion help" -f -a "completion" -d 'Print the completion script for a shell (bash, zsh, fish, elvish or powershell)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand help; and not __fish_seen_subcommand_from send resolve env check flush enable disable status log completion help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand help; and __fish_seen_subcommand_from send" -f -a "manifest" -d 'Wrap a run manifest (a JSON object) in the install envelope and deliver it'
complete -c pk3s-telemetry -n "__fish_pk3s_telemetry_using_subcommand help; and __fish_seen_subcommand_from send" -f -a "event" -d 'Deliver a ready-made JSON event object as it is, or build the standard lifecycle event with --name'
