"""Write a large, realistic, healthy Claude Code 2.1.x transcript for benchmarks.

    python benchmarks/generate_transcript.py OUT.jsonl [--size-mb 100] [--seed 0]

About 500 lines per MB (≈ 50,000 lines for 100 MB): many turns, parallel
batches of 2 to 6 calls (mostly streaming, some not), hook attachments, thinking
blocks; most lines are short, tool outputs are often tens of KB and a few lines
are 1 to 10 MB. Outputs mix code, logs, ANSI escapes, backslashes, quotes, tabs and
non-ASCII text so that JSON decoding does real work. Deterministic per seed.
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.synthetic import (  # noqa: E402
    SessionWriter,
    ToolCall,
    bash_call,
    edit_call,
    glob_call,
    grep_call,
    read_call,
)

CWD = "/home/dev/src/atlas-platform"
MODULES = ["billing", "catalog", "checkout", "identity", "search", "shipping", "ledger", "notify"]
WORDS = [
    *("cache", "retry", "order", "invoice", "tenant", "shard", "queue", "batch", "span"),
    *("token", "cursor", "window", "index", "ledger", "payload", "schema", "client"),
    *("worker", "lease", "quota", "budget", "region", "replica", "snapshot"),
]
NON_ASCII = [
    "größe → size",
    "café déjà vu",
    "注意, 并发写入",
    "ログを確認",
    "✓ done",
    "⚠ flaky",
    "🚀 deployed",
    "naïve façade",
    "Ωmega ≤ 5 µs",
    "─── section ───",
]


class TextPool:
    """Pre-generated lines of code, logs and prose, sampled to build outputs quickly."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self.code = [self._code_line() for _ in range(4000)]
        self.logs = [self._log_line() for _ in range(4000)]
        self.prose = [self._prose_line() for _ in range(1500)]
        self._means = {
            id(p): sum(map(len, p)) / len(p) + 1 for p in (self.code, self.logs, self.prose)
        }

    def drawing_with(self, rng: random.Random) -> TextPool:
        """The same lines, sampled with ``rng`` (a pool built once serves many sessions)."""
        pool = copy.copy(self)
        pool._rng = rng
        return pool

    def _w(self) -> str:
        return self._rng.choice(WORDS)

    def _code_line(self) -> str:
        r = self._rng
        a, b, c = self._w(), self._w(), self._w()
        return r.choice(
            [
                f"def {a}_{b}(self, {c}: dict[str, Any]) -> {a.title()}{b.title()}:",
                f"    {a} = self._{b}.get({c!r}, default=None)  # {r.choice(NON_ASCII)}",
                f'    raise {a.title()}Error(f"{b} {{{c}!r}} not found in \\"{a}\\"")',
                f"    return [{a} for {a} in {b}s if {a}.{c} is not None]",
                f'    path = r"C:\\Users\\dev\\{a}\\{b}.json"',
                f'    pattern = re.compile(r"^{a}-(\\d+)\\s*=\\s*\\"(.*)\\"$")',
                "",
                f"class {a.title()}{b.title()}({c.title()}Base):",
                f'    """{r.choice(NON_ASCII)}: {a} {b} {c}."""',
                f"\tif {a} and not {b}:\t# tab-indented legacy block",
                f"    logger.debug('{a}=%s {b}=%s', {a}, {b})",
                f"    {a}_{b} = {{'{c}': {r.randint(0, 9999)}, 'ratio': {r.random():.4f}}}",
            ]
        )

    def _log_line(self) -> str:
        r = self._rng
        ts = f"2026-03-{r.randint(1, 28):02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:"
        ts += f"{r.randint(0, 59):02d},{r.randint(0, 999):03d}"
        level = r.choice(["INFO ", "INFO ", "DEBUG", "WARN ", "ERROR"])
        return r.choice(
            [
                f"{ts} {level} [worker-{r.randint(1, 16)}] {self._w()} {self._w()} took "
                f"{r.random() * 900:.1f}ms",
                f"\x1b[32mPASSED\x1b[0m tests/{self._w()}/test_{self._w()}.py::test_{self._w()}"
                f"_{self._w()}[{r.randint(0, 40)}]",
                f"\x1b[31mFAILED\x1b[0m tests/test_{self._w()}.py::test_{self._w()} - "
                f"AssertionError: assert {r.randint(0, 99)} == {r.randint(0, 99)}",
                f'{ts} {level} {{"event": "{self._w()}", "tenant": "t-{r.randint(1, 500)}", '
                f'"msg": "{r.choice(NON_ASCII)}"}}',
                f'  File "/srv/atlas/{self._w()}/{self._w()}.py", line {r.randint(1, 900)}, '
                f"in {self._w()}_{self._w()}",
                f"{ts} {level} retry {r.randint(1, 5)}/5 for {self._w()}: "
                "ConnectionResetError(104, 'Connection reset by peer')",
            ]
        )

    def _prose_line(self) -> str:
        r = self._rng
        words = " ".join(self._w() for _ in range(r.randint(6, 18)))
        return r.choice(
            [
                f"The `{self._w()}` path {words}.",
                f"- **{self._w().title()}**: {words} ({r.choice(NON_ASCII)})",
                f"1. Check `{self._w()}_{self._w()}()` — {words}.",
                f"```python\n{r.choice(self.code)}\n```",
            ]
        )

    def text(self, pool: list[str], size: int) -> str:
        """About ``size`` characters of lines drawn from ``pool``."""
        mean = self._means.get(id(pool)) or sum(map(len, pool)) / len(pool) + 1
        return "\n".join(self._rng.choices(pool, k=max(1, round(size / mean))))


