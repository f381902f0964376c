"""Times read from session files, which may be malformed."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_timestamp(value: object) -> datetime | None:
    """An ISO 8601 time read from a file, in UTC (a time without a zone is taken as UTC);
    None for anything else, a time out of range included."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError, TypeError):
        return None
