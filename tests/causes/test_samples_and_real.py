"""The cause of every planted defect in ``sample_sessions/``, of the defects the real
Claude Code 2.1.332 wrote (``tests/fixtures/claude_code/2.1.332``), and on every real
transcript: no cause without the lines that show it, every line in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.agents import NotATranscript
from inspector.causes import CauseKind, Why, explain
from inspector.check import check_file
from inspector.rules import Rule
from tests.conftest import REPO, SAMPLES

FIXTURES = REPO / "tests" / "fixtures" / "claude_code" / "2.1.332"
REAL_FOLDERS = sorted((REPO.parent / "shared").glob("realworld*"))

SAMPLE_CAUSES = {
    # file: [(rule, cause, evidence lines)]; the samples plant the defect alone, so
    # all but the compaction have no evidence of why: unknown, with the lines looked at
    "orphan-tool-use.jsonl": [(Rule.R1, CauseKind.UNKNOWN, [6, 10])],
    "orphan-result.jsonl": [(Rule.R2, CauseKind.UNKNOWN, [8])],
    "duplicate-id.jsonl": [
        (Rule.R5, CauseKind.UNKNOWN, [5, 14]),
        (Rule.R5B, CauseKind.UNKNOWN, [6, 15]),
    ],
    "out-of-order.jsonl": [(Rule.R4, CauseKind.UNKNOWN, [5, 6, 7, 10])],
    "compacted.jsonl": [(Rule.R2, CauseKind.COMPACTION, [24, 26])],
    "api-error.jsonl": [(Rule.R1, CauseKind.UNKNOWN, [5, 9])],
    "healthy-parallel.jsonl": [],
}
FIXTURE_CAUSES = {
    # the real client's own files: Ctrl-C, a killed process, results it made up
    "kill-sigint.killed.jsonl": [(Rule.R4, CauseKind.INTERRUPT, [15, 16, 22, 23])],
    "kill-sigterm.killed.jsonl": [(Rule.R1, CauseKind.ENDED_MID_BATCH, [17, 19, 21])],
    "kill-sigkill.killed.jsonl": [(Rule.R1, CauseKind.ENDED_MID_BATCH, [15, 19])],
    "kill-sigkill.resumed.jsonl": [
        (Rule.R4, CauseKind.CLIENT_FAKED, [15, 22]),
        (Rule.MADEUP, CauseKind.CLIENT_FAKED, [15, 22]),
    ],
    "late-result-resumed.resumed.jsonl": [
        (Rule.R1, CauseKind.CLIENT_FAKED, [17, 31]),
        (Rule.R2, CauseKind.CLIENT_FAKED, [17, 31]),
        (Rule.MADEUP, CauseKind.CLIENT_FAKED, [17, 31]),
    ],
}


def _explained(path: Path) -> list[tuple[Rule, CauseKind, list[int]]]:
    report = check_file(path)
    return [
        (finding.rule, why.kind, [evidence.line for evidence in why.evidence])
        for finding, why in zip(report.findings, explain(report), strict=True)
        if why is not None
    ]


@pytest.mark.parametrize("name", sorted(SAMPLE_CAUSES))
def test_each_sample_gets_its_cause_and_evidence_lines(name: str) -> None:
    assert sorted(_explained(SAMPLES / name)) == sorted(SAMPLE_CAUSES[name])


@pytest.mark.parametrize("name", sorted(FIXTURE_CAUSES))
def test_what_claude_code_wrote_gets_its_cause(name: str) -> None:
    assert sorted(_explained(FIXTURES / name)) == sorted(FIXTURE_CAUSES[name])


def test_the_interrupt_is_timed_against_the_batch() -> None:
    report = check_file(FIXTURES / "kill-sigint.killed.jsonl")
    [why] = [w for w in explain(report) if w is not None]
    assert why.client_version == "2.1.332"
    assert "2.1 s after the call" in why.summary
    assert "13 ms after it" in why.summary
    assert why.evidence[-1].text == "user interrupt: [Request interrupted by user for tool use]"


def _real_files() -> list[Path]:
    return sorted(
        path
        for folder in REAL_FOLDERS
        for path in folder.rglob("*")
        if path.suffix in (".jsonl", ".json") and path.is_file()
    )


def _line_count(path: Path) -> int:
    data = path.read_bytes()
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


def _check_claims(path: Path, whys: list[Why | None]) -> int:
    lines = _line_count(path)
    claimed = 0
    for why in whys:
        if why is None:
            continue
        if why.kind is not CauseKind.UNKNOWN:
            claimed += 1
            assert why.evidence, f"{path}: {why.kind} without evidence"
        for evidence in why.evidence:
            assert 1 <= evidence.line <= lines, f"{path}: line {evidence.line} of {lines}"
            assert evidence.text
            assert "\n" not in evidence.text
    return claimed


@pytest.mark.skipif(not REAL_FOLDERS, reason="no ../shared/realworld* folder")
def test_on_real_transcripts_no_cause_is_claimed_without_its_lines() -> None:
    with_findings = 0
    for path in _real_files():
        try:
            report = check_file(path)
        except NotATranscript:
            continue
        if report.findings:
            with_findings += 1
            _check_claims(path, explain(report))
    assert with_findings > 20  # the check ran over the real files (38 have findings)


@pytest.mark.skipif(not REAL_FOLDERS, reason="no ../shared/realworld* folder")
def test_a_real_glued_line_next_to_a_call_is_damage() -> None:
    path = REPO.parent / "shared/realworld-external/entireio-cli/63/590d292e96/0/full.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    assert (Rule.BADLINE, CauseKind.DAMAGED_FILE, [170, 172]) in _explained(path)
