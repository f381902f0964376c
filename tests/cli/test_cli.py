"""`inspector check` and `inspector messages` as scripts and hooks use them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.conftest import SAMPLES
from tests.support.conversations import assistant, result, tool_use, user, write_conversation

FINDING_KEYS = {
    "rule",
    "severity",
    "ids",
    "message_index",
    "content_index",
    "line",
    "uuid",
    "text",
    "cause",
    "note",
    "resume",
    "why",
    "tools",
    "batch",
}
WHY_KEYS = {"cause", "summary", "client_version", "evidence"}
EVIDENCE_KEYS = {"line", "text", "timestamp"}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inspector", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_json_output_has_exactly_the_documented_shape() -> None:
    done = run("check", "--json", str(SAMPLES / "orphan-tool-use.jsonl"))
    assert done.returncode == 1
    [line] = done.stdout.splitlines()
    report = orjson.loads(line)
    assert set(report) == {
        "path",
        "format",
        "session_id",
        "ok",
        "counts",
        "findings",
        "last_valid",
        "client",
        "written_by",
        "resume",
    }
    assert report["format"] == "claude-code"
    assert report["written_by"] == "2.1.114"  # the file's version, not the rebuild's
    assert set(report["client"]) == {"label", "version", "source"}
    assert set(report["resume"]) == {"heals", "text", "errors_left", "steps"}
    assert report["ok"] is False
    assert set(report["counts"]) == {"messages", "tool_uses", "tool_results", "errors", "warnings"}
    assert report["counts"]["errors"] == 1
    [finding] = report["findings"]
    assert set(finding) == FINDING_KEYS
    assert set(finding["resume"]) == {"heals", "text"}
    assert finding["rule"] == "R1"
    assert finding["severity"] == "error"
    assert set(finding["why"]) == WHY_KEYS
    assert finding["why"]["cause"] == "unknown"  # the sample holds no evidence of a cause
    assert finding["why"]["client_version"] == "2.1.114"
    assert [set(evidence) for evidence in finding["why"]["evidence"]] == [EVIDENCE_KEYS] * 2
    assert finding["tools"] == ["Read"]
    assert finding["batch"] == 3
    assert set(report["last_valid"]) == {"message_index", "line", "uuid"}


def test_exit_0_on_a_healthy_session_and_one_object_per_file() -> None:
    done = run(
        "check",
        "--json",
        str(SAMPLES / "healthy-parallel.jsonl"),
        str(SAMPLES / "out-of-order.jsonl"),
    )
    assert done.returncode == 0
    assert [orjson.loads(line)["ok"] for line in done.stdout.splitlines()] == [True, True]


def test_folder_checks_every_transcript_in_it() -> None:
    done = run("check", "--json", str(SAMPLES))
    paths = [orjson.loads(line)["path"] for line in done.stdout.splitlines()]
    assert len(paths) == 8  # 7 samples + 1 subagent transcript
    assert done.returncode == 1


def test_missing_path_exits_2_with_one_line() -> None:
    done = run("check", "/no/such/file.jsonl")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "inspector: /no/such/file.jsonl: no such file or folder"
    ]


def test_not_a_transcript_exits_2_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_bytes(b"this is not json\nnor this\n")
    done = run("check", str(path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr == f"inspector: {path}: not a conversation (text that is not JSON)\n"


def test_permission_denied_exits_2(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = write_conversation(tmp_path / "s.jsonl", [user("go")])
    path.chmod(0)
    done = run("check", str(path))
    assert done.returncode == 2
    assert "permission denied" in done.stderr


def test_metadata_only_session_is_valid_and_empty(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"type":"file-history-snapshot","messageId":"m","snapshot":{}}\n')
    done = run("check", "--json", str(path))
    assert done.returncode == 0
    report = orjson.loads(done.stdout)
    assert report["counts"]["messages"] == 0
    assert report["last_valid"] is None


def test_no_path_checks_every_session_under_the_config_root(tmp_path: Path) -> None:
    project = tmp_path / "projects" / "-home-u-p"
    project.mkdir(parents=True)
    (project / "a.jsonl").write_bytes((SAMPLES / "healthy-parallel.jsonl").read_bytes())
    (project / "b.jsonl").write_bytes((SAMPLES / "orphan-result.jsonl").read_bytes())
    done = run("check", "--json", env={"CLAUDE_CONFIG_DIR": str(tmp_path), "HOME": str(tmp_path)})
    assert done.returncode == 1
    assert len(done.stdout.splitlines()) == 2


def test_no_path_also_finds_roo_cline_and_codex_sessions(tmp_path: Path) -> None:
    roo = tmp_path / ".config/Code/User/globalStorage/rooveterinaryinc.roo-cline/tasks/t1"
    roo.mkdir(parents=True)
    (roo / "api_conversation_history.json").write_bytes(
        b'[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]'
    )
    codex = tmp_path / "codex/sessions/2026/01/02"
    codex.mkdir(parents=True)
    (codex / "rollout-2026-01-02T00-00-00-x.jsonl").write_bytes(
        b'{"timestamp":"t","type":"session_meta","payload":{"id":"x"}}\n'
    )
    done = run(
        "check",
        "--json",
        env={
            "CLAUDE_CONFIG_DIR": str(tmp_path / "none"),
            "HOME": str(tmp_path),
            "CODEX_HOME": str(tmp_path / "codex"),
        },
    )
    formats = sorted(orjson.loads(line)["format"] for line in done.stdout.splitlines())
    assert formats == ["codex", "roo-code"]
    assert done.returncode == 0


def test_no_sessions_anywhere_exits_2(tmp_path: Path) -> None:
    done = run(
        "check",
        env={
            "CLAUDE_CONFIG_DIR": str(tmp_path),
            "HOME": str(tmp_path),
            "CODEX_HOME": str(tmp_path / "codex"),
        },
    )
    assert done.returncode == 2
    assert "no sessions found" in done.stderr


def test_human_output_groups_by_file_with_locations_and_no_colour_off_a_tty() -> None:
    done = run("check", str(SAMPLES / "orphan-tool-use.jsonl"))
    assert "\x1b[" not in done.stdout
    assert "orphan-tool-use.jsonl:6" in done.stdout
    assert "`tool_use` ids were found without `tool_result` blocks" in done.stdout
    assert "last valid turn: messages.0" in done.stdout


def test_hostile_text_never_reaches_the_terminal(tmp_path: Path) -> None:
    path = write_conversation(tmp_path / "s.jsonl", [user("go")])
    error = {
        "type": "assistant",
        "uuid": "e",
        "parentUuid": "u0",
        "sessionId": "s",
        "isSidechain": False,
        "timestamp": "2026-01-01T01:00:00Z",
        "isApiErrorMessage": True,
        "message": {
            "id": "x",
            "role": "assistant",
            "content": [{"type": "text", "text": "boom \x1b]52;c;ZXZpbA==\x07 \x1b[31mred"}],
        },
    }
    with path.open("ab") as handle:
        handle.write(orjson.dumps(error) + b"\n")
    done = run("check", "--color", "always", str(path))
    assert "\x1b]52" not in done.stdout
    assert "\x07" not in done.stdout
    assert "\\x1b]52;c;ZXZpbA==\\x07" in done.stdout


def test_messages_prints_the_projected_conversation(tmp_path: Path) -> None:
    path = write_conversation(
        tmp_path / "s.jsonl",
        [user("go"), assistant("reading", tool_use("toolu_a")), user(result("toolu_a", "42"))],
    )
    done = run("messages", str(path))
    assert done.returncode == 0
    assert orjson.loads(done.stdout) == {
        "messages": [
            {"role": "user", "content": "go"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "reading"},
                    {
                        "type": "tool_use",
                        "id": "toolu_a",
                        "name": "Read",
                        "input": {"file_path": "/x"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_a", "content": "42"},
                ],
            },
        ]
    }


def test_messages_of_a_missing_file_exits_2() -> None:
    done = run("messages", "/no/such.jsonl")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


_FORCED = ("claude-code", "anthropic-messages", "codex", "gemini-cli", "gemini-request")


@pytest.mark.parametrize(
    ("command", "forced"),
    [
        *((command, None) for command in ("check", "messages", "rewind", "repair")),
        *((command, forced) for command in ("check", "messages") for forced in _FORCED),
    ],
)
def test_a_file_that_is_no_conversation_is_one_line_naming_its_path_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, forced: str | None
) -> None:
    from inspector.cli import main

    path = tmp_path / "pyproject.toml"
    path.write_text('[build-system]\nrequires = ["hatchling"]\n')
    assert main([command, *(["--format", forced] if forced else []), str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].count(str(path)) == 1, lines[0]
    assert lines[0].startswith(f"inspector: {path}: "), lines[0]


def test_human_output_says_why_each_defect_happened() -> None:
    done = run("check", str(SAMPLES / "compacted.jsonl"), str(SAMPLES / "orphan-tool-use.jsonl"))
    lines = done.stdout.splitlines()
    [compaction] = [line for line in lines if line.strip().startswith("why: compaction:")]
    assert "client 2.1.114" in compaction
    assert compaction.endswith("evidence lines 24, 26")
    [unknown] = [line for line in lines if line.strip().startswith("why: unknown:")]
    assert unknown.endswith("evidence lines 6, 10")


def test_json_why_of_a_compaction_names_its_lines() -> None:
    done = run("check", "--json", str(SAMPLES / "compacted.jsonl"))
    [finding] = orjson.loads(done.stdout)["findings"]
    assert finding["why"]["cause"] == "compaction"
    assert [e["line"] for e in finding["why"]["evidence"]] == [24, 26]
    assert finding["why"]["evidence"][0]["text"].startswith("compaction boundary")
    assert finding["tools"] == []  # the call was compacted away: no name known
    assert finding["batch"] is None
