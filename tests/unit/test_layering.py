"""The layering contracts, read from the source: data flows one way, each agent lives in one
place, the domain never imports Textual, and no module imports itself round a cycle.

The import graph comes from the source files with :mod:`ast`: every ``import`` and
``from … import`` of an ``inspector`` module, at module level or inside a function.
Imports under ``if TYPE_CHECKING:`` count for the layering contracts (a type named is a
dependency of the design) but not for cycles (they never run).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO, SAMPLES

PACKAGE = REPO / "inspector"
DOMAIN = (
    "core",
    "rules",
    "agents",
    "rewrite",
    "check",
    "causes",
    "live",
    "summaries",
    "resume",
    "batch",
    "cache",
    "hooks",
    "otlp",
    "watch",
    "report",
    "timeline",
    "cli",
)
"""Everything but the Textual front end (``inspector.tui``)."""
FRONT_ENDS = ("inspector.cli", "inspector.tui")


@dataclass(frozen=True, slots=True)
class Import:
    source: str
    target: str
    line: int
    type_only: bool
    """Under ``if TYPE_CHECKING:``."""

    def __str__(self) -> str:
        return f"{self.source} → {self.target} ({_file(self.source)}:{self.line})"


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _file(module: str) -> str:
    path = MODULES.get(module)
    return path.relative_to(REPO).as_posix() if path else module


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, type_only: bool) -> Iterator[tuple[ast.AST, bool]]:
    """Every node below ``node``, and whether it sits under ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for statement in child.body:
                yield statement, True
                yield from _walk(statement, True)
            for statement in child.orelse:
                yield statement, type_only
                yield from _walk(statement, type_only)
        else:
            yield child, type_only
            yield from _walk(child, type_only)


def imports_in(module: str, source: str, *, is_package: bool = False) -> list[Import]:
    """The ``inspector`` and ``textual`` imports of one module's source: each names the
    submodule it imports when there is one (``from a import b``: ``a.b``), else the module."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: list[Import] = []
    for node, type_only in _walk(ast.parse(source), False):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            parts = package[: len(package) - node.level + 1] if node.level else []
            base = ".".join([*parts, node.module] if node.module else parts)
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in ("inspector", "textual"):
                found.append(Import(module, target, node.lineno, type_only))
    return found


IMPORTS = [
    each
    for module, path in MODULES.items()
    for each in imports_in(module, path.read_text(), is_package=path.name == "__init__.py")
]


def _unique(lines: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def _within(module: str, *packages: str) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def _agent(module: str) -> str | None:
    """``claude_code`` for ``inspector.agents.claude_code.rewind``; None outside one agent."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "agents" else None


