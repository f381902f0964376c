"""Cline 3.x task histories with native tool calls: the assistant turns hold ``tool_use``
blocks, the results are stored as text blocks (``"[read_file for 'a.py'] Result:\\n…"``,
``ToolResultUtils.createToolResultBlock`` when no tool_use id is known), and no
``tool_result`` at all. When it sends, Cline 3.35+ puts a ``tool_result`` first in the next
user turn for each call, in call order, with ``"result missing"`` for the ones not stored
(``ContextManager.ensureToolResultsFollowToolUse``). The tasks below are written the way
Cline 3.51 stores them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from inspector.agents import plan_rewrite
from inspector.agents.cline import AGENT as CLINE
from inspector.check import check_file
from inspector.rewrite.plan import Action
from inspector.rules import Rule

TASKS = ".config/Code/User/globalStorage/saoudrizwan.claude-dev/tasks"
ENVIRONMENT = {
    "type": "text",
    "text": "<environment_details>\n# Current Mode\nACT MODE\n</environment_details>",
}


def _task(home: Path, messages: list[dict[str, Any]], task_id: str = "1760000000000") -> Path:
    folder = home / TASKS / task_id
    folder.mkdir(parents=True)
    (folder / "ui_messages.json").write_bytes(b"[]")
    path = folder / "api_conversation_history.json"
    path.write_bytes(orjson.dumps(messages))
    return path


def _user(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks), "ts": 1760000000000}


def _assistant(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "assistant", "content": list(blocks), "ts": 1760000000000}


def _call(tool_id: str, name: str, **params: str) -> dict[str, Any]:
    return {"type": "tool_use", "id": tool_id, "name": name, "input": params}


def _said(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _result(description: str, output: str) -> dict[str, Any]:
    return _said(f"{description} Result:\n{output}")


TASK_START = _user(_said("<task>\nfix a.py\n</task>"), ENVIRONMENT)


def _healthy() -> list[dict[str, Any]]:
    return [
        TASK_START,
        _assistant(_said("I'll read a.py."), _call("toolu_01", "read_file", path="a.py")),
        _user(_result("[read_file for 'a.py']", "print(1)"), ENVIRONMENT),
        _assistant(_call("toolu_02", "replace_in_file", path="a.py", diff="…")),
        _user(_result("[replace_in_file for 'a.py']", "The content was saved."), ENVIRONMENT),
        _assistant(_call("toolu_03", "attempt_completion", result="Fixed.")),
        _user(_said("[attempt_completion] Result:\nThe user has provided feedback"), ENVIRONMENT),
    ]


def test_a_healthy_3x_task_is_accepted_with_no_finding(tmp_path: Path) -> None:
    report = check_file(_task(tmp_path, _healthy()))
    assert report.conversation.format == "cline"
    assert report.findings == []
    assert report.tool_use_count == 3


def test_each_call_is_sent_with_cline_3x_placeholder_first(tmp_path: Path) -> None:
    report = check_file(_task(tmp_path, _healthy()))
    sent = CLINE.message_payloads(report.conversation)
    assert sent[2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01", "content": "result missing"},
            _result("[read_file for 'a.py']", "print(1)"),
            ENVIRONMENT,
        ],
    }
    assert sent[1] == {"role": "assistant", "content": _healthy()[1]["content"]}


def test_two_calls_in_one_turn_get_their_results_in_call_order(tmp_path: Path) -> None:
    messages = [
        TASK_START,
        _assistant(
            _call("toolu_a", "read_file", path="a.py"), _call("toolu_b", "read_file", path="b.py")
        ),
        _user(
            _result("[read_file for 'a.py']", "a"),
            _result("[read_file for 'b.py']", "b"),
            ENVIRONMENT,
        ),
        _assistant(_said("Both read.")),
    ]
    report = check_file(_task(tmp_path, messages))
    assert report.findings == []
    content = CLINE.message_payloads(report.conversation)[2]["content"]
    ids = [block.get("tool_use_id") for block in content]
    assert ids == ["toolu_a", "toolu_b", None, None, None]


def test_a_call_with_no_result_at_all_is_made_up_not_an_error(tmp_path: Path) -> None:
    messages = _healthy()
    messages[4] = _user(ENVIRONMENT)  # the task was interrupted: no result for toolu_02
    report = check_file(_task(tmp_path, messages))
    assert report.ok
    [finding] = report.findings
    assert finding.rule is Rule.MADEUP
    assert finding.ids == ("toolu_02",)
    assert "'result missing'" in finding.text
    assert "Cline" in finding.text


def test_a_stored_tool_result_out_of_order_is_sent_first(tmp_path: Path) -> None:
    messages = _healthy()
    stored = {"type": "tool_result", "tool_use_id": "toolu_01", "content": "x"}
    messages[2] = _user(ENVIRONMENT, stored)
    report = check_file(_task(tmp_path, messages))
    assert report.findings == []
    content = CLINE.message_payloads(report.conversation)[2]["content"]
    assert content[0] == {"type": "tool_result", "tool_use_id": "toolu_01", "content": "x"}


def test_a_defect_cline_3x_does_not_heal_is_still_an_error(tmp_path: Path) -> None:
    messages = _healthy()
    messages[6] = _user({"type": "tool_result", "tool_use_id": "toolu_99", "content": "?"})
    messages[5] = _assistant(_said("Done."))  # no call: nothing to reorder, the orphan is sent
    report = check_file(_task(tmp_path, messages))
    assert [finding.ids for finding in report.errors] == [("toolu_99",)]


def test_rewind_of_a_healthy_3x_task_has_nothing_to_do(tmp_path: Path) -> None:
    plan = plan_rewrite(Action.REWIND, _task(tmp_path, _healthy()))
    assert plan.nothing_to_fix


def test_rewind_keeps_everything_before_a_real_defect(tmp_path: Path) -> None:
    messages = _healthy()
    messages[5] = _assistant(_said("Done."))
    messages[6] = _user({"type": "tool_result", "tool_use_id": "toolu_99", "content": "?"})
    plan = plan_rewrite(Action.REWIND, _task(tmp_path, messages))
    assert plan.kept["stored_messages"] == 6  # all before the orphan, not 1 of 7


@pytest.mark.parametrize(
    "where", ["cline-4", "roo-code"], ids=["cline >= 4 session", "roo code task"]
)
def test_the_same_history_elsewhere_is_sent_as_stored(tmp_path: Path, where: str) -> None:
    if where == "cline-4":
        folder = tmp_path / ".cline/data/sessions/s1"
        folder.mkdir(parents=True)
        path = folder / "s1.messages.json"
    else:
        folder = tmp_path / ".config/Code/User/globalStorage/rooveterinaryinc.roo-cline/tasks/t1"
        folder.mkdir(parents=True)
        path = folder / "api_conversation_history.json"
    path.write_bytes(orjson.dumps(_healthy()))
    report = check_file(path)
    assert {finding.rule for finding in report.errors} == {Rule.R1}
