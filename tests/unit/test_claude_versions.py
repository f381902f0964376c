"""The version matrix: the list file, ``INSPECTOR_CLAUDE_BINS`` and the fallbacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.claude_versions import (
    VERSIONS_FILE,
    listed_versions,
    matrix,
    parse_bins,
    version_key,
    written_by,
)


def _fake_claude(folder: Path, version: str) -> str:
    binary = folder / f"claude-{version}"
    binary.write_text(f"#!/bin/sh\necho '{version} (Claude Code)'\n", encoding="utf-8")
    binary.chmod(0o755)
    return str(binary)


def test_the_list_starts_with_its_newest_version() -> None:
    versions = listed_versions()
    assert len(versions) >= 3
    assert versions[0] == max(versions, key=version_key)  # raising it = editing line one


def test_listed_versions_skip_comments_and_refuse_garbage(tmp_path: Path) -> None:
    listed = tmp_path / "versions.txt"
    listed.write_text("# judge\n2.1.400  # newest\n\n2.0.77\n", encoding="utf-8")
    assert listed_versions(listed) == ["2.1.400", "2.0.77"]
    listed.write_text("latest\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a version"):
        listed_versions(listed)


def test_bins_are_version_path_pairs_separated_by_commas() -> None:
    assert parse_bins("2.1.332=/a/claude, 2.0.77=,") == [("2.1.332", "/a/claude"), ("2.0.77", "")]
    with pytest.raises(ValueError, match="VERSION=PATH"):
        parse_bins("/a/claude")


def test_versions_order_by_number_not_text() -> None:
    assert version_key("2.1.332") > version_key("2.1.40") > version_key("2.0.77")


def test_a_version_that_did_not_install_is_kept_with_its_reason(tmp_path: Path) -> None:
    listed = tmp_path / "versions.txt"
    listed.write_text("2.1.332\n2.1.197\n2.0.77\n", encoding="utf-8")
    new, old = _fake_claude(tmp_path, "2.1.332"), _fake_claude(tmp_path, "2.1.197")
    clients = matrix({"INSPECTOR_CLAUDE_BINS": f"2.1.197={old},2.1.332={new},2.0.77="}, listed)
    assert [(c.version, c.binary, c.judge) for c in clients] == [
        ("2.1.332", new, True),
        ("2.1.197", old, False),
        ("2.0.77", None, False),
    ]
    assert "could not be installed" in clients[2].missing


def test_a_listed_version_the_variable_does_not_name_is_skipped_not_dropped(
    tmp_path: Path,
) -> None:
    listed = tmp_path / "versions.txt"
    listed.write_text("2.1.332\n2.1.197\n", encoding="utf-8")
    old = _fake_claude(tmp_path, "2.1.197")
    clients = matrix({"INSPECTOR_CLAUDE_BINS": f"2.1.197={old}"}, listed)
    assert [(c.version, c.binary, c.judge) for c in clients] == [
        ("2.1.332", None, True),
        ("2.1.197", old, False),
    ]
    assert "does not name it" in clients[0].missing


def test_without_the_variable_one_binary_is_the_matrix(tmp_path: Path) -> None:
    only = _fake_claude(tmp_path, "2.1.197")
    clients = matrix({"INSPECTOR_CLAUDE_BIN": only, "PATH": ""}, VERSIONS_FILE)
    assert [(c.version, c.binary, c.judge) for c in clients] == [("2.1.197", only, True)]
    assert matrix({"PATH": str(tmp_path / "nothing")}, VERSIONS_FILE) == []


def test_written_by_is_the_newest_recorded_version(tmp_path: Path) -> None:
    transcript = tmp_path / "s.jsonl"
    transcript.write_text(
        '{"version":"2.0.9"}\n{"version": "2.0.10"}\n{"type":"summary"}\n', encoding="utf-8"
    )
    assert written_by(transcript) == "2.0.10"


def test_what_the_rebuild_calls_newest_is_the_matrix_judge() -> None:
    from inspector.agents.claude_code.releases import NEWEST_KNOWN

    assert listed_versions()[0] == NEWEST_KNOWN


def test_every_version_a_note_names_is_in_the_matrix() -> None:
    """A note says which releases it holds for; each must be one the tests run (so a
    note that stops holding fails a real-client test, not a user)."""
    import re

    from inspector.agents.claude_code.projection import NOTES

    listed = set(listed_versions())
    for kind, note in _fields(NOTES):
        named = set(re.findall(r"\b\d+\.\d+\.\d+\b", note or ""))
        assert named, f"the {kind} note names no release"
        assert named <= listed, f"the {kind} note names {named - listed}, not in the matrix"


def _fields(notes: object) -> list[tuple[str, str | None]]:
    from dataclasses import fields

    return [(f.name, getattr(notes, f.name)) for f in fields(notes)]  # type: ignore[arg-type]
