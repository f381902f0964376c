"""The APIs' own words for each rule, and what each client does about a defect.

Texts are verbatim from ``docs/api-rules.md`` (collected from real 400 responses); keep
them that way. The validator decides *what* is wrong; this module says it.
"""

from __future__ import annotations

from inspector.core.model import BEDROCK_CONVERSE, OPENAI_CHAT, OPENAI_RESPONSES


def missing_results(api: str, expected_at: int, ids: list[str]) -> str:
    """R1 (and R3/R6, which the APIs report with the same words)."""
    joined = ", ".join(ids)
    if api == OPENAI_CHAT:
        return (
            "An assistant message with 'tool_calls' must be followed by tool messages "
            "responding to each 'tool_call_id'. The following tool_call_ids did not have "
            f"response messages: {joined}"
        )
    if api == OPENAI_RESPONSES:
        return " ".join(f"No tool output found for function call {tool_id}." for tool_id in ids)
    if api == BEDROCK_CONVERSE:
        return (
            f"Expected toolResult blocks at messages.{expected_at}.content for the following "
            f"Ids: {joined}"
        )
    return (
        f"messages.{expected_at}: `tool_use` ids were found without `tool_result` blocks "
        f"immediately after: {joined}. Each `tool_use` block must have a corresponding "
        "`tool_result` block in the next message."
    )


def unexpected_result(api: str, message_index: int, position: int, tool_id: str) -> str:
    """R2."""
    if api == OPENAI_CHAT:
        return (
            "Invalid parameter: messages with role 'tool' must be a response to a "
            "preceeding message with 'tool_calls'."
        )
    if api == OPENAI_RESPONSES:
        return f"No tool call found for function call output with call_id {tool_id}."
    if api == BEDROCK_CONVERSE:
        return (
            f"The number of toolResult blocks at messages.{message_index}.content exceeds the "
            "number of toolUse blocks of previous turn."
        )
    return (
        f"messages.{message_index}.content.{position}: unexpected `tool_use_id` found in "
        f"`tool_result` blocks: {tool_id}. Each `tool_result` block must have a "
        "corresponding `tool_use` block in the previous message."
    )


def empty_message(index: int) -> str:
    return (
        f"messages.{index}: all messages must have non-empty content except for the optional "
        "final assistant message"
    )


def blank_text(empty: bool) -> str:
    if empty:
        return "messages: text content blocks must be non-empty"
    return "messages: text content blocks must contain non-whitespace text"


def misplaced(index: int, block_type: str) -> str:
    """R7."""
    if block_type == "tool_use":
        return f"messages.{index}: `tool_use` blocks can only be in `assistant` messages"
    return f"messages.{index}: `tool_result` blocks can only be in `user` messages"


def bad_id(index: int, position: int, is_use: bool) -> str:
    """R8."""
    field = "tool_use.id" if is_use else "tool_result.tool_use_id"
    return (
        f"messages.{index}.content.{position}.{field}: String should match pattern "
        "'^[a-zA-Z0-9_-]+$'"
    )


def duplicate_use(index: int, position: int) -> str:
    """R5."""
    return f"messages.{index}.content.{position}: `tool_use` ids must be unique"


def duplicate_result(index: int, position: int, tool_id: str) -> str:
    """R5b."""
    return (
        f"messages.{index}.content.{position}: each tool_use must have a single result. "
        f"Found multiple tool_result blocks with id: {tool_id}"
    )


def thinking_first(index: int, found: str) -> str:
    """R12."""
    return (
        f"messages.{index}.content.0.type: Expected `thinking` or `redacted_thinking`, but "
        f"found `{found}`. When `thinking` is enabled, a final `assistant` message must "
        "start with a thinking block (preceeding the lastmost set of `tool_use` and "
        "`tool_result` blocks). We recommend you include thinking blocks from previous "
        "turns. To avoid this requirement, disable `thinking`."
    )


def unanswered_server_tool(index: int, name: str, tool_id: str | None) -> str:
    """R13."""
    return (
        f"messages.{index}: `{name}` tool use with id `{tool_id}` was found without a "
        f"corresponding `{name}_tool_result` block"
    )


OUT_OF_ORDER = (
    "tool results are out of order: the API accepts results in any order (parallel calls "
    "are unordered), but they do not follow the order of the calls"
)


def out_of_order(api: str, expected_at: int, calls: list[str], results: list[str]) -> str:
    """R4: a warning everywhere; for Bedrock, what a stricter Bedrock-style backend says."""
    if api != BEDROCK_CONVERSE:
        return OUT_OF_ORDER
    return (
        "tool results are out of order: Bedrock Converse is not known to reject it, but at "
        "least one Bedrock-style backend does: Expected toolResult blocks at "
        f"messages.{expected_at}.content for the following Ids: {', '.join(calls)}, but "
        f"found: {', '.join(results)}"
    )


def roles_not_alternating() -> str:
    """R10, Bedrock Converse (the Anthropic API merges same-role turns instead)."""
    return (
        "A conversation must alternate between user and assistant roles. Make sure the "
        "conversation alternates between user and assistant roles and try again."
    )


def first_not_user() -> str:
    """R11, Bedrock Converse."""
    return (
        "A conversation must start with a user message. Try again with a conversation "
        "that starts with a user message."
    )


PENDING = "the session ends on a tool call with no result yet: still running, or interrupted"
PENDING_BATCH = "calls of the batch being written have no result yet: still running"
