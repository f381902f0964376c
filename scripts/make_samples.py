"""Regenerate ``sample_sessions/``: small Claude Code 2.1.x transcripts, one per defect.

Run from the repository root::

    python scripts/make_samples.py

Deterministic: every sample has its own seed, so the same code writes the same
bytes. The script also writes ``sample_sessions/expected.json`` (the API-rule
findings each file must produce) and ``sample_sessions/README.md``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.synthetic import (  # noqa: E402
    SessionWriter,
    Subagent,
    bash_call,
    edit_call,
    glob_call,
    grep_call,
    grep_files_call,
    read_call,
)

OUT = ROOT / "sample_sessions"
CWD = "/home/dev/projects/shop-api"

ORDERS_PY = """\
from decimal import Decimal

from app.db import session
from app.models import Cart, Order


def create_order(cart: Cart) -> Order:
    subtotal = sum((item.price * item.quantity for item in cart.items), Decimal(0))
    shipping = cart.items[0].shipping_rate
    order = Order(cart_id=cart.id, total=subtotal + shipping)
    session.add(order)
    session.commit()
    return order
"""

TEST_ORDERS_PY = """\
import pytest

from app.orders import create_order
from tests.factories import CartFactory


def test_create_order_sums_items(db):
    cart = CartFactory(items=2)
    order = create_order(cart)
    assert order.total == cart.items[0].price * 2 + cart.items[0].shipping_rate
"""

INVOICES_PY = """\
from app.models import Invoice, Order


def invoice_for(order: Order) -> Invoice:
    first = order.lines[0]
    return Invoice(order_id=order.id, currency=first.currency, lines=order.lines)
