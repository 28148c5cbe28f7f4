"""Calendar days in China Standard Time (UTC+8, no daylight saving).

Quotas, the service window and verification locks count Beijing days,
whatever time zone the servers run in.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), name="Asia/Shanghai")


def beijing_date(now: datetime) -> date:
    """Return the Beijing calendar date of an aware instant."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(BEIJING).date()


def next_beijing_midnight(now: datetime) -> datetime:
    """Return the next 00:00 in Beijing after `now`, as an aware datetime in UTC+8."""
    tomorrow = beijing_date(now) + timedelta(days=1)
    return datetime.combine(tomorrow, time(0, 0), tzinfo=BEIJING)


def in_window(day: date, start: date | None, end: date | None) -> bool:
    """Tell whether `day` lies in the inclusive window; a missing bound is open."""
    if start is not None and day < start:
        return False
    return not (end is not None and day > end)
