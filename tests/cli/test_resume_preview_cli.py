"""The resume preview and the client release from the command line, on the planted
samples and on transcripts the real Claude Code 2.1.332 wrote (``tests/fixtures``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from tests.conftest import REPO, SAMPLES

WRITTEN = REPO / "tests" / "fixtures" / "claude_code" / "2.1.332"
NO_CLIENT = {"PATH": os.defpath, "INSPECTOR_CLAUDE_BIN": ""}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inspector", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **NO_CLIENT},
        cwd=REPO,
        check=False,
    )


def check_json(path: Path, *options: str) -> dict[str, Any]:
    done = run("check", "--json", *options, str(path))
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, Any] = orjson.loads(done.stdout)
    return report


def tool_ids(messages: list[dict[str, Any]]) -> list[str]:
    return [
        b.get("id") or b.get("tool_use_id")
        for m in messages
        if isinstance(m["content"], list)
        for b in m["content"]
        if b.get("type") in ("tool_use", "tool_result")
    ]


def test_as_resumed_leaves_out_what_the_client_drops() -> None:
    path = SAMPLES / "orphan-tool-use.jsonl"
    recorded = orjson.loads(run("messages", str(path)).stdout)["messages"]
    resumed = orjson.loads(run("messages", "--as-resumed", str(path)).stdout)["messages"]
    orphan = "toolu_01rl2GAu77DnCyJeBIrzFL3C"
    assert orphan in tool_ids(recorded)
    assert orphan not in tool_ids(resumed)
    assert len(tool_ids(resumed)) == len(tool_ids(recorded)) - 1


def test_check_says_per_finding_and_per_session_what_resuming_does() -> None:
    report = check_json(SAMPLES / "orphan-tool-use.jsonl")
    assert report["client"] == {
        "label": "Claude Code",
        "version": "2.1.332",
        "source": "newest known",
    }
    [finding] = report["findings"]
    assert finding["resume"]["heals"] is True
    assert finding["resume"]["text"].startswith(
        "`claude --resume` heals this: Claude Code 2.1.332 drops the call Read "
        "`/home/dev/projects/shop-api/config/import.toml` (line 6)"
    )
    resume = report["resume"]
    assert (resume["heals"], resume["errors_left"]) == (True, 0)
    [step] = resume["steps"]
    assert (step["action"], step["tool"], step["line"]) == ("dropped_call", "Read", 6)
    human = run("check", str(SAMPLES / "orphan-tool-use.jsonl")).stdout
    assert "as Claude Code 2.1.332 (newest known) sends it" in human
    assert "resume: `claude --resume 780c4b16-a510-49fa-a2b2-bbd1c38dbe31` heals it" in human


def test_the_release_named_decides_the_verdict() -> None:
    path = WRITTEN / "kill-sigkill.killed.jsonl"
    newest = check_json(path)["resume"]["steps"]
    older = check_json(path, "--client-version", "2.1.197")["resume"]["steps"]
    assert [s["action"] for s in newest] == ["faked_result"]
    assert "[Tool call interrupted" in newest[0]["text"]
    assert [s["action"] for s in older] == ["dropped_call"]


def test_a_healthy_session_has_no_verdict_to_give() -> None:
    report = check_json(SAMPLES / "healthy-parallel.jsonl")
    assert report["resume"]["steps"] == []
    assert all(f["resume"] is None for f in report["findings"])


def test_a_client_version_that_is_no_version_is_refused() -> None:
    done = run("check", "--client-version", "latest", str(SAMPLES / "orphan-tool-use.jsonl"))
    assert done.returncode == 2
    assert done.stderr.strip() == "inspector: --client-version 'latest': not a version like 2.1.332"


def test_results_the_client_made_up_are_findings_of_their_own() -> None:
    at_resume = check_json(WRITTEN / "kill-sigkill.resumed.jsonl")
    [made_up] = [f for f in at_resume["findings"] if f["rule"] == "MADEUP"]
    assert made_up["severity"] == "warning"
    assert made_up["ids"] == ["toolu_01Sleep"]
    assert "made up the result of toolu_01Sleep when it resumed the session" in made_up["text"]
    at_send = check_json(WRITTEN / "late-result-resumed.resumed.jsonl")
    [sent] = [f for f in at_send["findings"] if f["rule"] == "MADEUP"]
    assert "[Tool result missing due to internal error]" in sent["text"]
    assert "when it sent a request" in sent["text"]


def test_a_stored_400_in_the_new_words_keeps_the_api_text() -> None:
    report = check_json(WRITTEN / "api-400-r2.failed.jsonl")
    [error] = [f for f in report["findings"] if f["rule"] == "APIERROR"]
    assert error["text"].startswith(
        "API Error: 400 orphaned tool_result in conversation history. (the API said: "
        "messages.4.content.0: unexpected `tool_use_id` found in `tool_result` blocks"
    )


def test_commands_take_a_session_id_as_the_app_does(tmp_path: Path) -> None:
    session = "780c4b16-a510-49fa-a2b2-bbd1c38dbe31"
    project = tmp_path / "projects" / "-tmp-p"
    project.mkdir(parents=True)
    (project / f"{session}.jsonl").write_bytes((SAMPLES / "orphan-tool-use.jsonl").read_bytes())
    env = {**os.environ, **NO_CLIENT, "CLAUDE_CONFIG_DIR": str(tmp_path), "HOME": str(tmp_path)}

    def run_with(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "inspector", *args]
        return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO, check=False)

    checked = run_with("check", "--json", session)
    assert checked.returncode == 1, checked.stderr
    assert orjson.loads(checked.stdout)["session_id"] == session
    assert run_with("messages", session).returncode == 0
    planned = run_with("rewind", "--dry-run", session)
    assert planned.returncode == 0, planned.stderr
    missing = run_with("check", "no-such-session")
    assert (missing.returncode, missing.stderr.strip()) == (
        2,
        "inspector: no-such-session: no such file or folder",
    )
