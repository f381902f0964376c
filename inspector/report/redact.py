"""Redaction of what a report shows: secrets, home folders and the user's name.

A :class:`Redactor` rewrites text and counts what it removed by kind (never the values),
so a report can end with "removed: 2 API keys, 1 private key, …". Whole kinds of content
(prompts, tool outputs, file contents) are dropped by the report builder through
:meth:`Redactor.drop`, which counts them the same way.

The patterns run in order, the most specific first: a private key block before anything
that could match inside it, provider keys before the generic ``api_key=…`` form, a
``.env`` line's whole value before a password inside it, and the home folders before the
bare user name (so ``/home/alice/x`` becomes ``~/x``, not ``/home/[user]/x``). User names
come from the home folders the report names (its session's folder among them), Claude
Code's project folders (``-Users-alice-…``) and the account running the inspector.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields, is_dataclass, replace
from enum import Enum
from pathlib import PurePath

from inspector.agents import AGENTS
from inspector.report.model import Defect, SessionReport, TranscriptLine

PLACEHOLDER = "[redacted]"

# A value already replaced is never matched again (``token: [redacted]``).
_NOT_REDACTED = r"(?!\[redacted)"


@dataclass(frozen=True, slots=True)
class _Pattern:
    kind: str
    regex: re.Pattern[str]
    keep_group: int = 0
    """Group kept in front of the placeholder (the ``KEY=`` of a ``.env`` line), 0: none."""


_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----"
    r"(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|.*\Z)",
    re.DOTALL,
)

_SECRETS = (
    _Pattern("private key", _PRIVATE_KEY),
    _Pattern("JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")),
    _Pattern("Anthropic API key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{8,}")),
    _Pattern("API key", re.compile(r"\bsk-(?:proj-|live-|test-)?[A-Za-z0-9_-]{16,}")),
    _Pattern("AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    _Pattern(
        "GitHub token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
    ),
    _Pattern("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{8,}")),
    _Pattern("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{30,}")),
    _Pattern(
        "bearer token",
        re.compile(rf"(\bBearer\s+){_NOT_REDACTED}[A-Za-z0-9._~+/=-]{{8,}}", re.IGNORECASE),
        keep_group=1,
    ),
    _Pattern(
        "secret value",
        re.compile(
            r"(\b[A-Za-z0-9_-]*(?:api[_-]?key|apikey|token|secret|passw(?:or)?d|access[_-]?key|"
            r"private[_-]?key|client[_-]?secret)[A-Za-z0-9_-]*[\"']?\s*[:=]\s*[\"']?)"
            rf"{_NOT_REDACTED}[^\s\"',;}}\]]{{4,}}",
            re.IGNORECASE,
        ),
        keep_group=1,
    ),
    _Pattern(
        ".env value",
        re.compile(rf"(^[ \t]*(?:export[ \t]+)?[A-Z_][A-Z0-9_]*=){_NOT_REDACTED}[^\n]+", re.M),
        keep_group=1,
    ),
    _Pattern(
        "password in a URL",
        re.compile(rf"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*:){_NOT_REDACTED}[^\s/@]+(?=@)"),
        keep_group=1,
    ),
    _Pattern(
        "email address",
        re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
    ),
)

# /home/alice, /Users/alice, C:\Users\alice (also with JSON's doubled backslashes).
_HOME = re.compile(
    r"(?:/home/|/Users/|\b[A-Za-z]:(?:\\\\|\\|/)Users(?:\\\\|\\|/))"
    r"(?P<name>[A-Za-z0-9._-]+)",
)
# Claude Code's project folders spell the folder the session ran in with dashes:
# -Users-alice-src-shop (the name's end is a guess there: a name may hold dashes).
_DASHED_HOME = re.compile(r"(?:^|[\s/\\])-(?:home|Users)-(?P<name>[A-Za-z0-9._]+)-")
_NOT_NAMES = frozenset({"shared", "public", "default", "runner", "root", "user", "users"})
_OWN_WORDS = (
    "agent assistant bash edit error file grep line read result session system task text "
    "tool user warning write"
)
_REPORT_WORDS = frozenset(_OWN_WORDS.split()) | frozenset(
    word.lower()
    for agent in AGENTS
    for word in re.split(r"[^A-Za-z0-9]+", f"{agent.name} {agent.label}")
    if word
)
"""Words the report itself uses (labels, tool names, the agents' names): a user so named
keeps the word (the home folder still goes)."""


class Redactor:
    """Rewrites text for a report and counts what it removed, by kind.

    ``names`` are the user names to replace anywhere (the current user's is added);
    :meth:`learn_names` adds those found in home folders before any text is rewritten.
    """

    def __init__(self, names: Iterable[str] = (), *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.removed: Counter[str] = Counter()
        self._names: set[str] = {name for name in names if _usable_name(name)}
        for candidate in (os.environ.get("USER"), os.environ.get("LOGNAME"), _home_name()):
            if candidate and _usable_name(candidate):
                self._names.add(candidate)

    def learn_names(self, texts: Iterable[str]) -> None:
        """Take the user names out of the home folders these texts name."""
        for text in texts:
            for pattern in (_HOME, _DASHED_HOME):
                for match in pattern.finditer(text):
                    name = match.group("name")
                    if _usable_name(name):
                        self._names.add(name)

    def text(self, text: str) -> str:
        """``text`` without secrets, home folders or user names (as is when disabled)."""
        if not self.enabled or not text:
            return text
        for pattern in _SECRETS:
            text = pattern.regex.sub(self._replacer(pattern), text)
        text = _HOME.sub(self._home, text)
        if self._names:
            names = "|".join(re.escape(name) for name in sorted(self._names, key=len)[::-1])
            whole_word = rf"(?<![A-Za-z0-9])(?:{names})(?![A-Za-z0-9])"
            text = re.compile(whole_word, re.IGNORECASE).sub(self._name, text)
        return text

    def optional(self, text: str | None) -> str | None:
        return None if text is None else self.text(text)

    def drop(self, kind: str, text: str) -> str | None:
        """The placeholder for a whole piece of content of this kind (a prompt, a tool
        output), counted; None when disabled (the caller keeps the text)."""
        if not self.enabled:
            return None
        self.removed[kind] += 1
        return f"[{kind} removed, {len(text):,} characters]"

    def _replacer(self, pattern: _Pattern) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            self.removed[pattern.kind] += 1
            kept = match.group(pattern.keep_group) if pattern.keep_group else ""
            if pattern.kind == ".env value":
                return f"{kept}{PLACEHOLDER}"
            return f"{kept}[redacted {pattern.kind}]"

        return replace

    def _home(self, match: re.Match[str]) -> str:
        self.removed["home folder"] += 1
        before = match.string[match.start() - 1] if match.start() > 0 else ""
        if before and not before.isspace() and before not in "\"'`([{=:,":
            # inside a longer path (/mnt/c/Users/alice): only the name goes
            return match.group(0)[: match.start("name") - match.start()] + "[user]"
        return "~"

    def _name(self, match: re.Match[str]) -> str:
        self.removed["user name"] += 1
        return "[user]"


def _usable_name(name: str) -> bool:
    """A name worth replacing everywhere: three characters or more with a letter, not a
    shared account, not a word of the report's own."""
    lowered = name.lower()
    return (
        len(name) >= 3
        and any(char.isalpha() for char in name)
        and lowered not in _NOT_NAMES
        and lowered not in _REPORT_WORDS
    )


def _home_name() -> str | None:
    home = os.path.expanduser("~")
    return None if home == "~" else os.path.basename(home.rstrip("/\\"))


DROPPED_KINDS = frozenset(
    {
        "prompt",
        "tool output",
        "assistant text",
        "thinking",
        "hook output",
        "system text",
        "unreadable line",
    }
)
"""Excerpt kinds removed whole: what the user wrote, what tools read or printed (file
contents), what the model wrote, and system lines' text (a command's output, a recap the
model wrote). The client's own messages (an interrupt, an API error) are kept, scrubbed."""


def redact_report(report: SessionReport, redactor: Redactor) -> SessionReport:
    """``report`` with every text rewritten by ``redactor`` and whole excerpts of the
    :data:`DROPPED_KINDS` removed, ending with the list of what was removed."""
    if not redactor.enabled:
        return report
    redactor.learn_names(_texts(report))
    # Where the transcript and the session were is the user's business: the file's name
    # says which transcript it was (a Claude Code project folder spells the session's).
    name = PurePath(report.path.replace("\\", "/")).name
    redactor.removed["path"] += (name != report.path) + (report.folder is not None)
    redacted = _rewrite(replace(report, path=name, folder=None), redactor)
    assert isinstance(redacted, SessionReport)
    removed = tuple(sorted(redactor.removed.items(), key=lambda item: (-item[1], item[0])))
    return replace(redacted, redacted=True, removed=removed)


def _texts(value: object) -> Iterator[str]:
    if isinstance(value, Enum):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _texts(item)
    elif is_dataclass(value) and not isinstance(value, type):
        for item in fields(value):
            yield from _texts(getattr(value, item.name))


def _rewrite(value: object, redactor: Redactor) -> object:
    if isinstance(value, Enum) or (not isinstance(value, str | tuple) and not is_dataclass(value)):
        return value
    if isinstance(value, str):
        return redactor.text(value)
    if isinstance(value, tuple):
        return tuple(_rewrite(item, redactor) for item in value)
    if isinstance(value, TranscriptLine) and value.excerpt and value.excerpt_kind in DROPPED_KINDS:
        dropped = redactor.drop(value.excerpt_kind, value.excerpt)
        value = replace(value, excerpt=dropped)
    if isinstance(value, Defect) and value.resume != value.resume_without_inputs:
        # the calls a resume drops are named by their tool alone: an input may hold anything
        redactor.removed["tool input"] += 1
        value = replace(value, resume=value.resume_without_inputs)
    assert is_dataclass(value)
    assert not isinstance(value, type)
    changes = {
        item.name: _rewrite(getattr(value, item.name), redactor)
        for item in fields(value)
        if not (isinstance(value, TranscriptLine) and item.name == "excerpt_kind")
    }
    return replace(value, **changes)
