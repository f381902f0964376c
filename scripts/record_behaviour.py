"""Record what the command line says about every sample and real file, to prove a change
of structure left behaviour alone.

    python scripts/record_behaviour.py record before.jsonl     # on the old code
    python scripts/record_behaviour.py record after.jsonl      # on the new code
    python scripts/record_behaviour.py compare before.jsonl after.jsonl

For each file of ``sample_sessions/``, ``../shared/realworld`` and
``../shared/realworld-external`` it runs ``check --json``, ``messages``, ``rewind --dry-run
--json`` and ``repair --dry-run --json`` in this process and keeps the exit code, stdout
and stderr of each. ``compare`` prints every run whose bytes differ and exits 1 if any do.
Run it from the repository root so the sample paths read the same in both records.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
COMMANDS = (
    ("check", "--json"),
    ("messages",),
    ("rewind", "--dry-run", "--json"),
    ("repair", "--dry-run", "--json"),
)


def inputs() -> Iterator[str]:
    """The files to run on: samples by their path from the repository root, shared files
    by their absolute path."""
    for path in sorted((REPO / "sample_sessions").rglob("*")):
        if path.is_file() and path.suffix in (".jsonl", ".json"):
            yield path.relative_to(REPO).as_posix()
    for folder in ("realworld", "realworld-external"):
        root = SHARED / folder
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and path.suffix in (".jsonl", ".json"):
                    yield str(path)


def run(arguments: list[str]) -> dict[str, object]:
    from inspector.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code: object = main(arguments)
        except SystemExit as exit_:  # argparse
            code = exit_.code
    gc.enable()  # `check` turns collection off for its one-shot process
    return {"args": arguments, "code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def record(destination: Path) -> None:
    count = 0
    with destination.open("wb") as sink:
        for path in inputs():
            for command in COMMANDS:
                sink.write(orjson.dumps(run([command[0], path, *command[1:]])) + b"\n")
                count += 1
    print(f"{count} runs recorded in {destination}")


def load(path: Path) -> dict[tuple[str, ...], dict[str, object]]:
    runs = (orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip())
    return {tuple(item["args"]): item for item in runs}


def compare(before_path: Path, after_path: Path) -> int:
    before, after = load(before_path), load(after_path)
    differences = 0
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        differences += 1
        print(f"differs: {' '.join(key)}")
        for field in ("code", "stdout", "stderr"):
            old_value = None if old is None else old[field]
            new_value = None if new is None else new[field]
            if old_value != new_value:
                print(f"  {field}: {str(old_value)[:300]!r}\n       → {str(new_value)[:300]!r}")
    print(f"{len(before)} runs before, {len(after)} after, {differences} differ")
    return 1 if differences else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    record_parser = commands.add_parser("record")
    record_parser.add_argument("destination", type=Path)
    compare_parser = commands.add_parser("compare")
    compare_parser.add_argument("before", type=Path)
    compare_parser.add_argument("after", type=Path)
    options = parser.parse_args()
    if options.command == "record":
        record(options.destination)
        return 0
    return compare(options.before, options.after)


if __name__ == "__main__":
    sys.exit(main())
