"""The filter, and hostile transcript text shown literally (no markup, no escapes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from inspector.tui.app import InspectorApp
from inspector.tui.conversation_view import NodeKind
from tests.app.helpers import (
    SIZE,
    copy_sample,
    detail_text,
    labels,
    loaded,
    nodes_of,
    open_app,
    status_text,
    wait_for,
)
from tests.support.synthetic import SessionWriter, ToolCall, bash_call

HOSTILE = "done [/bold] and [red]x then \x1b[31mred\x1b[0m and \x1b]52;c;ZXZpbA==\x07 end"


async def test_filter_by_tool_name_then_clear(tmp_path: Path) -> None:
    app = open_app(copy_sample("healthy-parallel", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        everything = len(nodes_of(app, NodeKind.MESSAGE))
        await pilot.press("slash", *"bash")
        await wait_for(pilot, lambda: len(nodes_of(app, NodeKind.MESSAGE)) == 2, "two matches")
        calls = [str(node.label) for node in nodes_of(app, NodeKind.CALL)]
        assert len(calls) == 4
        assert all(label.startswith("✓ Bash  ") for label in calls)
        assert "filter: bash" in status_text(app)
        await pilot.press("enter")
        await pilot.press("escape")
        await wait_for(
            pilot, lambda: len(nodes_of(app, NodeKind.MESSAGE)) == everything, "every message"
        )
        assert "filter:" not in status_text(app)


async def test_filter_by_id_and_by_input_text(tmp_path: Path) -> None:
    app = open_app(copy_sample("healthy-parallel", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("slash", *"hzkpvm")
        await wait_for(pilot, lambda: len(nodes_of(app, NodeKind.CALL)) == 1, "the call by id")
        assert "pytest tests/test_orders.py -q" in str(nodes_of(app, NodeKind.CALL)[0].label)
        await pilot.press(*["backspace"] * 6, *"invoices.py")
        await wait_for(
            pilot,
            lambda: (
                [str(n.label) for n in nodes_of(app, NodeKind.CALL)]
                == ["✓ Edit  /home/dev/projects/shop-api/app/invoices.py  …KsyMdh"]
            ),
            "the call by its input",
        )


def showing_call(app: InspectorApp, name: str) -> Callable[[], bool]:
    def check() -> bool:
        text = detail_text(app)
        return text.startswith(name) and "Input" in text

    return check


def hostile_session(path: Path) -> None:
    writer = SessionWriter(seed=9)
    writer.prompt(f"please print {HOSTILE}")
    writer.tool_batch(
        [
            bash_call(f"printf '{HOSTILE}'", f"{HOSTILE}\n[bold]not bold[/bold]\n[link=x]y[/link]"),
            ToolCall("mcp__evil__[/bold]", {"arg": HOSTILE}, HOSTILE, None),
        ],
        text=HOSTILE,
    )
    writer.assistant_text(f"It printed {HOSTILE}")
    writer.write(path)


async def test_hostile_text_is_shown_literally(tmp_path: Path) -> None:
    path = tmp_path / "hostile.jsonl"
    hostile_session(path)
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        for message in nodes_of(app, NodeKind.MESSAGE):
            if message.allow_expand:
                message.expand()
        await wait_for(pilot, lambda: len(nodes_of(app, NodeKind.CALL)) == 2, "both calls")
        shown = "\n".join(labels(app))
        assert "[/bold] and [red]x then \\x1b[31mred\\x1b[0m and \\x1b]52;c;ZXZpbA==\\x07" in shown
        assert "mcp__evil__[/bold]" in shown
        assert "\x1b" not in shown
        assert "\x07" not in shown
        for call in nodes_of(app, NodeKind.CALL):
            app.tool_tree.reveal(call)
            name = str(call.label).split()[1]
            await wait_for(pilot, showing_call(app, name), "the call detail")
            detail = detail_text(app)
            assert "[/bold] and [red]x then \\x1b[31mred" in detail
            assert "\x1b" not in detail
            assert "\x07" not in detail
            assert "[bold]not bold[/bold]" in detail or name.startswith("mcp__")
        screen = app.export_screenshot()
        assert "\x1b" not in screen
        assert "\x07" not in screen
        assert "[red]x" in screen


async def test_hostile_result_detail_keeps_markup_literal(tmp_path: Path) -> None:
    path = tmp_path / "hostile.jsonl"
    hostile_session(path)
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        message = next(n for n in nodes_of(app, NodeKind.MESSAGE) if n.allow_expand)
        message.expand()
        await wait_for(pilot, lambda: nodes_of(app, NodeKind.CALL), "the calls")
        bash = next(n for n in nodes_of(app, NodeKind.CALL) if "Bash" in str(n.label))
        bash.expand()
        await wait_for(pilot, lambda: nodes_of(app, NodeKind.RESULT), "the result row")
        app.tool_tree.reveal(nodes_of(app, NodeKind.RESULT)[0])
        await wait_for(pilot, lambda: "[link=x]y[/link]" in detail_text(app), "literal markup")
        assert "[bold]not bold[/bold]" in detail_text(app)
