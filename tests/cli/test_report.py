"""``inspector report``: redacted by default, Markdown and HTML, exit codes like ``check``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import orjson
import pytest

from inspector.check import check_file
from inspector.cli import main
from inspector.rules import Severity
from tests.conftest import SAMPLES
from tests.support.synthetic import SessionWriter, bash_call
from tests.unit.test_redact import (
    ANTHROPIC,
    AWS,
    GITHUB,
    GITHUB_PAT,
    GOOGLE,
    JWT,
    KEY_BODY,
    OPENAI,
    PRIVATE_KEY,
    SLACK,
    neutral_environment,
)

BEARER = "9f8e7d6c5b4a39281716151413121110"
API_KEY_VALUE = "Xk29fj39DkeLq01"
TOKEN_VALUE = "tT0kenVaLue9988"
DATABASE_URL = "postgres://admin:hunter2pass@db:5432/shop"
REDIS_URL = "redis://:s3cr3tRedis@cache:6379"
PROMPT_SECRET = "sk-ant-api03-PromptPromptPromptPrompt00"
OUTPUT_SECRET = "ghp_OutputOutputOutputOutputOutput0000"
HOOK_SECRET = "xoxp-hookhookhook-0000000000"
USER = "alice"

# System lines near a defect hold most; a prompt, a hook output, a tool output and the
# input of a call the resume drops hold one more each. Redaction drops each whole.
SYSTEM_BEFORE = "\n".join(
    [
        f"deploy started by {USER} from /home/{USER}/shop/.env",
        f"DATABASE_URL={DATABASE_URL}",
        f"REDIS_URL={REDIS_URL}",
        f"ANTHROPIC_API_KEY={ANTHROPIC}",
        f"openai {OPENAI} aws {AWS}",
    ]
)
SYSTEM_AFTER = "\n".join(
    [
        f"session cookie {JWT}",
        PRIVATE_KEY,
        f"Authorization: Bearer {BEARER}",
        f'api_key="{API_KEY_VALUE}" token: {TOKEN_VALUE}',
        f"copied to /Users/{USER}/Library and C:\\Users\\{USER}\\AppData",
    ]
)
SYSTEM_LAST = f"github {GITHUB} and {GITHUB_PAT}\nslack {SLACK} google {GOOGLE}"
SECRETS = [
    ANTHROPIC,
    OPENAI,
    AWS,
    GITHUB,
    GITHUB_PAT,
    SLACK,
    GOOGLE,
    JWT,
    KEY_BODY,
    BEARER,
    API_KEY_VALUE,
    TOKEN_VALUE,
    DATABASE_URL,
    REDIS_URL,
    PROMPT_SECRET,
    OUTPUT_SECRET,
    HOOK_SECRET,
    f"/home/{USER}",
    f"/Users/{USER}",
    f"C:\\Users\\{USER}",
]
EXPECTED_REMOVED = {
    "system text": 3,
    "prompt": 1,
    "tool output": 1,
    "hook output": 1,
    "tool input": 2,
}


@pytest.fixture(autouse=True)
def no_user_of_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    neutral_environment(monkeypatch)


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    """Two calls that never got their results (R1), each with secrets in the lines around
    it: system lines, a prompt, a hook's output and a tool output."""
    writer = SessionWriter(seed=17, cwd=f"/home/{USER}/shop")
    writer.prompt("Deploy it")
    writer.system("informational", content=SYSTEM_BEFORE)
    writer.tool_batch(
        [
            bash_call("cat deploy.log", f"pushed with {OUTPUT_SECRET}"),
            bash_call(f"./deploy.sh --env /home/{USER}/shop/.env", "deployed"),
        ],
        streaming=False,
        drop_results=[1],
    )
    writer.system("informational", content=SYSTEM_AFTER)
    writer.prompt(f"Again with {PROMPT_SECRET}, thanks")
    writer.attachment(
        {"type": "hook_success", "hookName": "UserPromptSubmit", "content": HOOK_SECRET}
    )
    writer.tool_batch([bash_call("./deploy.sh --retry", "")], drop_results=[0])
    writer.system("informational", content=SYSTEM_LAST)
    writer.prompt("is it done?")
    writer.assistant_text("Not sure.")
    path = tmp_path / "seeded.jsonl"
    writer.write(path)
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["report", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _removed_table(markdown: str) -> dict[str, int]:
    section = markdown.split("## Removed by redaction", 1)[1]
    rows = re.findall(r"^\| (.+?) \| (\d+) \|$", section, re.MULTILINE)
    return {kind.replace("\\", ""): int(count) for kind, count in rows}


@pytest.mark.parametrize("as_html", [False, True])
def test_no_seeded_secret_path_or_name_is_left(
    seeded: Path, capsys: pytest.CaptureFixture[str], as_html: bool
) -> None:
    code, out, _ = _run(capsys, str(seeded), *(["--html"] if as_html else []))
    assert code == 1
    for secret in SECRETS:
        assert secret not in out, secret
    assert not re.search(rf"(?<![A-Za-z]){USER}(?![A-Za-z])", out)
    assert "deploy.sh" not in out  # the input of a call the resume drops
    assert "drops the call Bash (line 6)" in out
    assert "error R1 at line" in out


def test_the_removed_list_counts_each_kind(
    seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = _run(capsys, str(seeded))
    removed = _removed_table(out)
    assert removed == {**EXPECTED_REMOVED, "path": 2}  # the file's and the session's
    assert not any(secret in "".join(removed) for secret in SECRETS)


def test_a_project_folder_named_after_the_user_gives_nothing_away(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A healthy session: no line is shown, yet the path names the user (Claude Code's
    project folder spells the folder it ran in) and so does the session's folder: both
    are left out."""
    project = tmp_path / "projects" / f"-Users-{USER}-src-shop"
    project.mkdir(parents=True)
    writer = SessionWriter(seed=3, cwd=f"/Users/{USER}/src/shop")
    writer.prompt("hello")
    writer.assistant_text("hi")
    path = project / "5e55.jsonl"
    writer.write(path)
    code, out, _ = _run(capsys, str(path))
    assert code == 0
    assert USER not in out
    assert "- **File:** 5e55.jsonl" in out  # where it was is left out
    assert "src" not in out
    assert "shop" not in out
    assert "Folder" not in out
    assert _removed_table(out) == {"path": 2}


def test_no_redact_keeps_everything(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, str(seeded), "--no-redact")
    assert code == 1
    for secret in SECRETS:
        assert secret in out, secret
    assert "Removed by redaction" not in out
    assert "Not redacted" in out


def test_the_cause_and_its_evidence_are_shown(
    seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = _run(capsys, str(seeded))
    # results dropped mid-session: nothing in the file says why, and the report says so
    cause = "**Cause:** unknown: nothing in the transcript shows it"
    assert out.count(cause) == 2
    assert "(written by client 2.1.114)" in out
    assert re.search(r"evidence: line 6 \(\d\d:\d\d:\d\d\.\d+\): tool call Bash", out)


def test_the_timeline_shows_each_call_of_the_turn(
    seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = _run(capsys, str(seeded))
    timeline = out.split("## Timeline", 1)[1].split("### Turn 2", 1)[0]
    table, chart = timeline.split("```text")[1:3]
    rows = [line for line in table.splitlines() if line.startswith(("Bash", "✗ Bash"))]
    assert len(rows) == 2
    assert re.search(r"^Bash .* \d\d:\d\d:\d\d\.\d{3} \(line \d+\) .* answered$", rows[0])
    assert rows[1].startswith("✗ Bash")
    assert "no result" in rows[1]
    # the same turn as the app's timeline draws it: a bar per call, the open one marked
    bars = [line for line in chart.splitlines() if line.startswith("Bash ")]
    assert len(bars) == 2
    assert "█" in bars[0]
    assert bars[1].rstrip().endswith("s")
    assert "░" in bars[1]
    assert "✗" in bars[1]
    assert all(len(line) <= 100 for line in chart.splitlines())


def _samples() -> Iterator[tuple[str, Path]]:
    expected = orjson.loads((SAMPLES / "expected.json").read_bytes())
    for name, wanted in expected.items():
        if wanted["errors"] or wanted["warnings"]:
            yield name, SAMPLES / name


@pytest.mark.parametrize(("name", "path"), list(_samples()))
def test_each_planted_sample_names_its_rule_and_line(
    name: str, path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = check_file(path)
    code, out, _ = _run(capsys, str(path))
    assert code == (0 if report.ok else 1)
    defects = [f for f in report.findings if f.severity is not Severity.INFO]
    assert defects
    for number, finding in enumerate(defects, start=1):
        heading = (
            f"### {number}. {finding.severity.value} {finding.rule.value} at line {finding.line}"
        )
        assert heading in out, out
        assert re.search(rf"^→{finding.line} ", out, re.MULTILINE), "its line is marked"


class _Tags(HTMLParser):
    """Checks that every element opened is closed, in order; collects what is suspicious."""

    VOID = frozenset({"meta", "br", "hr", "img", "link", "input"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += attrs
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


@pytest.mark.parametrize("redact", [True, False])
def test_html_is_well_formed_and_self_contained(
    seeded: Path, capsys: pytest.CaptureFixture[str], redact: bool
) -> None:
    _, page, _ = _run(capsys, str(seeded), "--html", *([] if redact else ["--no-redact"]))
    tags = _Tags()
    tags.feed(page)
    tags.close()
    assert not tags.problems
    assert tags.stack == []
    assert "script" not in tags.tags
    assert "<script" not in page.lower()
    assert {"html", "head", "style", "body", "table"} <= tags.tags
    assert not any(name in ("src", "href") or name.startswith("on") for name, _ in tags.attributes)
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "url(" not in style
    assert "@import" not in style
    assert not re.search(r"<[^>]*(https?:|//)[^>]*>", page)


def test_html_escapes_transcript_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    writer = SessionWriter(seed=3)
    writer.prompt("hi")
    writer.system("informational", content="<script>alert(1)</script><img src=x onerror=y>")
    writer.tool_batch(
        [bash_call("ls", "a"), bash_call("ls b", "b")], streaming=False, drop_results=[0]
    )
    path = tmp_path / "hostile.jsonl"
    writer.write(path)
    _, page, _ = _run(capsys, str(path), "--html", "--no-redact")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page
    assert "<img" not in page


def test_html_sets_code_spans_as_code_and_never_opens_a_tag_inside_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    writer = SessionWriter(seed=3)
    writer.prompt("hi")
    writer.tool_batch(
        [bash_call("echo `<b onmouseover=x>`", "a"), bash_call("ls", "b")],
        streaming=False,
        drop_results=[0],
    )
    path = tmp_path / "ticks.jsonl"
    writer.write(path)
    _, page, _ = _run(capsys, str(path), "--html", "--no-redact")
    assert "<code>tool_use</code> ids were found without <code>tool_result</code>" in page
    assert "<code>claude --resume " in page
    assert "<b onmouseover" not in page
    assert "&lt;b onmouseover=x&gt;" in page


def test_a_json_document_is_summarised_message_by_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Cline history has no lines: its "line" is the message's number."""
    messages = [
        {"role": "user", "content": [{"type": "text", "text": f"fix /home/{USER}/app"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Reading both."},
                {"type": "tool_use", "id": "toolu_A", "name": "read_file", "input": {}},
                {"type": "tool_use", "id": "toolu_B", "name": "read_file", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_A", "content": ANTHROPIC}],
        },
    ]
    path = tmp_path / "task" / "api_conversation_history.json"
    path.parent.mkdir()
    path.write_bytes(orjson.dumps(messages, option=orjson.OPT_INDENT_2))
    code, out, _ = _run(capsys, str(path))
    assert code == 1
    assert "### 1. error R1 at line 2" in out
    rows = out.split("```text", 1)[1].split("```", 1)[0].splitlines()[1:]
    assert rows[0].split() == ["line", "kind", "blocks", "tools", "excerpt"]
    assert rows[1].startswith(" 1    user       text")
    assert "[prompt removed, 19 characters]" in rows[1]
    assert rows[2].startswith("→2    assistant  text, tool_use, tool_use")
    assert "read_file toolu_A, read_file toolu_B" in rows[2]
    assert "[tool output removed" in rows[3]
    assert ANTHROPIC not in out
    assert "no time (line 2)" in out


def test_exit_codes_and_output_file(
    seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(capsys, str(SAMPLES / "healthy-parallel.jsonl"))[0] == 0
    target = tmp_path / "out" / "report.html"
    code, out, err = _run(capsys, str(seeded), "--html", "-o", str(target))
    assert (code, out, err) == (1, "", "")
    assert target.read_text().startswith("<!DOCTYPE html>")
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]  # no temporary left

    code, out, err = _run(capsys, str(tmp_path / "missing.jsonl"))
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1
    assert "missing.jsonl" in err

    not_a_transcript = tmp_path / "notes.jsonl"
    not_a_transcript.write_text("just some words\n")
    code, out, err = _run(capsys, str(not_a_transcript))
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1
