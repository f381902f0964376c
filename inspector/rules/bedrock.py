"""Bedrock Converse: Anthropic's next-turn pairing in Bedrock's words, and what Converse
checks that the Anthropic API does not: roles alternate (R10) and the first is user (R11)."""

from __future__ import annotations

from inspector.core.model import USER_ROLE
from inspector.rules import texts
from inspector.rules.context import Context
from inspector.rules.findings import Rule


def check_roles(context: Context) -> None:
    """R10 and R11: Converse rejects what the Anthropic API merges or accepts."""
    messages = context.messages
    if messages and messages[0].role != USER_ROLE:
        context.error(
            Rule.R11,
            texts.first_not_user(),
            message_index=0,
            origin_message=messages[0],
            cause=f"the first message is a {messages[0].role} message",
        )
    for turn in context.turns:
        if len(turn.messages) > 1:
            second = turn.first_message + 1
            context.error(
                Rule.R10,
                texts.roles_not_alternating(),
                message_index=second,
                origin_message=turn.messages[1],
                cause=f"messages.{turn.first_message} and messages.{second} are both {turn.role}",
            )
