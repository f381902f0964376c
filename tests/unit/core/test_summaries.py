"""One-line tool input summaries (inspector.summaries)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from inspector.summaries import tool_input_summary


@pytest.mark.parametrize(
    ("name", "tool_input", "expected"),
    [
        ("Bash", {"command": "pytest -q", "description": "run tests"}, "pytest -q"),
        ("Read", {"file_path": "/srv/app/orders.py", "offset": 10}, "/srv/app/orders.py"),
        ("Edit", {"file_path": "a.py", "old_string": "x", "new_string": "y"}, "a.py"),
        ("Write", {"file_path": "b.py", "content": "print()"}, "b.py"),
        ("Grep", {"pattern": "def create_order"}, "def create_order"),
        ("Grep", {"pattern": "TODO", "path": "src"}, "TODO in src"),
        ("Glob", {"pattern": "**/*.py", "path": "app"}, "**/*.py in app"),
        ("WebFetch", {"url": "https://example.com", "prompt": "summarise"}, "https://example.com"),
        ("Task", {"description": "Find callers", "prompt": "long"}, "Find callers"),
        (
            "Agent",
            {"description": "Review", "subagent_type": "code-reviewer", "prompt": "p"},
            "Review (code-reviewer)",
        ),
        ("TodoWrite", {"todos": [{"content": "a"}, {"content": "b"}]}, "2 items"),
        ("TodoWrite", {"todos": [{"content": "a"}]}, "1 item"),
        ("mcp__github__get_issue", {"number": 3, "repo": "a/b"}, "a/b"),
        ("Frobnicate", {"level": 3, "mode": "fast"}, '{"level":3,"mode":"fast"}'),
        (None, {"x": 1}, '{"x":1}'),
    ],
)
def test_summary_per_tool(name: str | None, tool_input: object, expected: str) -> None:
    assert tool_input_summary(name, tool_input) == expected


def test_missing_field_falls_back_to_json() -> None:
    assert tool_input_summary("Bash", {"cmd": "ls"}) == '{"cmd":"ls"}'


def test_non_dict_input() -> None:
    assert tool_input_summary("Bash", "ls -la") == '"ls -la"'
    assert tool_input_summary("Read", None) == "null"


def test_one_line_and_cut() -> None:
    summary = tool_input_summary("Bash", {"command": "echo a\n\necho b   && " + "x" * 300}, 40)
    assert "\n" not in summary
    assert len(summary) == 40
    assert summary.startswith("echo a echo b")
    assert summary.endswith("…")


def test_control_characters_are_made_visible() -> None:
    summary = tool_input_summary("Bash", {"command": "printf '\x1b[31mred\x1b]52;c;ZXZpbA==\x07'"})
    assert "\x1b" not in summary
    assert "\x07" not in summary
    assert "\\x1b[31mred" in summary


def test_markup_is_kept_literally() -> None:
    assert tool_input_summary("Bash", {"command": "echo [/bold] [red]x"}) == "echo [/bold] [red]x"


def test_unserialisable_input_does_not_raise() -> None:
    assert tool_input_summary("X", {1, 2}) == '"{1, 2}"'


def test_does_not_import_textual() -> None:
    code = "import sys, inspector.summaries; print('textual' in sys.modules)"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "False"
