"""The current time, in one place so that tests can move it."""

from datetime import UTC, datetime


def now() -> datetime:
    """Return the current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)
