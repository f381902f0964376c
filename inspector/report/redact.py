"""Redaction of what a report shows: secrets, home folders and the user's name.

A :class:`Redactor` rewrites text and counts what it removed by kind (never the values),
so a report can end with "removed: 2 API keys, 1 private key, …". Whole kinds of content
(prompts, tool outputs, file contents) are dropped by the report builder through
:meth:`Redactor.drop`, which counts them the same way.

The patterns run in order, the most specific first: a private key block before anything
that could match inside it, provider keys before the generic ``api_key=…`` form, and the
home folders before the bare user name (so ``/home/alice/x`` becomes ``~/x``, not
``/home/[user]/x``).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields, is_dataclass, replace
from enum import Enum

from inspector.report.model import SessionReport, TranscriptLine

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
        "email address",
        re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
    ),
    _Pattern(
        ".env value",
        re.compile(rf"(^[ \t]*(?:export[ \t]+)?[A-Z_][A-Z0-9_]*=){_NOT_REDACTED}[^\n]+", re.M),
        keep_group=1,
    ),
)

# /home/alice, /Users/alice, C:\Users\alice (also with JSON's doubled backslashes).
_HOME = re.compile(
    r"(?:/home/|/Users/|\b[A-Za-z]:(?:\\\\|\\|/)Users(?:\\\\|\\|/))"
    r"(?P<name>[A-Za-z0-9._-]+)",
)
_NOT_NAMES = frozenset({"shared", "public", "default", "runner", "root", "user", "users"})


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
            for match in _HOME.finditer(text):
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
        return "~"

    def _name(self, match: re.Match[str]) -> str:
        self.removed["user name"] += 1
        return "[user]"


def _usable_name(name: str) -> bool:
    """A name worth replacing everywhere: not a one-letter word, not a shared account."""
    return len(name) >= 3 and name.lower() not in _NOT_NAMES


def _home_name() -> str | None:
    home = os.path.expanduser("~")
    return None if home == "~" else os.path.basename(home.rstrip("/\\"))


DROPPED_KINDS = frozenset(
    {"prompt", "tool output", "assistant text", "thinking", "hook output", "unreadable line"}
)
"""Excerpt kinds removed whole: what the user wrote, what tools read or printed (file
contents), what the model wrote. Client messages and system text are kept, scrubbed."""


def redact_report(report: SessionReport, redactor: Redactor) -> SessionReport:
    """``report`` with every text rewritten by ``redactor`` and whole excerpts of the
    :data:`DROPPED_KINDS` removed, ending with the list of what was removed."""
    if not redactor.enabled:
        return report
    redactor.learn_names(_texts(report))
    redacted = _rewrite(report, redactor)
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
    assert is_dataclass(value)
    assert not isinstance(value, type)
    changes = {
        item.name: _rewrite(getattr(value, item.name), redactor)
        for item in fields(value)
        if not (isinstance(value, TranscriptLine) and item.name == "excerpt_kind")
    }
    return replace(value, **changes)
