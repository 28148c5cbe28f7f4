"""Workdays and rest days of the official Chinese calendar.

The State Council moves working days onto weekends around public holidays
(2026: Sunday 20 September and Saturday 10 October are working days, National
Day week is off). The `chinesecalendar` package records those decisions year
by year. A year it does not cover raises `CalendarNotCoveredError`, because a
guess from weekdays alone would tag the swapped days wrongly, unless the year is
entered in `calendar_years.toml` beside this module.
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import lru_cache
from pathlib import Path

import chinese_calendar

WORKDAY = "workday"
REST_DAY = "rest_day"


class CalendarNotCoveredError(LookupError):
    """The installed chinesecalendar package has no holiday data for a year."""

    def __init__(self, day: date, first_year: int, last_year: int) -> None:
        super().__init__(
            f"chinesecalendar {chinese_calendar.__version__} covers {first_year}-{last_year}, "
            f"not {day.isoformat()}; upgrade the chinesecalendar package to a release with {day.year}"
        )
        self.day = day


CALENDAR_YEARS_FILE = Path(__file__).with_name("calendar_years.toml")


@lru_cache(maxsize=1)
def entered_years() -> dict[int, tuple[frozenset[date], frozenset[date]]]:
    """Return the years entered in calendar_years.toml: (holidays, working weekend days) by year."""
    with CALENDAR_YEARS_FILE.open("rb") as handle:
        tables = tomllib.load(handle)
    years: dict[int, tuple[frozenset[date], frozenset[date]]] = {}
    for year, table in tables.items():
        holidays = frozenset(date.fromisoformat(day) for day in table.get("holidays", []))
        working_days = frozenset(date.fromisoformat(day) for day in table.get("working_days", []))
        if any(day.year != int(year) for day in holidays | working_days):
            raise ValueError(f"{CALENDAR_YEARS_FILE.name}: year {year} lists a day of another year")
        years[int(year)] = (holidays, working_days)
    return years


@lru_cache(maxsize=1)
def covered_years() -> tuple[int, int]:
    """Return the first and last year that the installed chinesecalendar covers."""
    years = [day.year for day in chinese_calendar.holidays]
    return min(years), max(years)


def is_covered(day: date) -> bool:
    """Return True when the package or calendar_years.toml lists the kinds of day of that year."""
    first, last = covered_years()
    return first <= day.year <= last or day.year in entered_years()


def check_covered(day: date) -> None:
    if not is_covered(day):
        first, last = covered_years()
        raise CalendarNotCoveredError(day, first, last)


@lru_cache(maxsize=4096)
def day_kind(day: date) -> str:
    """Return WORKDAY or REST_DAY for a date, with swapped working weekends."""
    entered = entered_years().get(day.year)
    if entered is not None:
        holidays, working_days = entered
        if day in working_days:
            return WORKDAY
        return REST_DAY if day in holidays or day.weekday() >= 5 else WORKDAY
    check_covered(day)
    return WORKDAY if chinese_calendar.is_workday(day) else REST_DAY
