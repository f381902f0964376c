"""Will resuming the session heal it? The resume preview, finding by finding.

Some clients heal a damaged history when they resume it, silently (Claude Code 2.1.x drops
a call that has no result). The preview validates what the client will send after its own
repair and says of each finding of the recorded conversation, in plain words, whether
resuming heals it and what the model loses on the way, or that only a repair helps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inspector.agents import agent_of, block_payload, heal_on_resume
from inspector.core.model import TOOL_USE, Block, Conversation
from inspector.core.resume import HealKind, HealStep, Resumed
from inspector.core.safe_text import one_line
from inspector.core.wording import counted
from inspector.rules import Finding, Report, Rule, Severity, validate
from inspector.summaries import tool_input_summary


def has_verdict(finding: Finding) -> bool:
    """Whether resuming can heal the finding: an error the API rejects, or a call still
    pending (warnings the API accepts and findings about the file have nothing to heal)."""
    return finding.severity is Severity.ERROR or finding.rule is Rule.PENDING


REPAIR_HINT = "resume does not heal this; use `inspector repair`"


@dataclass(frozen=True, slots=True)
class ResumeVerdict:
    """Whether resuming heals one finding, and the client's steps that did it."""

    heals: bool
    text: str
    steps: tuple[HealStep, ...] = ()
    without_inputs: str | None = None
    """:attr:`text` naming the calls by their tool alone, for a redacted report (None: the
    text names no tool input)."""

    @property
    def text_without_inputs(self) -> str:
        return self.text if self.without_inputs is None else self.without_inputs


@dataclass(slots=True)
class ResumePreview:
    """The recorded conversation's findings against what the client sends on resume."""

    resumed: Resumed
    report: Report
    """The validation of what the client sends after its own repair."""
    verdicts: dict[int, ResumeVerdict]
    """By the index of the finding in the recorded report (API-rule findings only)."""
    command: str
    """How the user resumes: "`claude --resume <id>`", or "resuming"."""
    recorded: list[Finding] = field(default_factory=list)
    """The recorded report's findings (the verdicts' keys index them)."""

    def verdict_of(self, finding: Finding) -> ResumeVerdict | None:
        """The verdict on one finding of the recorded report (None: nothing to heal)."""
        for index, recorded in enumerate(self.recorded):
            if recorded is finding:
                return self.verdicts.get(index)
        return None

    @property
    def heals_all(self) -> bool:
        """Resuming leaves no error the API rejects."""
        return self.report.ok

    def summary(self) -> str:
        """The transcript's verdict, one line."""
        steps = self.resumed.steps
        release = _release(self.resumed.conversation)
        if not steps and self.report.ok:
            return f"{self.command} sends the conversation as recorded"
        changes = _count_steps(steps)
        if not self.report.ok:
            left = counted(len(self.report.errors), "error")
            return f"{self.command} leaves {left} ({release} {changes}); use `inspector repair`"
        return f"{self.command} heals it: {release} {changes}, and the model is not told"


def preview_resume(report: Report) -> ResumePreview | None:
    """The resume preview of a checked conversation; None when its client resumes the
    history as recorded (nothing to preview: the findings stand)."""
    recorded = report.conversation
    resumed = heal_on_resume(recorded)
    if resumed is None:
        return None
    # Nothing changed (a healthy session, the common case): the recorded report stands.
    after = validate(resumed.conversation) if resumed.steps else report
    remaining = {_key(finding) for finding in after.findings}
    command = _resume_command(recorded)
    program = _program(command, recorded.session_id)
    payloads: dict[int, Any] = {}
    verdicts: dict[int, ResumeVerdict] = {}
    for index, finding in enumerate(report.findings):
        if not has_verdict(finding):
            continue
        if _key(finding) in remaining:
            verdicts[index] = ResumeVerdict(False, REPAIR_HINT)
            continue
        steps = tuple(resumed.steps_for(finding.ids))
        verdicts[index] = ResumeVerdict(
            True,
            _heals_text(program, recorded, steps, payloads, inputs=True),
            steps,
            _heals_text(program, recorded, steps, payloads, inputs=False),
        )
    return ResumePreview(resumed, after, verdicts, command, report.findings)