"""


@dataclass
class Finding:
    """One expected API-rule finding."""

    rule: str
    ids: list[str]


@dataclass
class Sample:
    """A sample file, what it shows, and the findings it must produce."""

    name: str
    shows: str
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)


def writer(seed: int, **kwargs: Any) -> SessionWriter:
    return SessionWriter(seed=seed, cwd=CWD, **kwargs)


def healthy_parallel() -> tuple[SessionWriter, Sample]:
    w = writer(101, thinking=True, hooks=True, git_branch="fix/empty-cart")
    w.prompt("POST /orders returns a 500 when the cart is empty. Can you find out why and fix it?")
    w.tool_batch(
        [
            grep_call(
                "def create_order", ["app/orders.py:7:def create_order(cart: Cart) -> Order:"]
            ),
            glob_call("tests/**/test_orders*.py", [f"{CWD}/tests/test_orders.py"]),
        ],
        thinking="Find the order creation code and its tests first.",
        text="I'll find the order creation code and its tests.",
        streaming=True,
    )
    w.tool_batch(
        [
            read_call(f"{CWD}/app/orders.py", ORDERS_PY),
            read_call(f"{CWD}/tests/test_orders.py", TEST_ORDERS_PY),
        ],
        thinking="Read both files in one go.",
        streaming=False,
    )
    w.tool_batch(
        [
            edit_call(
                f"{CWD}/app/orders.py",
                "    subtotal = sum(",
                "    if not cart.items:\n"
                "        raise EmptyCartError(cart.id)\n"
                "    subtotal = sum(",
                original=ORDERS_PY,
            )
        ],
        thinking="cart.items[0] fails on an empty cart.",
        text="`cart.items[0]` raises `IndexError` for an empty cart. "
        "I'll reject empty carts first.",
    )
    w.tool_batch(
        [
            bash_call(
                "pytest tests/test_orders.py -q",
                "..                                                   [100%]\n2 passed in 0.41s",
                description="Run the order tests",
            ),
            bash_call("ruff check app/orders.py", "All checks passed!", description="Lint"),
        ],
        thinking="Run the tests and the linter together.",
        streaming=True,
    )
    w.assistant_text(
        "Fixed: `create_order` now raises `EmptyCartError` (mapped to 422) before touching "
        "`cart.items[0]`. Tests and lint pass.",
        thinking="Summarise.",
    )
    w.turn_duration()

    w.prompt(
        "Could other endpoints have the same empty-list problem? Use a subagent so your "
        "context stays small."
    )

    def explore(s: SessionWriter) -> None:
        s.tool_batch(
            [
                grep_call(
                    r"\.(items|lines)\[0\]",
                    [
                        "app/orders.py:10:    shipping = cart.items[0].shipping_rate",
                        "app/invoices.py:5:    first = order.lines[0]",
                    ],
                ),
                glob_call("app/**/*.py", [f"{CWD}/app/{m}.py" for m in ("orders", "invoices")]),
            ],
            thinking="Search for direct [0] indexing.",
            text="Searching for direct `[0]` indexing.",
        )
        s.tool_batch([read_call(f"{CWD}/app/invoices.py", INVOICES_PY)], thinking="Check it.")

    w.agent_call(
        Subagent(
            description="Find unchecked [0] indexing",
            agent_type="Explore",
            prompt="List every place in app/ that indexes the first element of a list "
            "(items[0], lines[0]) without checking that the list is non-empty. "
            "Report file:line and the function.",
            report="One more unchecked access: `app/invoices.py:5` in `invoice_for` "
            "(`order.lines[0]`). `app/orders.py:10` is already guarded by your fix.",
            script=explore,
        ),
        thinking="Delegate the search.",
        text="I'll have an Explore agent scan the code base.",
    )
    w.assistant_text(
        "The agent found one more: `invoice_for` in `app/invoices.py` reads `order.lines[0]` "
        "without a check.",
        thinking="Report.",
    )
    w.turn_duration()

    w.prompt("Fix invoices.py too and run the full suite.")
    w.tool_batch(
        [
            edit_call(
                f"{CWD}/app/invoices.py",
                "    first = order.lines[0]",
                "    if not order.lines:\n        raise EmptyOrderError(order.id)\n"
                "    first = order.lines[0]",
                original=INVOICES_PY,
            )
        ],
        thinking="Same guard.",
    )
    w.tool_batch(
        [
            bash_call(
                "pytest -q",
                "........................................................ [100%]\n"
                "56 passed in 3.02s",
                description="Run the full test suite",
            ),
            bash_call(
                "git diff --stat",
                " app/invoices.py | 2 ++\n app/orders.py   | 2 ++\n"
                " 2 files changed, 4 insertions(+)",
                description="Show the change",
            ),
        ],
        thinking="Tests and diff in parallel.",
        streaming=False,
    )
    w.assistant_text("Both guards are in, all 56 tests pass.", thinking="Done.")
    w.turn_duration()
    return w, Sample(
        "healthy-parallel.jsonl",
        "Streaming and non-streaming parallel batches (2.1.x DAG), hook attachments, "
        "thinking blocks, an `Agent` call with its subagent transcript "
        "(`healthy-parallel/subagents/`), `turn_duration` lines",
    )


def orphan_tool_use() -> tuple[SessionWriter, Sample]:
    w = writer(202)
    w.prompt("The nightly import logs 'duplicate key' errors. Look at the importer and its config.")
    batch = w.tool_batch(
        [
            read_call(
                f"{CWD}/app/importer.py",
                "def import_rows(rows):\n    for row in rows:\n"
                "        db.execute(INSERT_PRODUCT, row)\n",
            ),
            read_call(f"{CWD}/config/import.toml", '[import]\nsource = "s3://feeds/products"\n'),
            bash_call(
                "tail -n 3 logs/import.log",
                "2026-03-01 02:00:14 ERROR duplicate key value violates unique constraint "
                '"products_sku_key"\n2026-03-01 02:00:14 ERROR sku=AB-1234\n'
                "2026-03-01 02:00:15 INFO import finished: 812 rows, 3 errors",
                description="Last import log lines",
            ),
        ],
        text="I'll read the importer, its config and the last log lines together.",
        streaming=False,
        drop_results=[1],
    )
    w.assistant_text(
        "The importer inserts every row with a plain `INSERT`; the feed repeats SKUs, so the "
        "unique constraint on `sku` fails. An upsert (`ON CONFLICT (sku) DO UPDATE`) fixes it."
    )
    w.prompt("OK, make it an upsert.")
    w.tool_batch(
        [
            edit_call(
                f"{CWD}/app/importer.py",
                "db.execute(INSERT_PRODUCT, row)",
                "db.execute(UPSERT_PRODUCT, row)",
            )
        ]
    )
    w.assistant_text("Done: rows are now upserted on `sku`.")
    missing = batch.tool_ids[1]
    return w, Sample(
        "orphan-tool-use.jsonl",
        "Non-streaming batch of 3; the result line of the 2nd call (`Read config/import.toml`) "
        "was never written; the session goes on (prompt + answer)",
        errors=[Finding("R1", [missing])],
    )


def orphan_result() -> tuple[SessionWriter, Sample]:
    w = writer(303)
    w.prompt("Where do we compute VAT? Show me every place.")
    batch = w.tool_batch(
        [
            grep_files_call("vat|VAT", ["app/pricing.py", "app/invoices.py"], path="app"),
            read_call(
                f"{CWD}/app/pricing.py",
                "VAT_RATE = Decimal('0.20')\n\n\ndef with_vat(amount):\n"
                "    return amount * (1 + VAT_RATE)\n",
            ),
            read_call(
                f"{CWD}/app/invoices.py",
                "def vat_line(invoice):\n    return invoice.net * invoice.country.vat_rate\n",
            ),
        ],
        text="Searching for VAT and reading the two likely modules.",
        streaming=False,
        drop_tool_uses=[1],
    )
    w.assistant_text(
        "VAT is computed in two places: `with_vat` in `app/pricing.py` (fixed 20 %) and "
        "`vat_line` in `app/invoices.py` (per-country rate)."
    )
    w.prompt("Which one does the checkout use?")
    w.assistant_text("The checkout calls `with_vat`, so it always applies 20 %.")
    lost = batch.tool_ids[1]
    return w, Sample(
        "orphan-result.jsonl",
        "Non-streaming batch of 3; the assistant line holding the 2nd `tool_use` "
        "(`Read app/pricing.py`) was lost; its result line stays, hung on the 1st call's line",
        errors=[Finding("R2", [lost])],
    )


def duplicate_id() -> tuple[SessionWriter, Sample]:
    w = writer(404)
    script = "scripts/import_products.py"
    before = 'import argparse\n\nparser = argparse.ArgumentParser()\nparser.add_argument("feed")\n'
    after = before + 'parser.add_argument("--dry-run", action="store_true")\n'
    w.prompt("Add a `--dry-run` flag to scripts/import_products.py.")
    first = w.tool_batch(
        [
            read_call(f"{CWD}/{script}", before),
            grep_call("dry_run", [], path="app"),
        ],
        text="Reading the script and checking whether `dry_run` exists anywhere.",
    )
    w.tool_batch(
        [
            edit_call(
                f"{CWD}/{script}",
                'parser.add_argument("feed")\n',
                'parser.add_argument("feed")\n'
                'parser.add_argument("--dry-run", action="store_true")\n',
                original=before,
            )
        ]
    )
    w.assistant_text("Added `--dry-run` (store_true).")
    w.prompt("Show me the final version of the script.")
    dup = first.tool_ids[0]
    w.tool_batch(
        [
            replace(read_call(f"{CWD}/{script}", after), id=dup),
            bash_call(
                f"python {script} --help",
                "usage: import_products.py [-h] [--dry-run] feed",
                description="Show the help text",
            ),
        ],
    )
    w.assistant_text("Here it is; `--help` lists the new flag.")
    return w, Sample(
        "duplicate-id.jsonl",
        "The `tool_use` id of the first `Read` reappears in a later assistant message (another "
        "`Read` of the same file), with its own result. R5 on the later message; the request "
        "then also holds two `tool_result` blocks for that id (R5b)",
        errors=[Finding("R5", [dup]), Finding("R5b", [dup])],
    )


def out_of_order() -> tuple[SessionWriter, Sample]:
    w = writer(505)
    w.prompt("Why is the CI build slower since last week?")
    batch = w.tool_batch(
        [
            bash_call(
                'git log --since="8 days ago" --oneline -- .github/',
                "9f1c2ab ci: split lint and test jobs\n41d07e3 ci: bump actions/setup-python",
                description="Recent CI changes",
            ),
            read_call(
                f"{CWD}/.github/workflows/ci.yml",
                "jobs:\n  test:\n    steps:\n      - uses: actions/setup-python@v5\n"
                "      - run: pip install -r requirements.txt\n",
            ),
            grep_call("cache", [], path=".github"),
        ],
        text="Looking at recent CI changes, the workflow and any cache settings.",
        streaming=False,
        result_order=[2, 1, 0],
    )
    w.assistant_text(
        "Commit 9f1c2ab split the jobs and dropped `cache: pip` from `setup-python`, so every "
        "run reinstalls all dependencies."
    )
    w.prompt("Restore the pip cache.")
    w.tool_batch(
        [
            edit_call(
                f"{CWD}/.github/workflows/ci.yml",
                "      - uses: actions/setup-python@v5\n",
                "      - uses: actions/setup-python@v5\n        with:\n          cache: pip\n",
            )
        ]
    )
    w.assistant_text("Restored `cache: pip`.")
    return w, Sample(
        "out-of-order.jsonl",
        "Non-streaming batch of 3 whose results were written in reverse call order "
        "(as in Claude Code's completion order); otherwise healthy",
        warnings=[Finding("R4", list(batch.tool_ids))],
    )


def compacted() -> tuple[SessionWriter, Sample]:
    w = writer(606, git_branch="decimal-prices")
    w.prompt("Migrate the order and cart models from float prices to Decimal.")
    w.tool_batch(
        [
            grep_call(
                "price: float",
                [
                    "app/models/order.py:12:    price: float",
                    "app/models/cart.py:9:    price: float",
                ],
            ),
            glob_call("app/models/*.py", [f"{CWD}/app/models/{m}.py" for m in ("cart", "order")]),
        ],
        text="Finding the float price fields.",
    )
    w.tool_batch(
        [
            edit_call(f"{CWD}/app/models/order.py", "    price: float", "    price: Decimal"),
            edit_call(f"{CWD}/app/models/cart.py", "    price: float", "    price: Decimal"),
        ],
        streaming=False,
    )
    w.assistant_text("Both models now use `Decimal` prices.")
    w.turn_duration()
    w.prompt("Now update the serializers and run the tests.")
    w.tool_batch(
        [
            read_call(
                f"{CWD}/app/serializers.py",
                "def money(value):\n    return round(float(value), 2)\n",
            )
        ]
    )
    w.tool_batch(
        [
            edit_call(
                f"{CWD}/app/serializers.py",
                "    return round(float(value), 2)",
                '    return str(value.quantize(Decimal("0.01")))',
            )
        ],
        text="Serialising money as strings keeps the precision.",
    )
    tests = w.tool_batch(
        [
            bash_call(
                "pytest -q",
                "........................................................ [100%]\n"
                "214 passed in 9.87s",
                description="Run the test suite",
            )
        ],
        text="Running the test suite.",
        defer_results=[0],
    )
    w.compact(
        "1. The user asked to migrate order/cart prices from float to Decimal; both models "
        "were edited.\n2. The user asked to update the serializers and run the tests; "
        "`money()` in app/serializers.py now returns a quantized string. The test suite "
        "(`pytest -q`) was started."
    )
    pending = tests.tool_ids[0]
    w.late_result(pending)
    w.assistant_text("All 214 tests pass with Decimal prices.")
    w.prompt("Great, commit it.")
    w.tool_batch(
        [
            bash_call(
                'git commit -am "Use Decimal for prices"',
                "[decimal-prices 5c3e9d1] Use Decimal for prices\n"
                " 3 files changed, 3 insertions(+), 3 deletions(-)",
                description="Commit",
            )
        ]
    )
    w.assistant_text("Committed as 5c3e9d1.")
    return w, Sample(
        "compacted.jsonl",
        "History, `compact_boundary` + `isCompactSummary` summary, more history. The "
        "`pytest` call was made just before the boundary; its result is the first line after "
        "the summary, so after compaction it answers nothing",
        errors=[Finding("R2", [pending])],
    )


def api_error() -> tuple[SessionWriter, Sample]:
    w = writer(707)
    w.prompt("Regenerate the API client from openapi.yaml and check it compiles.")
    batch = w.tool_batch(
        [
            bash_call(
                "make client && npx tsc --noEmit -p client",
                "",
                description="Regenerate and type-check the client",
            ),
            read_call(
                f"{CWD}/openapi.yaml",
                "openapi: 3.1.0\ninfo:\n  title: Shop API\n  version: 2.4.0\n",
            ),
        ],
        text="Regenerating the client and reading the spec version.",
        streaming=False,
        drop_results=[0],
    )
    w.prompt("Hello? Did the client build finish?")
    w.api_error()
    w.prompt("Try again please.")
    w.api_error()
    return w, Sample(
        "api-error.jsonl",
        "Orphan `tool_use` (the `make client` result was never written), then the user's "
        "next prompt and a stored `isApiErrorMessage` 400 line, another prompt and another "
        "API error (every further request fails)",
        errors=[Finding("R1", [batch.tool_ids[0]])],
    )


BUILDERS: list[Callable[[], tuple[SessionWriter, Sample]]] = [
    healthy_parallel,
    orphan_tool_use,
    orphan_result,
    duplicate_id,
    out_of_order,
    compacted,
    api_error,
]


def findings_cell(sample: Sample) -> str:
    parts = [f"error {f.rule}: {', '.join(f'`{i}`' for i in f.ids)}" for f in sample.errors]
    parts += [f"warning {f.rule}: {', '.join(f'`{i}`' for i in f.ids)}" for f in sample.warnings]
    return "<br>".join(parts) or "none"


README_HEAD = """\
# Sample sessions

