"""What a new user runs: the README's two commands, the distribution they install, and the
documents the README links, held in step with pyproject.toml and .ci/run."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def two_commands() -> list[str]:
    section = README.split("## Two commands", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return [line.split("  #", 1)[0].strip() for line in block.group(1).splitlines() if line]


def test_the_distribution_is_not_the_unrelated_pypi_inspector() -> None:
    project = PYPROJECT["project"]
    assert project["name"] != "inspector"  # taken on PyPI by an unrelated package
    assert f"`{project['name']}`" in README
    assert project["scripts"] == {"inspector": "inspector.start:entry"}
    assert PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["inspector"]


def test_two_commands_install_into_a_venv_not_the_system_python() -> None:
    commands = two_commands()
    assert len(commands) == 2
    for command in commands:
        steps = [shlex.split(step) for step in command.split("&&")]
        assert steps[0][:3] == ["python3", "-m", "venv"]
        venv = steps[0][3]
        for step in steps[1:]:  # everything after runs the venv's own programs
            assert step[0].startswith(f"{venv}/bin/"), step
        install = steps[1]
        assert install[1:5] == ["-m", "pip", "install", "-e"]
    assert shlex.split(commands[0].split("&&")[-1])[1:] == ["--demo"]


def test_ci_runs_the_readme_test_command() -> None:
    readme_test = shlex.split(two_commands()[1].split("&&")[-1])
    ci_lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert shlex.split(ci_lines[-1])[1:] == readme_test[1:]  # `-m pytest -n auto`
    assert "python -m pip install --quiet -e '.[test]'" in ci_lines


def test_every_document_the_readme_links_is_in_the_repository() -> None:
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README)
    local = [link for link in links if not re.match(r"[a-z]+:", link)]
    assert "docs/api-rules.md" in local
    missing = [link for link in local if not (ROOT / link).exists()]
    assert missing == []
    assert "../shared/docs" not in README
