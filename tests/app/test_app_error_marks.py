"""Red ✗ means one thing: the API rejects it. A tool that ran and failed (``is_error``) is
normal and gets its own mark, so a healthy session shows no red mark."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from inspector.rules import CallStatus
from inspector.tui.conversation_view import NodeKind
from inspector.tui.labels import status_mark
from inspector.tui.screens.help import help_text
from tests.app.helpers import SIZE, labels, loaded, nodes_of, open_app, status_text, wait_for
from tests.support.synthetic import SessionWriter, bash_call


def _red_spans(text: Text) -> list[str]:
    return [text.plain[s.start : s.end] for s in text.spans if "red" in str(s.style)]


async def test_a_failed_tool_is_not_marked_like_an_api_error(tmp_path: Path) -> None:
    writer = SessionWriter(seed=7)
    writer.prompt("Run the tests")
    writer.tool_batch([bash_call("pytest -q", "1 failed", exit_code=1)])
    writer.assistant_text("One test fails.")
    path = tmp_path / "failed-test.jsonl"
    writer.write(path)
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert "0 errors" in status_text(app)
        message = next(n for n in nodes_of(app, NodeKind.MESSAGE) if n.allow_expand)
        message.expand()
        await wait_for(pilot, lambda: nodes_of(app, NodeKind.CALL), "the call")
        call = nodes_of(app, NodeKind.CALL)[0]
        assert "answered with is_error" in str(call.label)
        assert "✗" not in "\n".join(labels(app))
        for node in app.tool_tree.iter_nodes():
            label = node.label if isinstance(node.label, Text) else Text(str(node.label))
            assert _red_spans(label) == [], str(label)


def test_the_legend_tells_the_failed_tool_mark_from_the_api_error_mark() -> None:
    mark = status_mark(CallStatus.ANSWERED_ERROR, words=False)
    assert mark.plain != "✗"
    assert _red_spans(mark) == []
    legend = "\n".join(part.plain for part in help_text().renderables if isinstance(part, Text))
    assert f"{mark.plain}  {CallStatus.ANSWERED_ERROR.value}" in legend
    assert "✗" in legend  # the red one, said to mean the API rejects it
    assert "the API rejects" in legend
