"""Command line: ``inspector [TARGET]`` opens the app; ``check``, ``stats``, ``messages``,
``rewind`` and ``repair`` work without it.

Textual is imported only when the app starts, so ``inspector check`` starts fast.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from inspector import __version__
from inspector.agents import FORMAT_NAMES
from inspector.core.client import ClientChoice, version_key
from inspector.core.json_out import allow_parsed_depth, dumps
from inspector.core.os_errors import describe_failure
from inspector.core.safe_text import escaped

EXIT_OK = 0
EXIT_UNCHECKABLE = 2

COMMANDS = ("check", "stats", "report", "messages", "rewind", "repair", "hook", "watch", "hooks")
_LEAVE_AT_ONCE = ("check", "stats", "report", "messages", "hook")
"""Commands that have written all they write (the result cache) when :func:`main` returns."""


class UsageError(Exception):
    """A problem with what the user asked for: one line on stderr, exit 2."""


def entry() -> NoReturn:
    """The console script and ``python -m inspector``: :func:`main`, then exit."""
    code = main()
    if sys.argv[1:2] and sys.argv[1] in _LEAVE_AT_ONCE:
        # Freeing the structure of a 100 MB transcript object by object takes a third of
        # the time reading it did, and nothing is left to do: flush and leave at once.
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe, a closed stream
                stream.flush()
        os._exit(code)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    allow_parsed_depth()  # a tool input nested 1,000 levels deep is compared and copied
    try:
        if arguments and arguments[0] in COMMANDS:
            return _run_command(arguments)
        return _run_app(arguments)
    except UsageError as error:
        print(f"inspector: {escaped(str(error))}", file=sys.stderr)
        return EXIT_UNCHECKABLE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK


def _command_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inspector",
        description="Find tool_use/tool_result defects the API rejects in agent sessions.",
    )
    parser.add_argument("--version", action="version", version=f"inspector {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser(
        "check",
        help="check transcripts and report what the API would reject",
        description="Check transcripts. Exit 0: no errors; 1: errors found; 2: could not check.",
    )
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="transcript files or project folders (default: every session under the "
        "Claude config root, $CLAUDE_CONFIG_DIR or ~/.claude)",
    )
    check.add_argument(
        "--json", action="store_true", help="one JSON object per transcript per line"
    )
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    check.add_argument("--format", choices=FORMAT_NAMES, help="skip detection: read as this")
    check.add_argument(
        "--errors-only",
        action="store_true",
        help="print only the transcripts the API would reject (and the closing summary)",
    )
    check.add_argument(
        "--no-cache",
        action="store_true",
        help="check every file afresh: neither use nor keep results in the cache folder "
        "($INSPECTOR_CACHE_DIR, else $XDG_CACHE_HOME/agent-session-inspector)",
    )
    check.add_argument(
        "--stream",
        action="store_true",
        help="print each transcript as soon as it is checked (default: in path order)",
    )
    check.add_argument(
        "--jobs",
        type=_positive,
        metavar="N",
        help="check at most N files at once (default: one per core)",
    )
    _add_client_version(check)
    _add_stats(commands)
    _add_report(commands)

    commands.add_parser(
        "hook",
        help="answer Claude Code as one of its hooks (reads the hook input on stdin)",
        description="Run by Claude Code on SessionStart (resume), Stop, SubagentStop and "
        "PreCompact: tells the model which calls lost their results at resume, and you "
        "when the session breaks. Never blocks: exit 0, or 1 on an internal failure.",
    )

    _add_hooks(commands)

    watch = commands.add_parser(
        "watch",
        help="follow every live session and print one JSON line per event",
        description="Follow the sessions written recently (under the paths, else every "
        "agent's storage) and print one JSON line per event: broke, healed, client_patched, "
        "api_error, stalled, ended.",
    )
    watch.add_argument("paths", nargs="*", type=Path, help="session files or folders")
    watch.add_argument(
        "--exec",
        dest="exec_command",
        metavar="CMD",
        help="run CMD per event (the event as JSON on its stdin and in $INSPECTOR_EVENT)",
    )
    watch.add_argument("--bell", action="store_true", help="ring the terminal bell on broke")
    watch.add_argument(
        "--interval", type=float, default=0.5, metavar="S", help="seconds between looks (0.5)"
    )
    watch.add_argument(
        "--recent",
        type=float,
        default=3600.0,
        metavar="S",
        help="follow files written within S seconds (3600)",
    )
    watch.add_argument(
        "--stall",
        type=float,
        default=300.0,
        metavar="S",
        help="stalled: calls of a tool not seen finishing yet without results for S seconds "
        "(300; a known tool: ten times its longest here, at least 60)",
    )
    watch.add_argument(
        "--idle",
        type=float,
        default=600.0,
        metavar="S",
        help="ended: nothing written for S seconds (600)",
    )
    watch.add_argument(
        "--for", dest="run_for", type=float, metavar="S", help="stop after S seconds"
    )
    watch.add_argument(
        "--otlp",
        metavar="URL",
        help="also send the events as OTLP logs and counts to this OTLP/HTTP collector "
        "(its base, as http://127.0.0.1:4318; needs the otlp extra)",
    )

    messages = commands.add_parser(
        "messages",
        help="print the conversation as the client will send it to the API",
        description='Print {"messages": [...]} (a Responses request body: {"input": [...]}): the '
        "conversation rebuilt from the transcript as recorded, before any repair.",
    )
    messages.add_argument("path", type=Path)
    messages.add_argument("--format", choices=FORMAT_NAMES, help="skip detection: read as this")
    messages.add_argument(
        "--as-resumed",
        action="store_true",
        help="what the client sends when it resumes the session, after its own repair",
    )
    _add_client_version(messages)

    for name, summary in (
        ("rewind", "write a new session cut at the last valid turn"),
        ("repair", "write a new session with only what the API rejects fixed"),
    ):
        sub = commands.add_parser(name, help=summary, description=summary)
        sub.add_argument("path", type=Path)
        if name == "rewind":
            target = sub.add_mutually_exclusive_group()
            target.add_argument("--to", metavar="UUID", help="cut after this entry")
            target.add_argument("--line", type=int, metavar="N", help="cut after this line")
        sub.add_argument(
            "--in-place", action="store_true", help="replace the file (after a backup)"
        )
        sub.add_argument("--force", action="store_true", help="even if the session is live")
        sub.add_argument(
            "--dry-run", action="store_true", help="say what would change; write nothing"
        )
        sub.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def _add_report(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser(
        "report",
        help="write a report of one transcript to attach to a bug (redacted)",
        description="A Markdown (or self-contained HTML) report of one transcript: the "
        "verdict, each defect with its cause, the timeline of its turn and the lines around "
        "it. Secrets, home folders, user names, prompts and tool outputs are removed unless "
        "--no-redact. Nothing leaves the machine. Exit 0: no errors; 1: errors found; "
        "2: could not read the file.",
    )
    report.add_argument("path", type=Path)
    report.add_argument("--html", action="store_true", help="self-contained HTML, not Markdown")
    report.add_argument(
        "--no-redact",
        action="store_true",
        help="keep everything: secrets, paths, prompts, tool outputs (do not share it as is)",
    )
    report.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write to FILE (default: stdout)"
    )
    report.add_argument("--format", choices=FORMAT_NAMES, help="skip detection: read as this")
    _add_client_version(report)


def _add_hooks(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    hooks = commands.add_parser(
        "hooks",
        help="install, remove or show our hooks in Claude Code's settings.json",
        description="Merge `inspector hook` into Claude Code's settings (SessionStart on "
        "resume, Stop, SubagentStop, PreCompact) without touching the user's own hooks: "
        "a backup first, an atomic write, the file's style kept.",
    )
    actions = hooks.add_subparsers(dest="action", required=True)
    for name, summary in (
        ("install", "add our hooks (again: updates them; a second run changes nothing)"),
        ("uninstall", "remove our hooks, and only ours"),
        ("status", "which events have our hook (exit 0 all, 1 not, 2 unreadable)"),
    ):
        action = actions.add_parser(name, help=summary, description=summary)
        where = action.add_mutually_exclusive_group()
        where.add_argument(
            "--user",
            dest="scope",
            action="store_const",
            const="user",
            default="user",
            help="$CLAUDE_CONFIG_DIR/settings.json, else ~/.claude/settings.json (default)",
        )
        where.add_argument(
            "--project",
            dest="scope",
            action="store_const",
            const="project",
            help="./.claude/settings.json",
        )
        if name == "status":
            action.add_argument("--json", action="store_true", help="print one JSON object")
        else:
            action.add_argument(
                "--dry-run", action="store_true", help="show what would change; write nothing"
            )


def _add_stats(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stats = commands.add_parser(
        "stats",
        help="how many sessions broke: by cause, client version, tool, parallel calls",
        description="Check many sessions and count what broke them, with a bar chart per "
        "breakdown. Exit 0 when it ran; 2: a path does not exist or nothing could be read.",
    )
    stats.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="transcript files or folders (default: every session of every agent's storage)",
    )
    stats.add_argument("--json", action="store_true", help="one JSON object with every count")
    stats.add_argument(
        "--no-cache", action="store_true", help="check every file afresh (see check --help)"
    )
    stats.add_argument(
        "--jobs",
        type=_positive,
        metavar="N",
        help="check at most N files at once (default: one per core)",
    )
    _add_client_version(stats)


def _run_command(arguments: list[str]) -> int:
    options = _command_parser().parse_args(arguments)
    if options.command == "watch":
        from inspector.cli.watch import otlp_sink, run_watch

        sink = None
        if options.otlp is not None:
            sink = otlp_sink(options.otlp)
            if sink is None:
                return EXIT_UNCHECKABLE
        return run_watch(
            options.paths,
            interval=options.interval,
            recent=options.recent,
            idle=options.idle,
            stall=options.stall,
            run_for=options.run_for,
            exec_command=options.exec_command,
            bell=options.bell,
            otlp=sink,
        )
    if options.command == "hook":
        from inspector.cli.hook import run_hook

        return run_hook(sys.stdin.buffer, sys.stdout)
    if options.command == "hooks":
        from inspector.cli.hooks import run_hooks

        return run_hooks(options)
    if options.command in ("check", "stats"):
        options.paths = [_session_or_path(path) for path in options.paths]
    else:
        options.path = _session_or_path(options.path)
    if options.command == "check":
        from inspector.cli.check import run_check
        from inspector.core.cache_folder import cache_root

        return run_check(
            options.paths,
            as_json=options.json,
            color=_use_color(options.color),
            format_name=options.format,
            client=_client_choice(options.client_version),
            errors_only=options.errors_only,
            cache_root=None if options.no_cache else cache_root(),
            stream=options.stream,
            jobs=options.jobs,
        )
    if options.command == "stats":
        from inspector.cli.stats import run_stats
        from inspector.core.cache_folder import cache_root

        return run_stats(
            options.paths,
            as_json=options.json,
            client=_client_choice(options.client_version),
            cache_root=None if options.no_cache else cache_root(),
            jobs=options.jobs,
        )
    if options.command == "report":
        from inspector.cli.report import run_report

        return run_report(
            options.path,
            as_html=options.html,
            redact=not options.no_redact,
            output=options.output,
            format_name=options.format,
            client=_client_choice(options.client_version),
        )
    if options.command == "messages":
        client = _client_choice(options.client_version)
        return _print_messages(
            options.path, options.format, client, sys.stdout, as_resumed=options.as_resumed
        )
    from inspector.cli.rewrite import run_rewrite

    return run_rewrite(options)


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return number


def _session_or_path(path: Path) -> Path:
    """``path``, or, when no such file exists and it reads as a session id, that session's
    file from any agent's storage (as the app opens ``inspector <session id>``)."""
    text = str(path)
    if os.path.lexists(path) or os.sep in text or path.suffix in (".jsonl", ".json"):
        return path
    from inspector.agents import find_stored_session

    return find_stored_session(text) or path