class Generator:
    """Writes turns into a streaming :class:`SessionWriter` until the size target is reached."""

    def __init__(
        self,
        out: BinaryIO,
        size_bytes: int,
        seed: int,
        compactions: int = 0,
        *,
        pool: TextPool | None = None,
        cwd: str = CWD,
        git_branch: str = "feature/ledger-v2",
        start: datetime | None = None,
        session_id: str | None = None,
    ) -> None:
        """``pool``: lines to draw from (default: built from ``seed``, ~0.1 s);
        ``start``, ``session_id``: the writer's (default: its own)."""
        self.rng = random.Random(seed ^ 0x5EED)
        self.pool = TextPool(self.rng) if pool is None else pool.drawing_with(self.rng)
        self.out = out
        self.target = size_bytes
        self.cwd = cwd
        options: dict[str, Any] = {} if start is None else {"start": start}
        self.w = SessionWriter(
            seed=seed,
            cwd=cwd,
            git_branch=git_branch,
            thinking=True,
            hooks=True,
            stream=out,
            session_id=session_id,
            **options,
        )
        # a few outputs of 0.4-3.6 MB: lines of 1-10 MB (written twice, plus escapes)
        huge_count = max(1, round(size_bytes / 25e6))
        self.huge_at = sorted(self.rng.uniform(0.1, 0.9) * size_bytes for _ in range(huge_count))
        spread = [0.4e6 + 3.2e6 * (k + self.rng.random()) / huge_count for k in range(huge_count)]
        self.huge_sizes = [int(min(x, size_bytes / 8 / huge_count)) for x in spread]
        self.rng.shuffle(self.huge_sizes)
        self.compact_at = [size_bytes * (k + 1) / (compactions + 1) for k in range(compactions)]
        self.files = [
            f"{cwd}/src/atlas/{m}/{self.rng.choice(WORDS)}_{self.rng.choice(WORDS)}.py"
            for m in MODULES
            for _ in range(12)
        ]

    def size(self) -> int:
        return self.out.tell()

    def output_size(self) -> int:
        """Characters of tool output: mostly short, some tens of KB, a few of megabytes."""
        r = self.rng.random()
        if r < 0.83:
            return self.rng.randint(60, 600)
        if r < 0.98:
            return self.rng.randint(1_000, 5_000)
        return self.rng.randint(10_000, 50_000)

    def call(self) -> ToolCall:
        """The next call of the main session: now and then one with an output of megabytes."""
        if self.huge_at and self.size() >= self.huge_at[0]:
            self.huge_at.pop(0)
            path = self.rng.choice(self.files)
            return self.make_call(self.rng.choice(["read", "bash"]), self.huge_sizes.pop(), path)
        return self.small_call()

    def small_call(self) -> ToolCall:
        """A call with an ordinary output (no megabytes)."""
        r = self.rng
        path = r.choice(self.files)
        size = self.output_size()
        kind = r.choices(["read", "bash", "grep", "glob", "edit"], [35, 25, 20, 8, 12])[0]
        return self.make_call(kind, size, path)

    def make_call(self, kind: str, size: int, path: str) -> ToolCall:
        r = self.rng
        if kind == "read":
            return read_call(path, self.pool.text(self.pool.code, size))
        if kind == "bash":
            cmd = r.choice(
                [
                    "pytest -x -q tests/",
                    "tail -n 400 logs/worker.log",
                    "make lint",
                    "git log --stat -n 20",
                    "docker compose logs api",
                ]
            )
            return bash_call(cmd, self.pool.text(self.pool.logs, size), description="Check output")
        if kind == "grep":
            lines = [
                f"{r.choice(self.files)[len(self.cwd) + 1 :]}:{r.randint(1, 800)}:{line}"
                for line in self.pool.text(self.pool.code, size).split("\n")
            ]
            return grep_call(f"{r.choice(WORDS)}_{r.choice(WORDS)}", lines, path="src")
        if kind == "glob":
            files = r.sample(self.files, k=r.randint(1, 30))
            return glob_call(f"src/atlas/{r.choice(MODULES)}/**/*.py", files)
        old = r.choice(self.pool.code)
        return edit_call(path, old, old.replace(r.choice(WORDS), r.choice(WORDS)) + " ")

    def turn(self) -> None:
        r, w = self.rng, self.w
        prompt = " ".join(r.choices(WORDS, k=r.randint(8, 40)))
        if r.random() < 0.1:  # a pasted stack trace
            prompt += "\n\n" + self.pool.text(self.pool.logs, r.randint(1_000, 6_000))
        w.prompt(prompt)
        if r.random() < 0.15:
            w.attachment(
                {
                    "type": "hook_additional_context",
                    "content": [r.choice(NON_ASCII)],
                    "hookName": "UserPromptSubmit",
                    "toolUseID": w.ids.uuid(),
                    "hookEvent": "UserPromptSubmit",
                }
            )
        for _ in range(r.randint(1, 6)):
            n = 1 if r.random() < 0.3 else r.randint(2, 6)
            text = self.pool.text(self.pool.prose, r.randint(40, 400)) if r.random() < 0.5 else None
            self.batch([self.call() for _ in range(n)], text, streaming=r.random() < 0.75)
            if self.compact_at and self.size() >= self.compact_at[0]:
                self.compact_at.pop(0)
                w.compact(self.pool.text(self.pool.prose, r.randint(3_000, 12_000)))
        w.assistant_text(self.pool.text(self.pool.prose, r.randint(150, 2_500)))
        w.turn_duration()

    def batch(self, calls: list[ToolCall], text: str | None, *, streaming: bool) -> None:
        """One API response with its tool calls (a hook for generators that plant more)."""
        self.w.tool_batch(calls, text=text, streaming=streaming)

    def run(self) -> None:
        while self.size() < self.target:
            self.turn()


def stats(path: Path) -> tuple[int, int]:
    """(line count, longest line in bytes)."""
    count = longest = 0
    with path.open("rb") as f:
        for line in f:
            count += 1
            longest = max(longest, len(line) - 1)
    return count, longest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("output", type=Path)
    parser.add_argument("--size-mb", type=float, default=100.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--compactions",
        type=int,
        default=0,
        help="compact_boundary lines to insert (default 0: one long chain)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("wb") as out:
        Generator(out, int(args.size_mb * 1_000_000), args.seed, args.compactions).run()
    elapsed = time.perf_counter() - started
    lines, longest = stats(args.output)
    size = args.output.stat().st_size
    print(
        f"{args.output}: {size / 1e6:.1f} MB, {lines} lines, longest line "
        f"{longest / 1e6:.2f} MB, written in {elapsed:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