def _heals_text(
    program: str,
    conversation: Conversation,
    steps: tuple[HealStep, ...],
    payloads: dict[int, Any],
    *,
    inputs: bool,
) -> str:
    described = "; ".join(
        describe_step(conversation, step, payloads, inputs=inputs) for step in steps
    )
    return f"{program} heals this" + (f": {described}" if described else "")


def describe_step(
    conversation: Conversation, step: HealStep, payloads: dict[int, Any], *, inputs: bool = True
) -> str:
    """One step in plain words: "Claude Code 2.1.332 drops the call Bash `make` (line 4);
    the model will not know it ran" (``inputs=False``: "the call Bash (line 4)")."""
    block = step.block
    release = _release(conversation)
    where = f"(line {block.origin.line})"
    if step.kind is HealKind.STRIPPED_RESULT:
        return f"{release} strips the result for {block.tool_id} {where}"
    if step.kind is HealKind.MOVED_RESULT:
        return f"{release} moves the result for {block.tool_id} {where} back after its call"
    call = _call_text(conversation, block, payloads) if inputs else (block.name or "tool")
    if step.kind is HealKind.DROPPED_REPEAT:
        return f"{release} drops the repeated call {call} {where} and its result"
    if step.kind is HealKind.FAKED_RESULT:
        return (
            f"{release} answers the call {call} {where} with the placeholder "
            f"{one_line(step.text or '', 60)!r}; the model does not get its real output"
        )
    return f"{release} drops the call {call} {where}; the model will not know it ran"


def step_dict(
    conversation: Conversation, step: HealStep, payloads: dict[int, Any]
) -> dict[str, Any]:
    block = step.block
    return {
        "action": step.kind.name.lower(),
        "tool_id": block.tool_id,
        "tool": block.name,
        "input": _input_summary(conversation, block, payloads) if block.type == TOOL_USE else None,
        "line": block.origin.line,
        "message_index": step.message_index,
        "text": describe_step(conversation, step, payloads),
    }


def _call_text(conversation: Conversation, block: Block, payloads: dict[int, Any]) -> str:
    summary = _input_summary(conversation, block, payloads)
    name = block.name or "tool"
    return f"{name} `{summary}`" if summary else name


def _input_summary(conversation: Conversation, block: Block, payloads: dict[int, Any]) -> str:
    try:
        payload = block_payload(conversation, block, payloads)
    except OSError:
        return ""  # the file went away: the call is still named
    tool_input = payload.get("input") if isinstance(payload, dict) else None
    return tool_input_summary(block.name, tool_input, limit=60) if tool_input else ""


def _key(finding: Finding) -> tuple[Rule, tuple[str, ...], int | None]:
    """A finding of the recorded conversation and the same one after resume share it
    (message indexes move when the client drops a message)."""
    return finding.rule, finding.ids, finding.line


def _release(conversation: Conversation) -> str:
    client = conversation.client
    return f"{client.label} {client.version}" if client else agent_of(conversation).label


def _resume_command(conversation: Conversation) -> str:
    command = agent_of(conversation).resume_command(conversation.session_id or "<id>")
    return f"`{command}`" if command else "resuming"


def _program(command: str, session_id: str | None) -> str:
    """The resume command without the session id ("`claude --resume`"), for a finding."""
    if session_id and session_id in command:
        return command.split(session_id, 1)[0].rstrip() + "`"
    return command


_STEP_WORDS = {
    HealKind.DROPPED_CALL: ("drops", "call"),
    HealKind.DROPPED_REPEAT: ("drops", "repeated call"),
    HealKind.STRIPPED_RESULT: ("strips", "result"),
    HealKind.MOVED_RESULT: ("moves", "late result"),
    HealKind.FAKED_RESULT: ("fakes", "result"),
}


def _count_steps(steps: list[HealStep]) -> str:
    """ "drops 2 calls and strips 1 result"."""
    parts = []
    for kind, (verb, noun) in _STEP_WORDS.items():
        count = sum(1 for step in steps if step.kind is kind)
        if count:
            parts.append(f"{verb} {counted(count, noun)}")
    return " and ".join(parts) or "changes nothing"