Small Claude Code 2.1.x transcripts (layout of 2.1.114: one content block per
assistant line, one line per `tool_result`, `sourceToolAssistantUUID`, parallel
calls as a DAG), one per defect, written by `scripts/make_samples.py` with
`tests/support/synthetic.py`. Do not edit them by hand: change the script and run
`python scripts/make_samples.py`; the output is deterministic.

`expected.json` lists the API-rule findings (rule ids of `docs/api-rules.md`)
the validator must report for each file, and nothing else at error/warning level.

| file | what it shows | expected findings (tool ids) |
|---|---|---|
"""

README_NOTES = """
Notes

* The subagent of `healthy-parallel.jsonl` is in `healthy-parallel/subagents/`
  (`agent-<id>.jsonl` + `agent-<id>.meta.json`), linked by `toolUseResult.agentId`.
  Claude Code names that folder `<sessionId>/subagents/`; here it is named after
  the file stem.
* Healthy batches write results in call order. `out-of-order.jsonl` writes them
  in reverse (the non-streaming layout seen in real 2.1.114 files), hence R4,
  which the API accepts: a warning, never an error. Its `ids` are all the ids
  of the batch, in call order.
* `orphan-tool-use.jsonl` continues after the defect: the live session had the
  result in memory, only the line on disk is missing, so the failure appears on
  resume. `api-error.jsonl` shows the failing side: the stored 400 lines.
