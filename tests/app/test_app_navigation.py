"""Opening a sample, jumping between problems, the detail pane, keys and screens."""

from __future__ import annotations

from pathlib import Path

from inspector.tui.conversation_view import NodeKind
from tests.app.helpers import (
    SIZE,
    copy_sample,
    cursor_label,
    detail_text,
    loaded,
    nodes_of,
    open_app,
    status_text,
    tree_text,
    wait_for,
)
from tests.support.synthetic import SessionWriter, bash_call

R1_TEXT = (
    "messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: "
    "toolu_01rl2GAu77DnCyJeBIrzFL3C."
)


async def test_opens_at_the_tail_with_status(tmp_path: Path) -> None:
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await wait_for(pilot, lambda: cursor_label(app).startswith("#7 "), "cursor on the tail")
        status = status_text(app)
        assert "orphan-tool-use.jsonl" in status
        assert "8 turns · 4 calls · 1 error · 0 warnings" in status
        assert "last valid turn: #0 (line 3)" in status
        assert "✗ messages.2: `tool_use` ids were found" in status
        assert "∅ missing result" in tree_text(app)


async def test_next_problem_shows_the_api_text(tmp_path: Path) -> None:
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: "missing result (R1)" in cursor_label(app), "the R1 call")
        assert "config/import.toml" in cursor_label(app)
        await wait_for(pilot, lambda: R1_TEXT in detail_text(app).replace("\n", ""), "API text")
        detail = detail_text(app)
        assert "result absent: no tool_result for this id anywhere after it" in detail
        flat = " ".join(detail.split())
        assert (
            "`claude --resume` heals this: Claude Code 2.1.332 drops the call Read "
            "`/home/dev/projects/shop-api/config/import.toml` (line 6); the model will not "
            "know it ran" in flat
        )
        assert "Claude Code 2.1.197 and 2.1.332 (checked) do not send this call" in flat
        assert "orphan-tool-use.jsonl:6" in detail
        assert '"file_path": "/home/dev/projects/shop-api/config/import.toml"' in detail
        assert app.tool_tree.border_subtitle == "problem 1/1: R1"


async def test_next_and_previous_step_through_problems(tmp_path: Path) -> None:
    app = open_app(copy_sample("duplicate-id", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        subtitles = []
        for key in ("n", "n", "n", "p"):
            await pilot.press(key)
            await pilot.pause()
            await wait_for(pilot, lambda: app.tool_tree.border_subtitle, "a problem")
            subtitles.append(str(app.tool_tree.border_subtitle))
        assert subtitles == [
            "problem 1/2: R5",
            "problem 2/2: R5b",
            "problem 1/2: R5",
            "problem 2/2: R5b",
        ]
        assert cursor_label(app).startswith("≡ duplicate id (R5)  Read")


async def test_healthy_session_has_no_problem_to_jump_to(tmp_path: Path) -> None:
    app = open_app(copy_sample("healthy-parallel", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        before = cursor_label(app)
        await pilot.press("n")
        await wait_for(pilot, lambda: app._notifications, "a notification")
        assert cursor_label(app) == before
        assert "✓ the API accepts this conversation" in status_text(app)


async def test_subagent_loads_when_expanded(tmp_path: Path) -> None:
    app = open_app(copy_sample("healthy-parallel", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        message = next(n for n in nodes_of(app, NodeKind.MESSAGE) if "#11 " in str(n.label))
        message.expand()
        await wait_for(pilot, lambda: nodes_of(app, NodeKind.CALL), "the Agent call")
        nodes_of(app, NodeKind.CALL)[0].expand()
        await wait_for(pilot, lambda: nodes_of(app, NodeKind.SUBAGENT), "the subagent row")
        subagent = nodes_of(app, NodeKind.SUBAGENT)[0]
        assert not subagent.children
        subagent.expand()
        await wait_for(pilot, lambda: subagent.children, "the subagent's messages")
        assert "6 messages" in str(subagent.label)
        assert "List every place in app/" in str(subagent.children[0].label)


async def test_long_output_is_folded_until_e(tmp_path: Path) -> None:
    writer = SessionWriter(seed=3)
    writer.prompt("Show the log")
    output = "\n".join(f"log line {n}" for n in range(300))
    writer.tool_batch([bash_call("cat build.log", output)])
    writer.assistant_text("Done.")
    path = tmp_path / "long.jsonl"
    writer.write(path)
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        message = next(n for n in nodes_of(app, NodeKind.MESSAGE) if n.allow_expand)
        app.tool_tree.reveal(message)
        message.expand()
        await wait_for(pilot, lambda: nodes_of(app, NodeKind.CALL), "the call")
        app.tool_tree.reveal(nodes_of(app, NodeKind.CALL)[0])
        await wait_for(pilot, lambda: "log line 39" in detail_text(app), "the folded output")
        assert "log line 40" not in detail_text(app)
        assert "260 more lines (press e to show all)" in detail_text(app)
        await pilot.press("e")
        await wait_for(pilot, lambda: "log line 299" in detail_text(app), "the whole output")


async def test_help_screen_opens_and_closes(tmp_path: Path) -> None:
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "HelpScreen", "help")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ != "HelpScreen", "closed")


async def test_abandoned_branch_is_marked_not_sent(tmp_path: Path) -> None:
    writer = SessionWriter(seed=5)
    writer.prompt("First question")
    answer = writer.assistant_text("First answer.")
    writer.prompt("A question the user rewound")
    writer.assistant_text("An answer that was rewound.")
    writer._head = answer  # /rewind: the next prompt hangs off the first answer
    writer.prompt("The question asked instead")
    writer.assistant_text("The answer that counts.")
    path = tmp_path / "rewound.jsonl"
    writer.write(path)
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        branches = nodes_of(app, NodeKind.BRANCH)
        assert len(branches) == 1
        assert "⎇ abandoned branch after #1 · 2 entries · not sent" in str(branches[0].label)
        app.tool_tree.reveal(branches[0])
        await wait_for(pilot, lambda: "Abandoned branch: not sent" in detail_text(app), "detail")
        branches[0].expand()
        await wait_for(pilot, lambda: len(branches[0].children) == 2, "the branch's entries")
        app.tool_tree.reveal(branches[0].children[0])
        await wait_for(
            pilot, lambda: "A question the user rewound" in detail_text(app), "the entry's text"
        )
        assert "The question asked instead" in tree_text(app)


async def test_keys_can_be_remapped_by_binding_id(tmp_path: Path) -> None:
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        app.set_keymap({"inspector.next_problem": "j"})
        await pilot.press("j")
        await wait_for(pilot, lambda: "missing result (R1)" in cursor_label(app), "the R1 call")


async def test_command_palette_offers_the_actions(tmp_path: Path) -> None:
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Next problem", "Follow", "Filter", "Sessions", "Rewind", "Repair"} <= titles
