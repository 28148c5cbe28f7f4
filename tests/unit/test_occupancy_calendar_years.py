"""Years entered by hand extend the official calendar beyond the installed library."""

from datetime import date

import pytest

from census.domain.occupancy import calendar


@pytest.fixture
def entered_2031(enter_calendar_years):
    enter_calendar_years('[2031]\nholidays = ["2031-10-01", "2031-10-02"]\nworking_days = ["2031-10-11"]\n')


def test_entered_holiday_on_weekday_is_rest_day(entered_2031):
    assert calendar.day_kind(date(2031, 10, 1)) == calendar.REST_DAY


def test_entered_working_saturday_is_workday(entered_2031):
    assert calendar.day_kind(date(2031, 10, 11)) == calendar.WORKDAY


def test_entered_year_plain_days_follow_week(entered_2031):
    assert calendar.day_kind(date(2031, 10, 8)) == calendar.WORKDAY
    assert calendar.day_kind(date(2031, 10, 12)) == calendar.REST_DAY


def test_year_neither_covered_nor_entered_fails_loudly(entered_2031):
    with pytest.raises(calendar.CalendarNotCoveredError, match="upgrade the chinesecalendar package"):
        calendar.day_kind(date(2032, 3, 3))


def test_entered_day_of_other_year_rejected(monkeypatch, tmp_path):
    path = tmp_path / "calendar_years.toml"
    path.write_text('[2031]\nholidays = ["2030-10-01"]\n')
    monkeypatch.setattr(calendar, "CALENDAR_YEARS_FILE", path)
    calendar.entered_years.cache_clear()
    with pytest.raises(ValueError, match="another year"):
        calendar.entered_years()
    calendar.entered_years.cache_clear()
