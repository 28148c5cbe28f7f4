from datetime import UTC, date, datetime

import pytest

from census.domain.beijing import beijing_date, in_window, next_beijing_midnight


def test_beijing_date_rolls_over_at_1600_utc():
    assert beijing_date(datetime(2026, 11, 1, 15, 59, 59, tzinfo=UTC)) == date(2026, 11, 1)
    assert beijing_date(datetime(2026, 11, 1, 16, 0, 0, tzinfo=UTC)) == date(2026, 11, 2)


def test_beijing_date_not_at_utc_midnight():
    assert beijing_date(datetime(2026, 11, 2, 0, 0, 0, tzinfo=UTC)) == date(2026, 11, 2)
    assert beijing_date(datetime(2026, 11, 1, 23, 59, 59, tzinfo=UTC)) == date(2026, 11, 2)


def test_beijing_date_rejects_naive_datetime():
    with pytest.raises(ValueError, match="timezone-aware"):
        beijing_date(datetime(2026, 11, 1, 12, 0))


def test_next_midnight_has_offset():
    reset = next_beijing_midnight(datetime(2026, 11, 1, 15, 59, tzinfo=UTC))
    assert reset.isoformat() == "2026-11-02T00:00:00+08:00"


def test_next_midnight_just_after_rollover():
    reset = next_beijing_midnight(datetime(2026, 11, 1, 16, 0, tzinfo=UTC))
    assert reset.isoformat() == "2026-11-03T00:00:00+08:00"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 10, 31), False),
        (date(2026, 11, 1), True),
        (date(2026, 11, 15), True),
        (date(2026, 11, 16), False),
    ],
)
def test_in_window_is_inclusive(day, expected):
    assert in_window(day, date(2026, 11, 1), date(2026, 11, 15)) is expected


def test_in_window_open_bounds():
    assert in_window(date(1999, 1, 1), None, None) is True
