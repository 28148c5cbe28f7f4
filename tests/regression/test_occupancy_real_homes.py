"""Regression tests: the classifier's codes on named real homes and days from data/.

Each case reads the 56 days ending at the as-of date, as a query does, through
the loader of scripts/evaluate_classifier.py. docs/classifier-evaluation.md
shows the same homes with what their traces show.
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

from census.domain.occupancy import classify, load_config

ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config()


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "evaluate_classifier", ROOT / "scripts" / "evaluate_classifier.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look the defining module up in sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def homes():
    harness = _harness()
    loaded = {}
    for dataset in ("lcl_daily", "sgsc", "daiad", "eco"):
        loaded.update(harness.load_dataset(dataset))
    return loaded


def _classify(homes, home_id: str, as_of: str):
    return classify(homes[home_id].history(date.fromisoformat(as_of)), config=CONFIG)


# (home, as-of date, code, reason, deciding day rule): what the trace shows is in the comment.
CASES = [
    # Daily-only London homes.
    ("MAC001346", "2013-07-25", "GREEN", "recent_use", "above_baseload"),  # ordinary use, 4-5 kWh a day
    ("MAC001346", "2013-08-08", "YELLOW", "intermittent_use", "above_baseload"),  # 9 days at fridge level
    ("MAC001346", "2013-09-28", "RED", "no_use_30_days", "standby_level"),  # 36 days at about 1.0 kWh
    ("MAC004365", "2013-09-08", "RED", "no_use_30_days", "standby_level"),  # 39 days at 1.6 kWh
    ("MAC004735", "2013-09-28", "RED", "no_use_30_days", "supply_off"),  # zero all summer
    ("MAC000006", "2013-08-30", "YELLOW", "intermittent_use", "above_baseload"),  # supply off since 08-18
    ("MAC005093", "2013-08-02", "YELLOW", "intermittent_use", "above_baseload"),  # 7 days flat at 0.77 kWh
    ("MAC000539", "2013-08-31", "GREEN", "recent_use", "above_baseload"),  # frugal, 0.6-1.4 kWh, human spread
    ("MAC001135", "2013-09-28", "GREEN", "recent_use", "above_baseload"),  # flat occupied home at 4.3 kWh
    # 120 days drifting between 1.4 and 2.2 kWh, changing 2% a day, with no day above to contrast.
    ("MAC001328", "2013-08-31", "UNKNOWN", "steady_load", "steady_load"),
    # 7 weeks easing from 2.6 to 1.8 kWh after days of use too few to contrast with.
    ("MAC005505", "2013-09-05", "UNKNOWN", "steady_load", "steady_load"),
    # Hourly Sydney homes.
    (
        "SGSC_10017522",
        "2013-01-20",
        "RED",
        "no_use_30_days",
        "no_human_pattern",
    ),  # Christmas away, fridge only
    ("SGSC_10017522", "2013-02-10", "GREEN", "recent_use", "hourly_activity"),  # back since 02-01
    ("SGSC_10018222", "2013-02-28", "RED", "no_use_30_days", "no_human_pattern"),  # 10-11 Wh every hour
    (
        "SGSC_10006664",
        "2013-01-05",
        "YELLOW",
        "intermittent_use",
        "hourly_activity",
    ),  # away, water heater cycling
    ("SGSC_10017994", "2013-02-28", "RED", "no_use_30_days", "supply_off"),  # supply off since 02-05
    # Away until 02-17 with a timer light every evening and a 3-hour appliance at drifting hours.
    ("SGSC_10006572", "2013-01-20", "RED", "no_use_30_days", "no_human_pattern"),
    ("SGSC_10006572", "2013-02-10", "RED", "no_use_30_days", "no_human_pattern"),
    ("SGSC_10006572", "2013-02-22", "GREEN", "recent_use", "hourly_activity"),  # back since 02-17
    # Hourly Alicante water meters.
    ("DAIAD_076", "2016-09-28", "GREEN", "recent_use", "hourly_activity"),  # occupied with a constant leak
    (
        "DAIAD_009",
        "2016-08-12",
        "YELLOW",
        "intermittent_use",
        "hourly_activity",
    ),  # away, 1-3 L leak every hour
    ("DAIAD_044", "2016-07-20", "YELLOW", "intermittent_use", "hourly_activity"),  # zero days, one day of use
    # Swiss home with presence labels.
    ("ECO_H02", "2012-06-30", "GREEN", "recent_use", "hourly_activity"),
]


@pytest.mark.parametrize(("home_id", "as_of", "code", "reason", "rule"), CASES)
def test_real_home_code(homes, home_id, as_of, code, reason, rule):
    result = _classify(homes, home_id, as_of)
    assert result.code == code
    assert result.reason == reason
    assert result.facts["rule"] == rule


def test_fridge_level_month_has_no_use_day(homes):
    result = _classify(homes, "MAC001346", "2013-09-28")
    assert result.facts["days_with_data_30"] == 30
    assert result.facts["days_with_use_30"] == 0


def test_trip_days_counted_as_no_use(homes):
    result = _classify(homes, "MAC001346", "2013-08-08")
    assert result.facts["days_with_use_7"] == 0
    assert result.facts["days_with_use_30"] == 20


def test_water_leak_days_not_use(homes):
    result = _classify(homes, "DAIAD_009", "2016-08-12")
    assert result.facts["days_with_use_7"] == 2


def test_eco_home_hours_tags(homes):
    result = _classify(homes, "ECO_H02", "2012-06-30")
    assert "home_hours_workday:18-22" in result.tags
    # ECO presence labels of June: someone home in 89-95% of rest-day hours 08-11, 70% at 11-12.
    assert "home_hours_rest_day:08-12" in result.tags


def test_eco_workday_and_rest_day_tags(homes):
    result = _classify(homes, "ECO_H02", "2012-06-30")
    assert "workday_use" in result.tags
    assert "rest_day_use" in result.tags


def test_dragon_boat_festival_2012_counts_as_rest_day(homes):
    # 2012-06-22 is a Friday and a Chinese public holiday; the ECO home was
    # used that day, so the rest-day share includes it.
    history = homes["ECO_H02"].history(date(2012, 6, 22))
    result = classify(history, config=CONFIG)
    assert result.code == "GREEN"
    assert "rest_day_use" in result.tags


def test_leak_home_leak_not_estimated(homes):
    result = _classify(homes, "DAIAD_076", "2016-09-28")
    assert result.facts["days_estimated_30"] == 0
