"""`inspector stats`: the counts over many sessions, their charts, `--json`, exit codes."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from inspector.cli.stats import report_lines, run_stats
from inspector.core.client import ClientChoice
from inspector.stats import batch_bucket, from_results
from tests.conftest import REPO, SAMPLES
from tests.support.synthetic import SessionWriter, ToolCall, bash_call, read_call

EXPECTED = orjson.loads((SAMPLES / "expected.json").read_bytes())
PLANTED = [name.removesuffix(".jsonl") for name in EXPECTED]
"""Every sample: planted defects and healthy ones (its subagent file is a session too)."""
STATS_KEYS = {
    "sessions",
    "defects",
    "by_cause",
    "by_client_version",
    "by_tool",
    "by_batch_size",
    "broken_by_client_version",
    "unreadable",
}


def run(*args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INSPECTOR_CLAUDE_BIN": "", "PATH": os.defpath}
    env.pop("COLUMNS", None)
    if home is not None:
        env |= {
            "HOME": str(home),
            "CLAUDE_CONFIG_DIR": str(home / ".claude"),
            "CODEX_HOME": str(home / "codex"),
        }
    return subprocess.run(
        [sys.executable, "-m", "inspector", "stats", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
    )


def stats_json(*args: str, home: Path | None = None) -> dict[str, Any]:
    done = run("--json", *args, home=home)
    assert done.returncode == 0, done.stderr
    parsed: dict[str, Any] = orjson.loads(done.stdout)
    return parsed


def finding(
    severity: str = "error",
    *,
    why: dict[str, Any] | None = None,
    tools: list[str] | None = None,
    batch: int | None = None,
    with_new_keys: bool = True,
) -> dict[str, Any]:
    """A ``check --json`` finding dict; ``with_new_keys=False``: as before ``why`` existed."""
    found: dict[str, Any] = {"rule": "R1", "severity": severity, "ids": ["toolu_01x"]}
    if with_new_keys:
        found |= {"why": why, "tools": tools or [], "batch": batch}
    return found


def result(version: str | None, *findings: dict[str, Any]) -> dict[str, Any]:
    client = None if version is None else {"label": "Claude Code", "version": version}
    ok = not any(f["severity"] == "error" for f in findings)
    return {"ok": ok, "client": client, "written_by": version, "findings": list(findings)}


def why(cause: str, client_version: str | None = None) -> dict[str, Any]:
    return {"cause": cause, "summary": "s", "client_version": client_version, "evidence": []}


# ------------------------------------------------------------ aggregation, from dicts


def test_aggregation_counts_defects_by_cause_version_tool_and_batch() -> None:
    stats = from_results(
        [
            result(
                "2.1.332",
                finding(why=why("interrupt", "2.1.90"), tools=["Bash", "Read"], batch=2),
                finding(why=why("hook_output"), tools=["Bash", "Bash"], batch=7),
                finding("warning"),  # R4 and the like: no defect
            ),
            result("2.1.332", finding(why=why("interrupt", "2.1.90"), tools=["Edit"], batch=4)),
            result("2.1.332", finding("warning", why=why("compaction"), tools=["Read"], batch=1)),
            result("2.1.332"),
            result("2.1.200", finding(with_new_keys=False)),  # an older result: no why yet
            result(None),
            result(None) | {"format": "codex"},
        ]
    )
    assert (stats.checked, stats.broken, stats.defects) == (7, 3, 5)
    assert stats.by_cause == Counter(interrupt=2, hook_output=1, compaction=1, unknown=1)
    assert stats.by_version == Counter(
        {"Claude Code 2.1.90": 2, "Claude Code 2.1.332": 2, "Claude Code 2.1.200": 1}
    )
    assert stats.by_tool == Counter(Bash=2, Read=2, Edit=1, unknown=1)
    assert stats.batch_counts() == {"1": 1, "2": 1, "3": 0, "4-5": 1, "6+": 1, "unknown": 1}
    rates = {rate.version: (rate.broken, rate.sessions) for rate in stats.version_rates()}
    assert rates == {
        "Claude Code 2.1.332": (2, 4),
        "Claude Code 2.1.200": (1, 1),
        "unknown": (0, 1),
        "codex, version unknown": (0, 1),
    }
    assert next(rate.version for rate in stats.version_rates()) == "Claude Code 2.1.200"


def test_json_object_has_every_breakdown_highest_count_first() -> None:
    stats = from_results(
        [
            result("2.1.1", finding(why=why("hook_output"), tools=["Read"], batch=3)),
            result("2.1.1", finding(why=why("interrupt")), finding(why=why("interrupt"))),
        ]
    )
    stats.add_unreadable("/x/b.jsonl", "/x/b.jsonl: not a conversation")
    shape = stats.as_dict()
    assert set(shape) == STATS_KEYS
    assert shape["sessions"] == {"checked": 2, "broken": 2, "unreadable": 1}
    assert list(shape["by_cause"].items()) == [("interrupt", 2), ("hook_output", 1)]
    assert shape["by_tool"] == {"unknown": 2, "Read": 1}
    assert shape["broken_by_client_version"] == [
        {"version": "Claude Code 2.1.1", "sessions": 2, "broken": 2, "rate": 1.0}
    ]
    assert shape["unreadable"] == [
        {"path": "/x/b.jsonl", "failure": "/x/b.jsonl: not a conversation"}
    ]


@pytest.mark.parametrize(
    ("size", "bucket"),
    [
        (1, "1"),
        (2, "2"),
        (3, "3"),
        (4, "4-5"),
        (5, "4-5"),
        (6, "6+"),
        (40, "6+"),
        (0, "unknown"),
        (None, "unknown"),
        (True, "unknown"),
        ("3", "unknown"),
    ],
)
def test_batch_buckets(size: object, bucket: str) -> None:
    assert batch_bucket(size) == bucket


# ------------------------------------------------------------------------ the charts


def test_charts_fit_the_width_and_the_longest_bar_fills_it() -> None:
    long_tool = "mcp__a_very_long_server_name__with_an_even_longer_tool_name_" * 2
    stats = from_results(
        [result("2.1.332", finding(why=why("interrupt"), tools=[long_tool, "Bash"], batch=9))]
        + [result("2.1.90", finding(why=why("hook_output"), tools=["Bash"], batch=1))] * 30
        + [result("2.1.90")] * 970
    )
    for width in (40, 80, 100):
        lines = report_lines(stats, width)
        assert max(len(line) for line in lines) <= width
        tool_rows = lines[lines.index("Defects by tool") + 1 :][:2]
        assert tool_rows[0].startswith("  Bash ")
        assert len(tool_rows[0]) == width
        assert tool_rows[1].endswith(" 1")
        assert "…" in tool_rows[1]
    lines = report_lines(stats, 80)
    assert lines[0] == "1001 sessions checked · 31 broke (3.1%) · 31 defects"
    rate_rows = lines[lines.index("Broken sessions by client version") + 1 :]
    assert rate_rows[0].startswith("  Claude Code 2.1.332 ")
    assert rate_rows[0].endswith("1/1 100.0%")
    assert rate_rows[1].endswith("30/1000   3.0%")
    assert "█" in rate_rows[1]


def test_untrusted_names_are_shown_escaped() -> None:
    stats = from_results([result("2.1.1", finding(tools=["Bash\x1b[2J\u202e"], batch=1))])
    text = "\n".join(report_lines(stats, 80))
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert "Bash\\x1b[2J\\u202e" in text


# --------------------------------------------------------- end to end, on real files


def plant_root(home: Path, names: list[str]) -> Path:
    """A Claude config root under ``home`` holding copies of the samples named."""
    project = home / ".claude" / "projects" / "-home-u-shop"
    project.mkdir(parents=True)
    for name in names:
        shutil.copy(SAMPLES / f"{name}.jsonl", project / f"{name}.jsonl")
    return project


def test_no_path_counts_every_stored_session(tmp_path: Path) -> None:
    plant_root(tmp_path, PLANTED)
    errors = {name: len(found["errors"]) for name, found in EXPECTED.items()}
    shape = stats_json(home=tmp_path)
    assert shape["sessions"] == {
        "checked": len(PLANTED),
        "broken": sum(1 for count in errors.values() if count),
        "unreadable": 0,
    }
    assert shape["defects"] == sum(errors.values())
    assert sum(shape["by_cause"].values()) == shape["defects"]
    assert sum(shape["by_batch_size"].values()) == shape["defects"]
    assert set(shape["by_batch_size"]) >= {"1", "2", "3", "4-5", "6+"}


def test_a_folder_of_samples_with_an_unreadable_file(tmp_path: Path) -> None:
    project = plant_root(tmp_path, ["healthy-parallel", "orphan-tool-use", "duplicate-id"])
    (project / "notes.jsonl").write_text("just some text\n")
    shape = stats_json(str(project))
    assert shape["sessions"] == {"checked": 3, "broken": 2, "unreadable": 1}
    assert shape["defects"] == 3  # R1; R5 and R5b
    assert [entry["path"] for entry in shape["unreadable"]] == [str(project / "notes.jsonl")]
    human = run(str(project))
    assert human.returncode == 0
    assert human.stdout.startswith("3 sessions checked · 2 broke (66.7%) · 3 defects · 1 could")
    unreadable = human.stdout.split("Could not be read\n")[1].splitlines()
    assert len(unreadable) == 1
    assert unreadable[0].startswith("  …")
    assert "/notes.jsonl: " in unreadable[0]
    assert max(len(line) for line in human.stdout.splitlines()) <= 80


def write_session(
    path: Path, version: str, batches: list[tuple[int, list[int]]], *, seed: int
) -> None:
    """A session written by ``version``: one batch of ``size`` calls per ``(size, dropped)``
    (the results of ``dropped`` never written: one R1 per batch), then a prompt and an
    answer (the session goes on: the missing results are an error, not calls pending)."""
    writer = SessionWriter(seed=seed, version=version)
    writer.prompt("Why do the tests fail?")
    for size, dropped in batches:
        calls: list[ToolCall] = [
            bash_call(f"pytest -k case{k}", "1 passed")
            if k % 2
            else read_call(f"/src/m{k}.py", "x")
            for k in range(size)
        ]
        writer.tool_batch(calls, text="Looking.", streaming=False, drop_results=dropped)
        writer.prompt("Go on.")
        writer.assistant_text("Done with this step.")
    writer.write(path)


def test_generated_sessions_by_version_batch_size_and_tool(tmp_path: Path) -> None:
    planted: dict[str, tuple[str, list[tuple[int, list[int]]]]] = {
        # file: (written by, its batches: (size, calls whose results are dropped))
        "a": ("2.1.90", [(1, [0]), (2, [])]),
        "b": ("2.1.90", [(3, []), (2, [1])]),
        "c": ("2.1.90", [(2, [])]),
        "d": ("2.1.114", [(4, [0, 3]), (7, [6])]),
        "e": ("2.1.114", [(5, [])]),
    }
    for seed, (name, (version, batches)) in enumerate(planted.items()):
        write_session(tmp_path / f"{name}.jsonl", version, batches, seed=seed)
    shape = stats_json("--client-version", "2.1.200", str(tmp_path))
    assert shape["sessions"] == {"checked": 5, "broken": 3, "unreadable": 0}
    assert shape["defects"] == 4  # one per batch with results missing
    # Read on even calls, Bash on odd ones: the dropped calls are 0; 1; 0 and 3; 6.
    assert shape["by_tool"] == {"Read": 3, "Bash": 2}
    assert shape["by_batch_size"] == {"1": 1, "2": 1, "3": 0, "4-5": 1, "6+": 1}
    # by the version that wrote them, not the release the rebuild followed (2.1.200)
    assert shape["by_client_version"] == {"Claude Code 2.1.114": 2, "Claude Code 2.1.90": 2}
    assert shape["broken_by_client_version"] == [
        {"version": "Claude Code 2.1.90", "sessions": 3, "broken": 2, "rate": 0.6667},
        {"version": "Claude Code 2.1.114", "sessions": 2, "broken": 1, "rate": 0.5},
    ]
    # results dropped mid-session, nothing around them that says why
    assert shape["by_cause"] == {"unknown": 4}


def test_cache_and_jobs_change_nothing(tmp_path: Path) -> None:
    plant_root(tmp_path, PLANTED)
    folder = str(tmp_path / ".claude")
    first = run("--json", "--jobs", "1", folder)
    again = run("--json", "--jobs", "2", folder)  # from the cache this time
    fresh = run("--json", "--no-cache", "--jobs", "2", folder)
    assert first.returncode == again.returncode == fresh.returncode == 0
    assert first.stdout == again.stdout == fresh.stdout


# ------------------------------------------------------------------------ exit codes


def test_a_missing_path_exits_2_with_one_line(tmp_path: Path) -> None:
    done = run(str(tmp_path / "nope.jsonl"))
    assert done.returncode == 2
    assert done.stderr == f"inspector: {tmp_path / 'nope.jsonl'}: no such file or folder\n"
    assert done.stdout == ""
    beside = run("--json", str(SAMPLES / "healthy-parallel.jsonl"), str(tmp_path / "nope"))
    assert beside.returncode == 2  # the stats of what exists, and the exit says not all
    assert orjson.loads(beside.stdout)["sessions"]["checked"] == 1


def test_nothing_readable_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text("not json\n")
    (tmp_path / "b.jsonl").write_text("nor this\n")
    done = run(str(tmp_path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("inspector: none of the 2 files could be read; the first: ")


def test_no_sessions_anywhere_exits_2(tmp_path: Path) -> None:
    done = run(home=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("inspector: no sessions found")
    assert len(done.stderr.splitlines()) == 1


def test_broken_sessions_still_exit_0() -> None:
    out = io.StringIO()
    code = run_stats(
        [SAMPLES / "orphan-tool-use.jsonl"], as_json=False, client=ClientChoice(), out=out
    )
    assert code == 0
    assert out.getvalue().startswith("1 session checked · 1 broke (100.0%) · 1 defect\n")


def test_a_folder_of_nothing_but_special_files_exits_2(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.jsonl")
    done = run(str(tmp_path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"inspector: skipped {tmp_path / 'pipe.jsonl'}: not a regular file: a named pipe (FIFO)",
        "inspector: no session to read",
    ]
