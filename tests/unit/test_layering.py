"""The domain never imports Textual; `inspector check` does not load it either."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import SAMPLES

DOMAIN_MODULES = [
    "inspector.core.jsonl",
    "inspector.core.model",
    "inspector.agents",
    "inspector.agents.claude_code.transcript",
    "inspector.rules",
    "inspector.check",
    "inspector.agents.claude_code.layout",
    "inspector.live",
    "inspector.core.safe_text",
    "inspector.cli",
    "inspector.cli.check",
]


def test_domain_modules_do_not_import_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {DOMAIN_MODULES!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
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