def test_imports_are_read_from_the_source() -> None:
    """A reader that found nothing would pass every contract below."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "import inspector.rules\n"
        "from inspector.agents import claude_code, NotATranscript\n"
        "from . import safe_text\n"
        "from ..rules import texts\n"
        "if TYPE_CHECKING:\n"
        "    from inspector.agents.claude_code.transcript import Entry\n"
        "else:\n"
        "    import textual\n"
        "def late() -> None:\n"
        "    from inspector.tui import app\n"
    )
    found = [
        (each.target, each.line, each.type_only)
        for each in imports_in("inspector.core.example", source)
    ]
    assert found == [
        ("inspector.rules", 2, False),
        ("inspector.agents.claude_code", 3, False),
        ("inspector.agents", 3, False),
        ("inspector.core.safe_text", 4, False),
        ("inspector.rules.texts", 5, False),
        ("inspector.agents.claude_code.transcript", 7, True),
        ("textual", 9, False),
        ("inspector.tui.app", 11, False),
    ]
    assert len(MODULES) > 40
    assert len(IMPORTS) > 100


# Known violations, each to be removed (an exact list: a new violation fails, and so does
# a fixed one that is still listed). They are what the reshape left for the next step.
KNOWN_CORE_IMPORTS = {
    # The protocol names the plan type its rewriter returns (a type-only import).
    "inspector.core.agent → inspector.rewrite.plan",
}
KNOWN_CROSS_AGENT_IMPORTS: set[str] = set()
KNOWN_REGISTRY_IMPORTS: set[str] = set()
KNOWN_CYCLE_EDGES: set[str] = set()


def _edges(found: list[str]) -> set[str]:
    """``source → target`` of each described import, without its line."""
    return {line.split(" (", 1)[0] for line in found}


def test_core_and_rules_import_no_agent_no_rewrite_no_front_end() -> None:
    forbidden = ("inspector.agents", "inspector.rewrite", *FRONT_ENDS)
    wrong = _unique(
        str(each)
        for each in IMPORTS
        if _within(each.source, "inspector.core", "inspector.rules")
        and _within(each.target, *forbidden)
    )
    assert _edges(wrong) == KNOWN_CORE_IMPORTS, "\n".join(wrong)


def test_no_agent_imports_another_but_the_shared_history() -> None:
    wrong = _unique(
        str(each)
        for each in IMPORTS
        if (mine := _agent(each.source)) is not None
        and (theirs := _agent(each.target)) is not None
        and theirs not in (mine, "history")
    )
    assert _edges(wrong) == KNOWN_CROSS_AGENT_IMPORTS, "\n".join(wrong)


def test_the_agent_registry_is_imported_only_from_outside_the_agents() -> None:
    """``inspector.agents`` names every agent: an agent importing it imports the others."""
    wrong = _unique(
        str(each)
        for each in IMPORTS
        if each.target == "inspector.agents" and _within(each.source, "inspector.agents")
    )
    assert _edges(wrong) == KNOWN_REGISTRY_IMPORTS, "\n".join(wrong)


def test_the_domain_never_names_textual_or_the_app() -> None:
    """Not even inside a function: only the command line may open the app, lazily."""
    domain = tuple(f"inspector.{name}" for name in DOMAIN if name != "cli")
    wrong = _unique(
        str(each)
        for each in IMPORTS
        if _within(each.source, *domain) and _within(each.target, "textual", "inspector.tui")
    )
    assert wrong == [], "\n".join(wrong)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), and self-loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(edges.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_cycle_finder() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"a"}}) == [["a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle() -> None:
    edges: dict[str, set[str]] = {}
    for each in IMPORTS:
        known = f"{each.source} → {each.target}" in KNOWN_CYCLE_EDGES
        if not (each.type_only or known) and each.target in MODULES and each.target != each.source:
            edges.setdefault(each.source, set()).add(each.target)
    cycles = _cycles(edges)
    described = [
        " ↔ ".join(cycle)
        + "\n    "
        + "\n    ".join(
            _unique(
                str(each)
                for each in IMPORTS
                if each.source in cycle and each.target in cycle and not each.type_only
            )
        )
        for cycle in cycles
    ]
    assert cycles == [], "\n".join(described)


DOMAIN_MODULES = sorted(
    module
    for module in MODULES
    if any(_within(module, f"inspector.{name}") for name in DOMAIN) and module != "inspector"
)


def test_domain_modules_do_not_import_textual() -> None:
    """Nor the OpenTelemetry SDK: an optional extra, imported when ``--otlp`` asks for it."""
    assert "inspector.core.jsonl" in DOMAIN_MODULES
    assert "inspector.otlp" in DOMAIN_MODULES
    assert not [module for module in DOMAIN_MODULES if _within(module, "inspector.tui")]
    code = (
        "import importlib, sys\n"
        f"for name in {DOMAIN_MODULES!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules\n"
        "    if m.split('.')[0] in ('textual', 'rich', 'opentelemetry'))\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_check_command_does_not_load_textual() -> None:
    sample = SAMPLES / "healthy-parallel.jsonl"
    code = (
        "import sys\n"
        "from inspector.cli import main\n"
        f"main(['check', '--json', {str(sample)!r}])\n"
        "assert 'textual' not in sys.modules, 'textual was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)


def test_the_wheel_ships_the_package_only() -> None:
    """Test builders (``tests/support/synthetic.py``) stay out of what users install."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["inspector"]
