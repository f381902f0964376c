"""A conversation's full content as Claude Code sends it, without what the client adds itself.

``inspector messages`` prints what the transcript makes the client send. The client's request
also holds things no transcript line holds, named in README.md ("What Claude Code adds when
it sends"); :func:`client_additions_removed` takes them out of a captured request so the two
can be compared block for block:

* ``role: "system"`` messages (environment notes) and ``<system-reminder>`` text blocks;
* the ``Tool loaded.`` text it puts after a ``tool_reference`` result (ToolSearch);
* ``cache_control`` marks;
* thinking blocks, which it does not send when thinking is off (the capture runs with it off;
  ours keeps them as recorded, so they are removed on both sides);
* the new prompt, and the ``No response requested.`` / ``Continue from where you left off.``
  turns it adds after a transcript that ends on an interrupted turn.
"""

from __future__ import annotations

from typing import Any

SYNTHETIC_TEXTS = frozenset({"No response requested.", "Continue from where you left off."})
_THINKING = frozenset({"thinking", "redacted_thinking"})

Message = dict[str, Any]


def _blocks(message: Message) -> list[Any]:
    content = message.get("content")
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])


def _added_by_client(block: Any, previous: Any) -> bool:
    if not isinstance(block, dict):
        return False
    kind = block.get("type")
    if kind in _THINKING:
        return True
    text = block.get("text")
    if kind == "text" and isinstance(text, str):
        if text.startswith("<system-reminder>"):
            return True
        return text == "Tool loaded." and _is_tool_reference_result(previous)
    return False


def _is_tool_reference_result(block: Any) -> bool:
    content = block.get("content") if isinstance(block, dict) else None
    return isinstance(content, list) and any(
        isinstance(part, dict) and part.get("type") == "tool_reference" for part in content
    )


def _cleaned(message: Message) -> Message:
    kept: list[Any] = []
    previous: Any = None
    for block in _blocks(message):
        if not _added_by_client(block, previous):
            kept.append({k: v for k, v in block.items() if k != "cache_control"})
        previous = block
    return {"role": message.get("role"), "content": kept}


def comparable(sent: list[Message], ours: list[Message]) -> tuple[list[Message], list[Message]]:
    """The captured request and our messages, each without what the capture's client adds
    or leaves out (see the module doc), ready to be compared."""
    theirs = [_cleaned(m) for m in sent if m.get("role") != "system"]
    mine = [_without_thinking(m) for m in ours]
    mine = [m for m in mine if m["content"]]
    if theirs and theirs[-1]["role"] == "user":
        last = theirs.pop()  # the new prompt, with the reminders that come with it
        if mine and mine[-1]["role"] == "user" and len(theirs) < len(mine):
            # The transcript ends on a user turn: the prompt was merged into it, and its
            # last text got the newline that joins lines.
            kept = last["content"][: len(mine[-1]["content"])]
            theirs.append({"role": "user", "content": _without_joining_newline(kept)})
    while theirs and _texts(theirs[-1]) <= SYNTHETIC_TEXTS and _texts(theirs[-1]):
        theirs.pop()
    return [m for m in theirs if m["content"]], mine


def _without_thinking(message: Message) -> Message:
    blocks = [b for b in _blocks(message) if b.get("type") not in _THINKING]
    return {"role": message.get("role"), "content": blocks}


def _without_joining_newline(content: list[Any]) -> list[Any]:
    last = content[-1] if content else None
    if isinstance(last, dict) and last.get("type") == "text" and last["text"].endswith("\n"):
        return [*content[:-1], last | {"text": last["text"][:-1]}]
    return content


def _texts(message: Message) -> set[str]:
    content = message["content"]
    if not all(isinstance(b, dict) and b.get("type") == "text" for b in content):
        return {"\0"}  # not only text: never synthetic
    return {b.get("text", "") for b in content}


def first_difference(theirs: list[Message], ours: list[Message]) -> str | None:
    """Where the two differ first, for a failure message; None when they are equal."""
    for index, (a, b) in enumerate(zip(theirs, ours, strict=False)):
        if a == b:
            continue
        if a["role"] != b["role"] or len(a["content"]) != len(b["content"]):
            return f"messages[{index}]: {_shape(a)} (Claude Code) vs {_shape(b)} (ours)"
        for position, (x, y) in enumerate(zip(a["content"], b["content"], strict=True)):
            if x != y:
                return (
                    f"messages[{index}].content[{position}]:\n  Claude Code: {repr(x)[:300]}"
                    f"\n  ours:        {repr(y)[:300]}"
                )
    if len(theirs) != len(ours):
        return f"Claude Code sent {len(theirs)} messages, ours has {len(ours)}"
    return None


def _shape(message: Message) -> str:
    kinds = ", ".join(str(b.get("type")) for b in message["content"])
    return f"{message['role']} [{kinds}]"
