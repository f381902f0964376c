"""Redaction: each kind of secret, home folders and user names out, counted by kind."""

from __future__ import annotations

import pytest

from inspector.report.redact import Redactor

ANTHROPIC = "sk-ant-api03-Zq8VxW2mN4pL6rT0yU1iO3aS5dF7gH9jK"
OPENAI = "sk-proj-4fGh7JkL0zXcV3bNm6QwEr9TyUi2Op"
AWS = "AKIAIOSFODNN7EXAMPLE"
GITHUB = "ghp_1234567890abcdefghijABCDEFGHIJklmnop"
GITHUB_PAT = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"
SLACK = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
GOOGLE = "AIzaSyA1234567890abcdefghijklmnopqrstu"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"
PRIVATE_KEY = f"-----BEGIN RSA PRIVATE KEY-----\n{KEY_BODY}\n-----END RSA PRIVATE KEY-----"


@pytest.fixture(autouse=True)
def no_user_of_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoever runs the tests, the redactor knows only the names a test gives it."""
    neutral_environment(monkeypatch)


def neutral_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("USER", "LOGNAME"):
        monkeypatch.setenv(variable, "root")
    monkeypatch.setenv("HOME", "/root")


@pytest.mark.parametrize(
    ("text", "secret", "kind"),
    [
        (f"export ANTHROPIC_KEY {ANTHROPIC} now", ANTHROPIC, "Anthropic API key"),
        (f"use {OPENAI} for embeddings", OPENAI, "API key"),
        (f"aws id {AWS} in config", AWS, "AWS access key"),
        (f"git clone with {GITHUB}", GITHUB, "GitHub token"),
        (f"pat {GITHUB_PAT}", GITHUB_PAT, "GitHub token"),
        (f"slack {SLACK}", SLACK, "Slack token"),
        (f"maps {GOOGLE}", GOOGLE, "Google API key"),
        (f"cookie {JWT}", JWT, "JWT"),
        (f"key:\n{PRIVATE_KEY}\nend", KEY_BODY, "private key"),
        (
            "curl -H 'Authorization: Bearer 9f8e7d6c5b4a3928171615'",
            "9f8e7d6c5b4a3928171615",
            "bearer token",
        ),
        ('config {"api_key": "Xk29fj39DkeLq01"}', "Xk29fj39DkeLq01", "secret value"),
        ("token: tT0kenVaLue9988", "tT0kenVaLue9988", "secret value"),
        ("PASSWORD=hunter2hunter2", "hunter2hunter2", "secret value"),
        ("DATABASE_URL=postgres://admin:pw@db/shop", "postgres://admin:pw@db/shop", ".env value"),
        ('psql "postgresql://admin:s3cr3tPw0rd@db:5432/x"', "s3cr3tPw0rd", "password in a URL"),
        ("cache at redis://:s3cr3tRedis@cache:6379", "s3cr3tRedis", "password in a URL"),
        (
            "Signed-off-by: Alice <alice.smith@example.org>",
            "alice.smith@example.org",
            "email address",
        ),
    ],
)
def test_each_kind_of_secret_is_removed_and_counted(text: str, secret: str, kind: str) -> None:
    redactor = Redactor()
    redacted = redactor.text(text)
    assert secret not in redacted
    assert redactor.removed[kind] == 1
    assert sum(redactor.removed.values()) == 1, redactor.removed


def test_a_private_key_cut_before_its_end_is_removed_to_the_end() -> None:
    redactor = Redactor()
    redacted = redactor.text(f"head\n-----BEGIN OPENSSH PRIVATE KEY-----\n{KEY_BODY}")
    assert redacted == "head\n[redacted private key]"


def test_env_lines_keep_their_keys() -> None:
    redactor = Redactor()
    text = "DATABASE_URL=postgres://a:b@db/x\n  REDIS_URL=redis://:pw@cache:6379\nplain line"
    assert redactor.text(text) == ("DATABASE_URL=[redacted]\n  REDIS_URL=[redacted]\nplain line")
    assert redactor.removed == {".env value": 2}


def test_a_value_already_redacted_is_not_counted_twice() -> None:
    redactor = Redactor()
    assert redactor.text(f"ANTHROPIC_API_KEY={ANTHROPIC}") == (
        "ANTHROPIC_API_KEY=[redacted Anthropic API key]"
    )
    assert redactor.removed == {"Anthropic API key": 1}


def test_home_folders_become_tilde_and_the_user_name_goes_everywhere() -> None:
    redactor = Redactor(["carol"])
    texts = [
        "/home/alice/shop/.env",
        "/Users/bob/Library",
        "C:\\Users\\dave\\AppData",
        "C:\\\\Users\\\\erin\\\\x",  # as JSON writes it
        "-home-alice-shop is the project folder of alice; carol and bob too",
    ]
    redactor.learn_names(texts)
    assert [redactor.text(text) for text in texts] == [
        "~/shop/.env",
        "~/Library",
        "~\\AppData",
        "~\\\\x",
        "-home-[user]-shop is the project folder of [user]; [user] and [user] too",
    ]
    assert redactor.removed["home folder"] == 4
    assert redactor.removed["user name"] == 4


def test_names_are_whole_words_and_short_or_shared_names_are_left() -> None:
    redactor = Redactor(["al", "root"])
    redactor.learn_names(["/home/ann/x", "/home/shared/y"])
    assert redactor.text("annual report by ann, al and root in /srv/shared") == (
        "annual report by [user], al and root in /srv/shared"
    )


def test_a_project_folder_named_after_the_home_folder_gives_the_name_away() -> None:
    """Claude Code names a project's folder after the folder it ran in: -Users-dain-src-x."""
    redactor = Redactor()
    path = "projects/-Users-dain-src-shop/5e55.jsonl and -home-gtrrz-victor-cli/x.jsonl"
    redactor.learn_names([path])
    assert redactor.text(path) == (
        "projects/-Users-[user]-src-shop/5e55.jsonl and -home-[user]-victor-cli/x.jsonl"
    )


def test_the_reports_own_words_and_names_without_letters_are_no_names() -> None:
    redactor = Redactor()
    redactor.learn_names(["/home/claude/x", "/Users/tool/y", "/Users/.../z"])
    text = "Claude Code: the tool_result at line 3 ... read by Bash"
    assert redactor.text(text) == text
    assert redactor.text("/home/claude/x") == "~/x"  # the home folder still goes


def test_a_home_folder_inside_a_longer_path_loses_only_its_name() -> None:
    redactor = Redactor()
    redactor.learn_names(["/mnt/c/Users/alice/proj"])
    assert redactor.text("cd /mnt/c/Users/alice/proj") == "cd /mnt/c/Users/[user]/proj"
    assert redactor.text('"/home/alice/x"') == '"~/x"'


def test_the_user_running_it_is_known_without_a_home_folder_in_sight(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("USER", "zed")
    assert Redactor().text("Zed wrote it; zed/x; zedd stays") == (
        "[user] wrote it; [user]/x; zedd stays"
    )


def test_disabled_keeps_everything_and_counts_nothing() -> None:
    redactor = Redactor(["alice"], enabled=False)
    text = f"/home/alice {ANTHROPIC} {PRIVATE_KEY}"
    assert redactor.text(text) == text
    assert redactor.drop("prompt", "hello") is None
    assert not redactor.removed


def test_dropped_content_is_counted_by_kind_and_says_its_size() -> None:
    redactor = Redactor()
    assert redactor.drop("tool output", "x" * 1234) == "[tool output removed, 1,234 characters]"
    assert redactor.removed == {"tool output": 1}
