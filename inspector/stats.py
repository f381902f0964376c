"""How sessions broke, over many of them: the counts behind ``inspector stats``.

Built from the ``check --json`` result of each file (what :func:`inspector.batch.check_many`
yields), so a run reuses the result cache. A finding dict may carry ``why`` (its cause),
``tools`` (the tools of the calls it names) and ``batch`` (the number of parallel calls in
the assistant message of the call); a result without them (an older cache entry, a finding
no cause was found for) is counted under :data:`UNKNOWN`, never guessed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from inspector.batch import Checked

UNKNOWN: Final = "unknown"
"""The key of what a result does not say."""

BATCH_SIZES: Final = ("1", "2", "3", "4-5", "6+")
"""The buckets of parallel calls in the batch a defect's call was in, smallest first."""


def batch_bucket(size: object) -> str:
    """The bucket of a batch of ``size`` parallel calls (:data:`UNKNOWN` when not a count)."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        return UNKNOWN
    if size <= 3:
        return str(size)
    return "4-5" if size <= 5 else "6+"


def is_defect(finding: Mapping[str, Any]) -> bool:
    """An error the API rejects, or a finding a cause was given for (a ``why``)."""
    return finding.get("severity") == "error" or finding.get("why") is not None


@dataclass(frozen=True, slots=True)
class VersionRate:
    """How many sessions a client version wrote, and how many of them broke."""

    version: str
    sessions: int
    broken: int

    @property
    def rate(self) -> float:
        return self.broken / self.sessions if self.sessions else 0.0


@dataclass
class SessionStats:
    """Counts over the sessions added so far."""

    checked: int = 0
    broken: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    """(path, why it could not be read) of each file that could not be checked."""
    defects: int = 0
    by_cause: Counter[str] = field(default_factory=Counter)
    by_version: Counter[str] = field(default_factory=Counter)
    """Defects by the client version that wrote them (the cause's, else the session's)."""
    by_tool: Counter[str] = field(default_factory=Counter)
    """Defects by tool: a defect naming calls of two tools counts for each."""
    by_batch: Counter[str] = field(default_factory=Counter)
    sessions_by_version: Counter[str] = field(default_factory=Counter)
    broken_by_version: Counter[str] = field(default_factory=Counter)

    def add(self, result: Mapping[str, Any]) -> None:
        """One file's ``check --json`` result."""
        version = session_version(result)
        self.checked += 1
        self.sessions_by_version[version] += 1
        if not result.get("ok", True):
            self.broken += 1
            self.broken_by_version[version] += 1
        label = _client_label(result)
        for finding in result.get("findings", ()):
            if is_defect(finding):
                self._add_defect(finding, version, label)

    def _add_defect(self, finding: Mapping[str, Any], version: str, label: str) -> None:
        self.defects += 1
        why = finding.get("why")
        why = why if isinstance(why, Mapping) else {}
        self.by_cause[_text_or_unknown(why.get("cause"))] += 1
        written_by = why.get("client_version")
        if isinstance(written_by, str) and written_by:
            version = f"{label} {written_by}" if label else written_by
        self.by_version[version] += 1
        tools = finding.get("tools")
        names = {name for name in tools if isinstance(name, str) and name} if tools else set()
        self.by_tool.update(names or {UNKNOWN})
        self.by_batch[batch_bucket(finding.get("batch"))] += 1

    def add_unreadable(self, path: str, failure: str) -> None:
        self.unreadable.append((path, failure))

    def add_checked(self, checked: Checked) -> None:
        """One outcome of :func:`inspector.batch.check_many`."""
        if checked.result is None:
            self.add_unreadable(str(checked.path), checked.failure or "")
        else:
            self.add(checked.result)

    def version_rates(self) -> list[VersionRate]:
        """Broken sessions per client version, highest rate first."""
        rates = [
            VersionRate(version, sessions, self.broken_by_version[version])
            for version, sessions in self.sessions_by_version.items()
        ]
        return sorted(rates, key=lambda rate: (-rate.rate, -rate.sessions, rate.version))

    def batch_counts(self) -> dict[str, int]:
        """Defects by batch size, every bucket in order (zero included), unknown last."""
        counts = {bucket: self.by_batch[bucket] for bucket in BATCH_SIZES}
        if self.by_batch[UNKNOWN]:
            counts[UNKNOWN] = self.by_batch[UNKNOWN]
        return counts

    def as_dict(self) -> dict[str, Any]:
        """The ``inspector stats --json`` object."""
        return {
            "sessions": {
                "checked": self.checked,
                "broken": self.broken,
                "unreadable": len(self.unreadable),
            },
            "defects": self.defects,
            "by_cause": most_first(self.by_cause),
            "by_client_version": most_first(self.by_version),
            "by_tool": most_first(self.by_tool),
            "by_batch_size": self.batch_counts(),
            "broken_by_client_version": [
                {
                    "version": rate.version,
                    "sessions": rate.sessions,
                    "broken": rate.broken,
                    "rate": round(rate.rate, 4),
                }
                for rate in self.version_rates()
            ],
            "unreadable": [{"path": path, "failure": failure} for path, failure in self.unreadable],
        }


def session_version(result: Mapping[str, Any]) -> str:
    """ "Claude Code 2.1.114": the client version that wrote the session (``written_by``:
    not ``client``, the release its rebuild followed); else its format and that the
    version is unknown ("codex, version unknown"), else unknown."""
    written_by = result.get("written_by")
    if not isinstance(written_by, str) or not written_by:
        format_name = result.get("format")
        if isinstance(format_name, str) and format_name:
            return f"{format_name}, version {UNKNOWN}"
        return UNKNOWN
    label = _client_label(result)
    return f"{label} {written_by}" if label else written_by


def most_first(counts: Counter[str]) -> dict[str, int]:
    """The counts, highest first, ties by name (a stable order for people and machines)."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def collect(outcomes: Iterable[Checked]) -> SessionStats:
    stats = SessionStats()
    for checked in outcomes:
        stats.add_checked(checked)
    return stats


def from_results(results: Iterable[Mapping[str, Any]]) -> SessionStats:
    """Stats over ``check --json`` results already at hand."""
    stats = SessionStats()
    for result in results:
        stats.add(result)
    return stats


def _client_label(result: Mapping[str, Any]) -> str:
    client = result.get("client")
    label = client.get("label") if isinstance(client, Mapping) else None
    return label if isinstance(label, str) else ""


def _text_or_unknown(value: object) -> str:
    return value if isinstance(value, str) and value else UNKNOWN
