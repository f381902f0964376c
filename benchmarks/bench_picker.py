"""The session picker on thousands of sessions, headless: list, badges, keys.

Generates a Claude Code config root of N small sessions once (``benchmarks/out/``), then
runs the app on it (``App.run_test``) with a fresh result cache (cold), and again with the
cache the first run left (warm, a new app: nothing in memory). Reports the time from the
app's start to the first rows on screen, to every row in the table, to every badge, and
the longest wait for a key (``down``, answered when the cursor moves) while the badges
were still filling.

    python benchmarks/bench_picker.py              # 5,000 sessions
    python benchmarks/bench_picker.py --sessions 1000 --size 160x48
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual import events  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from inspector.tui.app import make_app  # noqa: E402
from inspector.tui.screens.picker import SessionPicker  # noqa: E402
from tests.app.many_sessions import write_root  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
PENDING = "…"


def config_root(count: int) -> Path:
    root = OUT / f"picker-{count}"
    done = root / ".complete"
    if not done.exists():
        shutil.rmtree(root, ignore_errors=True)
        started = time.monotonic()
        write_root(root, count)
        done.write_text("")
        print(f"generated {count} sessions in {time.monotonic() - started:.1f} s", flush=True)
    return root


async def run_once(root: Path, size: tuple[int, int], label: str) -> None:
    count = sum(1 for _ in (root / "projects").glob("*/*.jsonl"))
    started = time.monotonic()
    app = make_app(str(root), follow=False, root=root)
    async with app.run_test(size=size) as pilot:
        while not isinstance(app.screen, SessionPicker):
            await pilot.pause(0.005)
        picker = app.screen
        table = picker.query_one(DataTable)
        while not table.row_count:
            await pilot.pause(0.005)
        shown = time.monotonic() - started
        while table.row_count < count:
            await pilot.pause(0.005)
        listed = time.monotonic() - started

        def pending() -> int:
            return sum(1 for cell in table.get_column("health") if PENDING in str(cell))

        waits: list[float] = []
        while pending():
            before = table.cursor_row
            pressed = time.monotonic()
            # Posted as a terminal would send it: Pilot.press also waits for the screen
            # to be idle, which it is not while cells keep changing.
            app.post_message(events.Key("down" if before < count - 1 else "home", None))
            while table.cursor_row == before:
                await pilot.pause(0.001)
            waits.append(time.monotonic() - pressed)
            await pilot.pause(0.1)
        badges = time.monotonic() - started
        await pilot.press("q")
    longest = max(waits, default=0.0)
    if os.environ.get("BENCH_VERBOSE"):
        print([round(w * 1000) for w in waits])
    print(
        f"{label}: first rows on screen {shown:.2f} s, all {count} rows {listed:.2f} s, "
        f"every badge {badges:.2f} s, "
        f"{len(waits)} keys while filling: longest {longest * 1000:.0f} ms",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--size", default="80x24", help="terminal size, COLSxROWS")
    options = parser.parse_args()
    width, height = (int(part) for part in options.size.split("x"))
    root = config_root(options.sessions)
    with tempfile.TemporaryDirectory(prefix="bench-picker-cache-") as cache:
        os.environ["INSPECTOR_CACHE_DIR"] = cache
        asyncio.run(run_once(root, (width, height), "cold cache"))
        asyncio.run(run_once(root, (width, height), "warm cache"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
