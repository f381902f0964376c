"""Every defect planted in sample_sessions/ is found with the right rule and ids."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from inspector.check import check_file
from inspector.rules import Severity
from tests.conftest import SAMPLES

EXPECTED = orjson.loads((SAMPLES / "expected.json").read_bytes())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_findings_are_exactly_the_planted_ones(name: str) -> None:
    report = check_file(SAMPLES / name)

    def found(severity: Severity) -> list[tuple[str, frozenset[str]]]:
        return sorted(
            (f.rule.value, frozenset(f.ids))
            for f in report.findings
            if f.severity is severity and f.rule.value not in ("APIERROR",)
        )

    expected = EXPECTED[name]
    assert found(Severity.ERROR) == sorted(
        (e["rule"], frozenset(e["ids"])) for e in expected["errors"]
    )
    assert found(Severity.WARNING) == sorted(
        (w["rule"], frozenset(w["ids"])) for w in expected["warnings"]
    )


def test_stored_api_errors_point_at_their_cause() -> None:
    report = check_file(SAMPLES / "api-error.jsonl")
    api_errors = [f for f in report.findings if f.rule.value == "APIERROR"]
    assert len(api_errors) == 2
    [r1] = [f for f in report.errors if f.rule.value == "R1"]
    assert all(f.ids == r1.ids for f in api_errors)


def test_samples_are_regenerated_identically(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = SAMPLES.parent / "scripts" / "make_samples.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True)
    for sample in SAMPLES.rglob("*"):
        if sample.is_file():
            assert (tmp_path / sample.relative_to(SAMPLES)).read_bytes() == sample.read_bytes()
