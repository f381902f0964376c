"""The detail pane of a defect says why it happened: the cause, the client version and the
lines that show it."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.app.helpers import SIZE, copy_sample, detail_text, loaded, open_app, wait_for
from tests.support.synthetic import SessionWriter, bash_call, read_call


async def test_the_detail_of_an_interrupted_call_shows_the_interrupt(tmp_path: Path) -> None:
    w = SessionWriter(seed=21)
    w.prompt("Run the tests and read the config.")
    w.tool_batch(
        [bash_call("pytest -q", "3 passed"), read_call("/srv/app/config.toml", "[db]\n")],
        streaming=False,
        drop_results=[1],
    )
    w.interrupt()
    w.prompt("Stop.")
    w.assistant_text("Stopped.")
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"".join(orjson.dumps(entry) + b"\n" for entry in w.entries()))
    interrupt_line = next(
        n
        for n, entry in enumerate(w.entries(), 1)
        if "[Request interrupted" in orjson.dumps(entry).decode()
    )
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: "interrupt:" in detail_text(app), "the cause")
        flat = " ".join(detail_text(app).split())
        assert "why interrupt: the user interrupted" in flat
        assert "1 of the batch's 2 calls had no result yet" in flat
        assert "client 2.1.114" in flat
        assert f"line {interrupt_line} user interrupt: [Request interrupted by user]" in flat


async def test_the_detail_of_a_compacted_result_names_the_boundary(tmp_path: Path) -> None:
    app = open_app(copy_sample("compacted", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: "compaction:" in detail_text(app), "the cause")
        flat = " ".join(detail_text(app).split())
        assert "line 24 compaction boundary (trigger auto" in flat
        assert "line 26 tool result for toolu_012ot96oLbz6lVE1Rpp944Tl" in flat
