"""Big sessions: only the newest messages are in the tree; older ones load on demand."""

from __future__ import annotations

from pathlib import Path

from inspector.tui.conversation_view import NodeKind
from tests.app.helpers import SIZE, cursor_label, loaded, nodes_of, open_app, wait_for
from tests.support.synthetic import SessionWriter, bash_call, read_call

WINDOW = 20


def session_with_an_early_defect(path: Path, turns: int = 60) -> None:
    writer = SessionWriter(seed=31)
    writer.prompt("Look at the config")
    writer.tool_batch(
        [read_call("/srv/config.toml", "a = 1\n"), bash_call("ls", "config.toml")],
        drop_results=[0],
        streaming=False,
    )
    writer.assistant_text("Read it.")
    for n in range(turns):
        writer.prompt(f"Question {n}")
        writer.tool_batch([bash_call(f"echo {n}", str(n))])
        writer.assistant_text(f"Answer {n}.")
    writer.write(path)


async def test_only_the_tail_is_in_the_tree_and_more_loads_on_demand(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    session_with_an_early_defect(path)
    app = open_app(path)
    app.tool_tree.window = WINDOW
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert app.main is not None
        assert app.main.view is not None
        total = app.main.view.message_count
        assert len(nodes_of(app, NodeKind.MESSAGE)) == WINDOW
        gap = nodes_of(app, NodeKind.GAP)[0]
        assert str(gap.label).startswith(f"⋯ {total - WINDOW} earlier messages")
        app.tool_tree.reveal(gap)
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: len(nodes_of(app, NodeKind.MESSAGE)) == 2 * WINDOW, "20 more messages"
        )
        assert str(nodes_of(app, NodeKind.GAP)[0].label).startswith(
            f"⋯ {total - 2 * WINDOW} earlier messages"
        )


async def test_next_problem_loads_an_early_problem(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    session_with_an_early_defect(path)
    app = open_app(path)
    app.tool_tree.window = WINDOW
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: "missing result (R1)" in cursor_label(app), "the R1 call")
        assert "/srv/config.toml" in cursor_label(app)
        assert not nodes_of(app, NodeKind.GAP)
