"""Every real transcript in ../shared/realworld is healthy: no error finding, right links."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.agents.claude_code.read import load
from inspector.check import check_file
from tests.conftest import REALWORLD, realworld_files

FILES = realworld_files()


def test_all_41_real_transcripts_are_present() -> None:
    if not REALWORLD.is_dir():
        pytest.skip(f"real transcripts not found at {REALWORLD}")
    assert len(FILES) == 41


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REALWORLD)))
def test_no_error_on_a_healthy_real_transcript(path: Path) -> None:
    report = check_file(path)
    assert report.errors == [], [f.text for f in report.errors]


EXPECTED_SUBAGENTS = {
    "claude-code-log/-Users-dain-workspace-coderabbit-review-helper/"
    "cb2e607c-c758-415a-8b45-c49e4631906a.jsonl": {"ea02459f": "agent-ea02459f.jsonl"},
    "claude-code-log/-src-deep-manifest/a7da6a22-facc-4fcd-8bab-f83c87862004.jsonl": {
        "c8d9b115": "agent-c8d9b115.jsonl"
    },
    "claude-code-log/-src-experiments-claude_p/29ccd257-68b1-427f-ae5f-6524b7cb6f20.jsonl": {
        "a2271d1": "agent-a2271d1.jsonl"
    },
    "claude-code-log/-experiments-worktrees/ef958aa1-0e93-49f0-bb71-150f63befcd1.jsonl": {
        agent: f"agent-{agent}.jsonl"
        for agent in (
            "a36efb2a1231c41e2",
            "a4ca7529859c158c2",
            "a52886dc180afb356",
            "a6aa8ad077d9ea083",
            "ab1e6e141221a29ab",
            "aef063ba534d73153",
        )
    },
    "spotter/4d5611e5-241a-462a-8d15-5122611a9569.jsonl": {"a2898e3": "agent-a2898e3.jsonl"},
    "spotter/8463c716-a2ea-4c14-9efa-87158ebd9f20.jsonl": {"a7be2f0": "agent-a7be2f0.jsonl"},
}


@pytest.mark.parametrize("relative", sorted(EXPECTED_SUBAGENTS))
def test_subagent_files_are_linked_to_their_calls(relative: str) -> None:
    if not REALWORLD.is_dir():
        pytest.skip(f"real transcripts not found at {REALWORLD}")
    conversation = load(REALWORLD / relative)
    linked = {
        link.agent_id: link.path.name
        for link in conversation.subagents
        if link.agent_id and link.path is not None
    }
    assert linked == EXPECTED_SUBAGENTS[relative]
    for link in conversation.subagents:
        if link.path is not None:
            assert link.path.is_file()


def test_inline_sidechains_of_1_0_x_are_linked_by_prompt() -> None:
    if not REALWORLD.is_dir():
        pytest.skip(f"real transcripts not found at {REALWORLD}")
    conversation = load(REALWORLD / "claude-code-viewer/fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl")
    roots = [link.root_uuid for link in conversation.subagents]
    assert len(roots) == 5
    assert all(roots)
    assert all(link.path is None for link in conversation.subagents)


def test_rewound_branch_is_known() -> None:
    if not REALWORLD.is_dir():
        pytest.skip(f"real transcripts not found at {REALWORLD}")
    conversation = load(
        REALWORLD / "claude-code-log/-experiments-ideas/03eb5929-52b3-4b13-ada3-b93ae35806b8.jsonl"
    )
    [branch] = conversation.abandoned
    assert branch.origins[0].line >= 17
    assert branch.origins[-1].line <= 36
    assert all(origin.line < 38 for origin in branch.origins)


def test_copied_real_transcript_without_shared() -> None:
    from tests.conftest import DATA

    report = check_file(DATA / "realworld" / "short.jsonl")
    assert report.ok
    assert report.tool_use_count == 2
