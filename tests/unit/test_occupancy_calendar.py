"""Unit tests of the Chinese calendar tags: workdays, rest days, swapped weekends, home hours."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from census.domain.occupancy import CalendarNotCoveredError, MeterHistory, classify, load_config
from census.domain.occupancy.calendar import REST_DAY, WORKDAY, covered_years, day_kind
from census.domain.occupancy.daily_use import MISSING, NO_USE, USED, DayJudgement
from census.domain.occupancy.tags import (
    KIND_REST_DAY,
    KIND_UNKNOWN,
    KIND_WORKDAY,
    day_kinds,
    home_hours_tags,
    usage_tags,
)

CONFIG = load_config()


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        (date(2026, 9, 20), WORKDAY),  # Sunday, worked before National Day
        (date(2026, 10, 10), WORKDAY),  # Saturday, worked after National Day
        (date(2026, 9, 28), WORKDAY),  # an ordinary Monday
        (date(2026, 10, 1), REST_DAY),  # National Day, a Thursday
        (date(2026, 10, 7), REST_DAY),  # last day of the National Day week, a Wednesday
        (date(2026, 9, 25), REST_DAY),  # Mid-autumn Festival, a Friday
        (date(2026, 10, 11), REST_DAY),  # an ordinary Sunday
        (date(2012, 6, 22), REST_DAY),  # Dragon Boat Festival 2012, a Friday
    ],
)
def test_day_kind_follows_official_calendar(day, kind):
    assert day_kind(day) == kind


def test_year_not_covered_raises_clear_error():
    first, last = covered_years()
    with pytest.raises(CalendarNotCoveredError, match=f"covers {first}-{last}.*upgrade the chinesecalendar"):
        day_kind(date(last + 1, 3, 2))


def test_classify_raises_for_year_not_covered():
    _, last = covered_years()
    history = MeterHistory("electricity", date(last + 1, 1, 1), np.ones(10))
    with pytest.raises(CalendarNotCoveredError):
        classify(history, config=CONFIG)


def test_day_kinds_marks_swapped_weekend_as_workday():
    kinds = day_kinds(date(2026, 9, 19), 3)
    assert kinds.tolist() == [KIND_REST_DAY, KIND_WORKDAY, KIND_WORKDAY]


def test_day_kinds_before_calendar_unknown():
    first, _ = covered_years()
    kinds = day_kinds(date(first - 1, 12, 31), 2)
    # 1 January is New Year's Day, a public holiday.
    assert kinds.tolist() == [KIND_UNKNOWN, KIND_REST_DAY]


def _judgement(first_day: date, states: dict[date, int], days: int) -> DayJudgement:
    state = np.full(days, MISSING, dtype=np.int8)
    for day, value in states.items():
        state[(day - first_day).days] = value
    return DayJudgement(state=state, rule=("x",) * days, presence=None, observed=None)


def test_usage_tags_count_swapped_weekend_as_workday():
    # Use only on the two swapped working weekend days, none on two holiday
    # weekend days. A weekday-only calendar would call this rest-day use.
    first_day = date(2026, 9, 12)
    states = {
        date(2026, 9, 20): USED,
        date(2026, 10, 10): USED,
        date(2026, 10, 3): NO_USE,
        date(2026, 10, 4): NO_USE,
    }
    judgement = _judgement(first_day, states, 30)
    tags = usage_tags(judgement, day_kinds(first_day, 30), CONFIG.tags)
    assert tags == ["workday_use"]


def test_usage_tags_rest_days_only():
    first_day = date(2026, 10, 1)
    states = {first_day + timedelta(days=i): USED if i < 7 else NO_USE for i in range(12)}
    judgement = _judgement(first_day, states, 12)
    tags = usage_tags(judgement, day_kinds(first_day, 12), CONFIG.tags)
    assert tags == ["rest_day_use"]


def _home_with_hours(first_day: date, days: int, workday_hours: range, rest_hours: range) -> MeterHistory:
    # People keep to their hours but not to the watt: each draw varies, and
    # one day in eight they are out. A draw identical every day is a timer.
    rng = np.random.default_rng(60)
    hourly = 0.05 + 0.01 * rng.random((days, 24))
    for i in range(days):
        hours = workday_hours if day_kind(first_day + timedelta(days=i)) == WORKDAY else rest_hours
        if i % 8 != 3:
            hourly[i, list(hours)] += 0.3 + 0.6 * rng.random(len(hours))
    return MeterHistory("electricity", first_day, hourly.sum(axis=1), hourly)


def test_home_hours_tags_per_kind_of_day():
    history = _home_with_hours(date(2026, 8, 1), 56, range(18, 22), range(9, 13))
    result = classify(history, config=CONFIG)
    assert result.code == "GREEN"
    assert "home_hours_workday:18-22" in result.tags
    assert "home_hours_rest_day:09-13" in result.tags


def test_home_hours_stay_inside_visiting_hours():
    # Activity only late at night: the suggested window ends by 22:00.
    history = _home_with_hours(date(2026, 8, 1), 56, range(21, 24), range(21, 24))
    result = classify(history, config=CONFIG)
    hours = [tag for tag in result.tags if tag.startswith("home_hours_workday:")]
    assert hours == ["home_hours_workday:18-22"]


def test_home_hours_absent_without_hourly_data():
    daily = np.full(56, 6.0) * (1 + 0.2 * np.random.default_rng(3).standard_normal(56))
    result = classify(MeterHistory("electricity", date(2026, 8, 1), daily), config=CONFIG)
    assert result.code == "GREEN"
    assert not [tag for tag in result.tags if tag.startswith("home_hours_")]


def test_red_home_has_no_tags():
    hourly = np.full((40, 24), 0.04)
    result = classify(
        MeterHistory("electricity", date(2026, 8, 1), hourly.sum(axis=1), hourly), config=CONFIG
    )
    assert result.code == "RED"
    assert result.tags == ()


def test_rest_day_morning_after_night_home():
    # Every evening draws until 22:00; on rest days the first draw is at
    # 10:00. The night and the quiet morning before it were spent at home,
    # so the rest-day window is the morning, although the evening draws
    # more hours (19-22) than the morning (10-12).
    history = _home_with_hours(date(2026, 8, 1), 56, range(19, 22), range(19, 22))
    hourly = history.hourly.copy()
    for i in range(hourly.shape[0]):
        if day_kind(history.first_day + timedelta(days=i)) == REST_DAY and i % 8 != 3:
            hourly[i, 10:12] += 0.5 + 0.2 * (i % 3)
    history = MeterHistory("electricity", history.first_day, hourly.sum(axis=1), hourly)
    result = classify(history, config=CONFIG)
    assert "home_hours_rest_day:08-12" in result.tags
    assert "home_hours_workday:18-22" in result.tags


def test_afternoon_first_draw_no_morning():
    # First draw at 13:00 on rest days: the home may have been left early,
    # so the morning is not counted. Counted, it would make 09-13 a full
    # window; uncounted, the evening window wins.
    history = _home_with_hours(date(2026, 8, 1), 56, range(19, 22), range(19, 22))
    hourly = history.hourly.copy()
    for i in range(hourly.shape[0]):
        if day_kind(history.first_day + timedelta(days=i)) == REST_DAY and i % 8 != 3:
            hourly[i, 13] += 0.5 + 0.2 * (i % 3)
    history = MeterHistory("electricity", history.first_day, hourly.sum(axis=1), hourly)
    result = classify(history, config=CONFIG)
    rest = [tag for tag in result.tags if tag.startswith("home_hours_rest_day:")]
    assert rest == ["home_hours_rest_day:18-22"]


def test_morning_outing_not_a_night():
    # Draws at 07:00, 11:00 and 20:00 every day. The night from 20:00 to
    # 07:00 is filled, the outing from 08:00 to 10:00 is not: filled, it
    # would make 08-12 a full window.
    days = 28
    presence = np.zeros((days, 24), dtype=bool)
    presence[:, [7, 11, 20]] = True
    judgement = DayJudgement(
        state=np.full(days, USED, dtype=np.int8),
        rule=("hourly_activity",) * days,
        presence=presence,
        observed=np.ones((days, 24), dtype=bool),
    )
    tags = home_hours_tags(judgement, day_kinds(date(2026, 8, 3), days), CONFIG.tags)
    assert tags == ["home_hours_workday:18-22", "home_hours_rest_day:18-22"]
