"""The registry is the only door to the agents: shared code names no format and imports
no agent module, and every agent answers the whole protocol."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import inspector
from inspector.agents import AGENTS, FORMAT_NAMES, agent_named, detect_format, load_conversation
from inspector.agents.history.document import StoredHistory
from inspector.core.agent import NOT_MINE, Sample
from tests.conftest import SAMPLES

PACKAGE = Path(inspector.__file__).resolve().parent
FORMAT_LITERALS = frozenset(
    {
        "claude-code",
        "roo-code",
        "cline",
        "codex",
        "anthropic-messages",
        "openai-chat",
        "openai-responses",
        "bedrock-converse",
    }
)
LITERAL_EXCEPTIONS = {
    # The API family is spelled like the request format; it names an API, not an agent.
    ("core/model.py", "openai-chat"),
    ("core/model.py", "openai-responses"),
    ("core/model.py", "bedrock-converse"),
}
IMPORT_EXCEPTIONS = {
    # Claude Code's own storage and liveness, which no other agent has (yet): the app
    # opens its config root, shows live pids and its subagent files.
    "tui/launch.py": "Claude Code's config root and project folders",
    "tui/app.py": "Claude Code's config root and live pids",
    "tui/screens/picker.py": "Claude Code's live pids",
    "tui/conversation_view.py": "Claude Code's subagent files beside a session",
    "tui/widgets/status_bar.py": "Claude Code's pid wording",
    "cli/check.py": "Claude Code's config root, listed project by project",
    "cli/watch.py": "Claude Code's projects folder, watched by default with other agents' storage",
    "hooks/settings.py": "Claude Code's config root, where its settings.json is",
}


def _outside_agents() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "agents" not in p.relative_to(PACKAGE).parts)


def test_no_module_outside_agents_names_a_format() -> None:
    found = set()
    for path in _outside_agents():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in FORMAT_LITERALS:
                found.add((path.relative_to(PACKAGE).as_posix(), node.value))
    assert found == LITERAL_EXCEPTIONS


def test_no_module_outside_agents_imports_an_agent_module() -> None:
    importers = set()
    for path in _outside_agents():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            if any(name.startswith("inspector.agents.") for name in names) and (
                node.module != "inspector.agents" if isinstance(node, ast.ImportFrom) else True
            ):
                importers.add(path.relative_to(PACKAGE).as_posix())
    assert importers == set(IMPORT_EXCEPTIONS)


def test_every_agent_is_listed_once_and_answers_the_protocol(tmp_path: Path) -> None:
    assert tuple(agent.name for agent in AGENTS) == FORMAT_NAMES
    assert len(set(FORMAT_NAMES)) == len(AGENTS)
    nowhere = tmp_path / "nothing.json"
    for agent in AGENTS:
        assert agent_named(agent.name) is agent
        assert agent.label
        assert agent.api
        assert agent.sessions(tmp_path, {}) == []  # an empty home holds no session
        assert agent.watches(nowhere, None, nowhere)
        assert not agent.watches(nowhere, None, tmp_path / "other.txt")
        assert agent.line_event(["not", "a", "line"]) is None


@pytest.mark.parametrize(
    ("first", "messages", "name", "expected"),
    [
        ({"type": "session_meta", "payload": {}}, None, "rollout.jsonl", "codex"),
        (None, [{"role": "tool", "content": "x"}], "request.json", "openai-chat"),
        (None, [{"role": "user", "content": "x", "isSummary": False}], "h.json", "roo-code"),
        (None, [{"role": "user", "content": "x"}], "api_conversation_history.json", "cline"),
        (None, [{"role": "user", "content": "x"}], "request.json", "anthropic-messages"),
        ({"type": "user"}, None, "s.jsonl", "claude-code"),
    ],
)
def test_the_highest_score_wins(
    first: object, messages: list[object] | None, name: str, expected: str
) -> None:
    sample = Sample(Path("/x") / name, b"{", first, messages)
    scores = {agent.name: agent.recognise(sample) for agent in AGENTS}
    best = max(scores.values())
    assert best > NOT_MINE
    assert next(n for n, score in scores.items() if score == best) == expected


def test_a_whole_document_is_read_once_to_recognise_and_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import inspector.agents as registry
    from inspector.agents.history import agent as document_agent

    path = tmp_path / "request.json"
    path.write_bytes(b'{\n "messages": [{"role": "user", "content": "hi"}]\n}\n')
    reads: list[Path] = []
    for module in (registry, document_agent):

        def counted(p: Path, real: Callable[[Path], StoredHistory] = module.read_history) -> Any:
            reads.append(p)
            return real(p)

        monkeypatch.setattr(module, "read_history", counted)
    assert load_conversation(path).format == detect_format(path) == "anthropic-messages"
    assert reads == [path, path]  # once for load (recognise and load), once for detect


def test_claude_code_is_followed_by_its_tail_and_a_task_is_not() -> None:
    assert agent_named(detect_format(SAMPLES / "orphan-tool-use.jsonl")).follower(
        SAMPLES / "orphan-tool-use.jsonl"
    )
    assert agent_named("roo-code").follower(SAMPLES / "orphan-tool-use.jsonl") is None