def _use_color(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _add_client_version(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--client-version",
        metavar="X.Y.Z",
        help="rebuild as this release of the client sends it (default: the one installed, "
        "from `claude --version`, else the newest known)",
    )


def _client_choice(named: str | None) -> ClientChoice:
    if named is None:
        return ClientChoice(environ=os.environ)
    key = version_key(named)
    if key is None:
        raise UsageError(f"--client-version {named!r}: not a version like 2.1.332")
    return ClientChoice(named=".".join(map(str, key)))


def _print_messages(
    path: Path, format_name: str | None, client: ClientChoice, out: TextIO, *, as_resumed: bool
) -> int:
    from inspector.agents import NotATranscript, heal_on_resume, load_conversation, request_body

    try:
        conversation = load_conversation(path, format_name, client)
        if as_resumed:
            resumed = heal_on_resume(conversation)
            conversation = resumed.conversation if resumed is not None else conversation
        payload = request_body(conversation)
    except (OSError, NotATranscript) as error:
        raise UsageError(describe_failure(error, path)) from error
    out.write(dumps(payload).decode())
    out.write("\n")
    return EXIT_OK


def _app_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inspector",
        description="Open the session inspector. Commands: "
        "check, stats, report, messages, rewind, repair, hook, watch, hooks "
        "(inspector COMMAND --help).",
    )
    parser.add_argument("--version", action="version", version=f"inspector {__version__}")
    parser.add_argument(
        "target",
        nargs="?",
        help="a transcript file, a project folder or a session id (default: the newest "
        "session of the current directory's project)",
    )
    parser.add_argument(
        "--demo", action="store_true", help="open a temporary copy of the bundled sample sessions"
    )
    parser.add_argument("--no-follow", action="store_true", help="do not follow the session live")
    return parser


def _run_app(arguments: list[str]) -> int:
    options = _app_parser().parse_args(arguments)
    from inspector.tui.app import run_app

    return run_app(target=options.target, demo=options.demo, follow=not options.no_follow)