* `orphan-result.jsonl`: the lost assistant line's result keeps `parentUuid` and
  `sourceToolAssistantUUID` on the batch's first `tool_use` line, so no uuid in
  the file dangles; the 3rd `tool_use` line hangs on the 1st.
* `duplicate-id.jsonl`: the second message reusing the id also gets a result, so
  the request holds two `tool_use` blocks (R5, reported on the later message)
  and two `tool_result` blocks (R5b) with that id; no R1/R2, each result follows
  its own call.
* `compacted.jsonl`: the late result hangs on the summary line (`parentUuid`)
  while `sourceToolAssistantUUID` still names the pre-boundary `tool_use` line;
  the projected conversation starts with that result (`messages.0.content.0`).
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Regenerate the sample sessions.")
    parser.add_argument(
        "--out", type=Path, default=OUT, help="folder to write (default: %(default)s)"
    )
    out: Path = parser.parse_args(argv).out
    for child in out.iterdir() if out.exists() else []:
        if child.is_dir():
            shutil.rmtree(child)
        elif child.suffix in {".jsonl", ".json"} or child.name == "README.md":
            child.unlink()
    out.mkdir(exist_ok=True)
    expected: dict[str, Any] = {}
    rows: list[str] = []
    for build in BUILDERS:
        w, sample = build()
        written = w.write(out / sample.name)
        expected[sample.name] = {
            "errors": [{"rule": f.rule, "ids": f.ids} for f in sample.errors],
            "warnings": [{"rule": f.rule, "ids": f.ids} for f in sample.warnings],
        }
        rows.append(f"| `{sample.name}` | {sample.shows} | {findings_cell(sample)} |")
        for p in written:
            print(p)
    (out / "expected.json").write_bytes(orjson.dumps(expected, option=orjson.OPT_INDENT_2) + b"\n")
    (out / "README.md").write_text(README_HEAD + "\n".join(rows) + "\n" + README_NOTES)


if __name__ == "__main__":
    main()
