"""Unit tests of combine(): one code for a household with several meters."""

from __future__ import annotations

from datetime import date

import pytest

from census.domain.occupancy import Classification, combine

AS_OF = date(2026, 9, 15)


def _result(code: str, reason: str, use_30: int = 0, tags: tuple[str, ...] = ()) -> Classification:
    return Classification(code, reason, AS_OF, tags, {"days_with_use_30": use_30, "rule": "x"})


GREEN = _result("GREEN", "recent_use", 30, ("workday_use",))
YELLOW = _result("YELLOW", "intermittent_use", 3)
RED = _result("RED", "no_use_30_days")
UNKNOWN_NO_USE = _result("UNKNOWN", "too_few_days")
UNKNOWN_WITH_USE = _result("UNKNOWN", "recent_days_missing", 4)
REMOVED = Classification("UNKNOWN", "meter_removed", AS_OF, (), {"rule": "registry_status"})


def test_green_water_beats_red_electricity():
    combined = combine([("electricity", RED), ("water", GREEN)])
    assert combined.code == "GREEN"
    assert combined.facts["decided_by"] == "water"
    assert combined.tags == ("workday_use",)


def test_yellow_beats_red():
    combined = combine([("electricity", RED), ("gas", YELLOW)])
    assert combined.code == "YELLOW"
    assert combined.facts["decided_by"] == "gas"


def test_all_red_red():
    combined = combine([("electricity", RED), ("water", RED)])
    assert combined.code == "RED"
    assert combined.facts["meters_red"] == 2


def test_red_with_unjudged_meter_without_use_red():
    combined = combine([("electricity", RED), ("water", UNKNOWN_NO_USE)])
    assert combined.code == "RED"
    assert combined.reason == "no_use_30_days"


def test_red_with_removed_meter_red():
    combined = combine([("electricity", RED), ("water", REMOVED)])
    assert combined.code == "RED"


def test_red_with_unjudged_meter_that_saw_use_unknown():
    combined = combine([("electricity", RED), ("water", UNKNOWN_WITH_USE)])
    assert combined.code == "UNKNOWN"
    assert combined.reason == "recent_days_missing"
    assert combined.facts["decided_by"] == "water"


def test_all_unknown_unknown():
    combined = combine([("electricity", REMOVED), ("water", UNKNOWN_NO_USE)])
    assert combined.code == "UNKNOWN"
    assert combined.reason == "meter_removed"


def test_first_meter_wins_a_tie():
    other_green = _result("GREEN", "recent_use", 30, ("rest_day_use",))
    combined = combine([("electricity", GREEN), ("water", other_green)])
    assert combined.facts["decided_by"] == "electricity"
    assert combined.tags == ("workday_use",)


def test_single_meter_keeps_its_code():
    combined = combine([("electricity", YELLOW)])
    assert combined.code == "YELLOW"
    assert combined.reason == "intermittent_use"
    assert combined.as_of == AS_OF


def test_facts_count_meters_per_code():
    combined = combine([("electricity", GREEN), ("water", RED), ("gas", UNKNOWN_NO_USE)])
    assert combined.facts == {
        "meters": 3,
        "decided_by": "electricity",
        "meters_green": 1,
        "meters_yellow": 0,
        "meters_red": 1,
        "meters_unknown": 1,
    }


def test_empty_input_rejected():
    with pytest.raises(ValueError, match="at least one"):
        combine([])
