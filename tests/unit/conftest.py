"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from census.domain.occupancy import calendar


@pytest.fixture
def enter_calendar_years(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[[str], None]]:
    """Return a function that replaces calendar_years.toml with the given text for one test."""

    def enter(text: str) -> None:
        path = tmp_path / "calendar_years.toml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setattr(calendar, "CALENDAR_YEARS_FILE", path)
        calendar.entered_years.cache_clear()
        calendar.day_kind.cache_clear()

    yield enter
    calendar.entered_years.cache_clear()
    calendar.day_kind.cache_clear()
