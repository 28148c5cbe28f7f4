"""Unit tests of classify(): each rule pinned with a hand-made trace.

Traces are built from fixed random seeds. Hourly electricity traces are in kWh
per hour, water traces in litres per hour, gas traces in m3 per hour.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from census.domain.occupancy import Classification, MeterHistory, classify, load_config
from tests.unit.occupancy_days import days_of, fridge_day, frugal_day, occupied_day

CONFIG = load_config()
AS_OF = date(2026, 9, 15)
DAYS = 56


def _history(utility: str, hourly: np.ndarray | None = None, daily: np.ndarray | None = None) -> MeterHistory:
    if daily is None:
        assert hourly is not None
        complete = np.isfinite(hourly).all(axis=1)
        daily = np.where(complete, np.nansum(hourly, axis=1), np.nan)
    first_day = AS_OF - timedelta(days=daily.size - 1)
    return MeterHistory(utility=utility, first_day=first_day, daily=daily, hourly=hourly)


def _run(history: MeterHistory, **kwargs) -> Classification:
    return classify(history, config=CONFIG, **kwargs)


# --------------------------------------------------------------- day builders


# ------------------------------------------------------------- electricity


def test_occupied_hourly_home_green():
    result = _run(_history("electricity", days_of(occupied_day, DAYS, 1)))
    assert result.code == "GREEN"
    assert result.reason == "recent_use"
    assert result.facts["rule"] == "hourly_activity"
    assert result.facts["days_with_use_7"] == 7
    assert result.as_of == AS_OF


def test_occupied_hourly_home_tags_both_kinds_of_day():
    result = _run(_history("electricity", days_of(occupied_day, DAYS, 1)))
    assert "workday_use" in result.tags
    assert "rest_day_use" in result.tags


def test_fridge_only_month_hourly_red():
    hourly = np.vstack([days_of(occupied_day, 16, 2), days_of(fridge_day, 40, 3)])
    result = _run(_history("electricity", hourly))
    assert result.code == "RED"
    assert result.reason == "no_use_30_days"
    assert result.facts["rule"] == "no_human_pattern"
    assert result.facts["days_with_use_30"] == 0
    assert result.tags == ()


def test_fridge_only_whole_history_hourly_red():
    result = _run(_history("electricity", days_of(fridge_day, DAYS, 4)))
    assert result.code == "RED"


def test_fridge_only_month_daily_red():
    rng = np.random.default_rng(5)
    daily = 0.9 * (1 + 0.02 * rng.standard_normal(DAYS))
    result = _run(_history("electricity", daily=daily))
    assert result.code == "RED"
    assert result.facts["rule"] == "standby_level"


def test_frugal_single_person_hourly_green():
    hourly = days_of(frugal_day, DAYS, 6)
    assert 0.25 < float(hourly.sum(axis=1).mean()) < 0.35
    result = _run(_history("electricity", hourly))
    assert result.code == "GREEN"
    assert result.facts["days_with_use_30"] == 30


def test_frugal_single_person_daily_green():
    rng = np.random.default_rng(7)
    daily = 0.3 * (1 + 0.2 * rng.standard_normal(DAYS))
    result = _run(_history("electricity", daily=daily))
    assert result.code == "GREEN"


def test_frugal_home_below_fridge_home_yet_green():
    # The same absolute level can be use or no use: the frugal home draws less
    # than a fridge-only home, and still reads as lived in.
    frugal = _run(_history("electricity", days_of(frugal_day, DAYS, 6)))
    fridge = _run(_history("electricity", days_of(fridge_day, DAYS, 4)))
    assert frugal.code == "GREEN"
    assert fridge.code == "RED"


def test_eight_day_trip_hourly_yellow():
    hourly = np.vstack([days_of(occupied_day, 48, 8), days_of(fridge_day, 8, 9)])
    result = _run(_history("electricity", hourly))
    assert result.code == "YELLOW"
    assert result.reason == "intermittent_use"
    assert result.facts["days_with_use_7"] == 0
    assert result.facts["days_with_use_30"] == 22


def test_eight_day_trip_daily_yellow():
    rng = np.random.default_rng(10)
    occupied = 6.0 * (1 + 0.25 * rng.standard_normal(48)).clip(0.4)
    away = 1.1 * (1 + 0.02 * rng.standard_normal(8))
    result = _run(_history("electricity", daily=np.concatenate([occupied, away])))
    assert result.code == "YELLOW"
    assert result.facts["rule"] == "above_baseload"
    assert result.facts["days_with_use_7"] == 0


def test_back_from_trip_five_days_green():
    hourly = np.vstack(
        [days_of(occupied_day, 43, 8), days_of(fridge_day, 8, 9), days_of(occupied_day, 5, 11)]
    )
    result = _run(_history("electricity", hourly))
    assert result.code == "GREEN"
    assert result.facts["days_with_use_7"] == 5


def test_back_from_trip_three_days_yellow():
    hourly = np.vstack(
        [days_of(occupied_day, 45, 8), days_of(fridge_day, 8, 9), days_of(occupied_day, 3, 11)]
    )
    result = _run(_history("electricity", hourly))
    assert result.code == "YELLOW"


def test_supply_off_month_red():
    hourly = np.vstack([days_of(occupied_day, 20, 12), np.zeros((36, 24))])
    result = _run(_history("electricity", hourly))
    assert result.code == "RED"
    assert result.facts["rule"] == "supply_off"


def test_water_heater_cycles_while_away_red():
    # A 2 kW water heater reheats for about 15 minutes every 6.5 hours, at a
    # different clock hour each time, with nobody home.
    hourly = _water_heater(days_of(fridge_day, DAYS, 13))
    result = _run(_history("electricity", hourly))
    assert result.code == "RED"
    assert result.facts["rule"] == "no_human_pattern"


def test_water_heater_cycles_with_people_green():
    hourly = days_of(occupied_day, DAYS, 14)
    for cycle in range(int(DAYS * 24 / 6.5)):
        hour = int(cycle * 6.5)
        hourly[hour // 24, hour % 24] += 0.5
    result = _run(_history("electricity", hourly))
    assert result.code == "GREEN"


def _timer_light(hourly: np.ndarray, seed: int) -> np.ndarray:
    """Add a 100 W light on a timer, 18:00-23:00 every day, drawing the same within 1%."""
    rng = np.random.default_rng(seed)
    lit = hourly.copy()
    lit[:, 18:23] += 0.1 * (1 + 0.01 * rng.standard_normal((lit.shape[0], 5)))
    return lit


def _water_heater(hourly: np.ndarray) -> np.ndarray:
    """Add a water heater reheating for 15 minutes every 6.5 hours, at a different hour each time."""
    heated = hourly.copy()
    for cycle in range(int(heated.shape[0] * 24 / 6.5)):
        hour = int(cycle * 6.5)
        heated[hour // 24, hour % 24] += 0.5
    return heated


def test_timer_light_in_empty_home_red():
    # Five hours a day well above the fridge, and a water heater that lands
    # in them now and then: without the timer floor every day would have 5
    # active hours and read GREEN.
    hourly = _water_heater(_timer_light(days_of(fridge_day, DAYS, 30), 31))
    result = _run(_history("electricity", hourly))
    assert result.code == "RED"
    assert result.facts["rule"] == "no_human_pattern"


def test_timer_light_with_steady_totals_unknown():
    # Fridge and timer light alone repeat the same day total within 1% for
    # 8 weeks, above a fridge-only level. No day distinguishes an empty home
    # from a household that lives by the clock.
    hourly = _timer_light(days_of(fridge_day, DAYS, 30), 31)
    result = _run(_history("electricity", hourly))
    assert result.code == "UNKNOWN"
    assert result.reason == "steady_load"


def test_people_under_a_timer_light_green():
    # Cooking and television on top of the timer light: draws that vary from
    # day to day clear the timer's level.
    hourly = _timer_light(days_of(occupied_day, DAYS, 32), 33)
    result = _run(_history("electricity", hourly))
    assert result.code == "GREEN"
    assert result.facts["days_with_use_7"] == 7


def test_people_back_under_timer_yellow():
    # Someone came home for the last 3 days and cooked under the timer light.
    hourly = _timer_light(days_of(fridge_day, DAYS, 34), 35)
    hourly[-3:, 7] += 0.4
    hourly[-3:, 12] += 0.3
    result = _run(_history("electricity", hourly))
    assert result.code == "YELLOW"
    assert result.facts["days_with_use_30"] == 3


def test_timer_floor_needs_two_weeks():
    # 13 days of history are too few to learn a timer: the light counts as use.
    hourly = _timer_light(days_of(fridge_day, 13, 36), 37)
    result = _run(_history("electricity", hourly))
    assert result.code == "GREEN"


def test_timer_floor_from_two_weeks():
    # 14 full days are enough to learn the timer: the light is no use.
    hourly = _timer_light(days_of(fridge_day, 14, 36), 37)
    result = _run(_history("electricity", hourly))
    assert result.code != "GREEN"
    assert result.facts["days_with_use_30"] == 0


@pytest.mark.parametrize(
    ("zero_days", "code", "reason"), [(20, "RED", "no_use_30_days"), (19, "UNKNOWN", "steady_load")]
)
def test_steady_days_left_out_of_red_count(zero_days, code, reason):
    # RED needs 20 days of no use in the last 30 besides steady-load days.
    rng = np.random.default_rng(42)
    steady = 3.0 * (1 + 0.005 * rng.standard_normal(DAYS - zero_days))
    result = _run(_history("electricity", daily=np.concatenate([steady, np.zeros(zero_days)])))
    assert result.code == code
    assert result.reason == reason
    assert result.facts["days_with_use_30"] == 0


def test_fixed_hour_varying_draw_green():
    # A kettle at 07:00 and a cooker at 18:00 every single day, each varying
    # by a third: a routine, not a timer.
    rng = np.random.default_rng(38)
    hourly = days_of(fridge_day, DAYS, 39)
    hourly[:, 7] += rng.uniform(0.08, 0.14, DAYS)
    hourly[:, 18] += rng.uniform(0.3, 0.5, DAYS)
    result = _run(_history("electricity", hourly))
    assert result.code == "GREEN"


def test_steady_month_without_contrast_unknown():
    # 56 days drifting slowly around 1.8 kWh (above a fridge-only level),
    # changing about 1% a day, with no day of use to compare them with: an
    # appliance in an empty home or a very regular household.
    rng = np.random.default_rng(40)
    daily = 1.8 + 0.2 * np.sin(np.arange(DAYS) / 9) + 0.01 * rng.standard_normal(DAYS)
    result = _run(_history("electricity", daily=daily))
    assert result.code == "UNKNOWN"
    assert result.reason == "steady_load"
    assert result.facts["rule"] == "steady_load"
    assert result.facts["days_with_use_30"] == 0


def test_steady_month_after_days_of_use_red():
    # The same steady level after three weeks of ordinary use: the contrast
    # shows it for standby, and the code is RED.
    rng = np.random.default_rng(41)
    occupied = 6.0 * (1 + 0.25 * rng.standard_normal(21)).clip(0.4)
    away = 1.8 * (1 + 0.01 * rng.standard_normal(35))
    result = _run(_history("electricity", daily=np.concatenate([occupied, away])))
    assert result.code == "RED"
    assert result.facts["rule"] == "standby_level"


# --------------------------------------------------- data gaps and registry


def test_new_connection_unknown():
    result = _run(
        _history("electricity", days_of(occupied_day, DAYS, 15)), connected_on=AS_OF - timedelta(days=9)
    )
    assert result.code == "UNKNOWN"
    assert result.reason == "new_connection"
    assert result.facts["days_connected"] == 10


def test_connection_before_window_ignores_earlier_days():
    # Days before the connection date belong to a previous customer: their
    # readings (here a month of zeros) are not counted.
    hourly = np.vstack([np.zeros((20, 24)), days_of(occupied_day, 36, 16)])
    connected_on = AS_OF - timedelta(days=35)
    result = _run(_history("electricity", hourly), connected_on=connected_on)
    assert result.code == "GREEN"
    assert result.facts["days_with_data_30"] == 30


def test_connection_date_at_window_start_judged():
    connected_on = AS_OF - timedelta(days=29)
    result = _run(_history("electricity", days_of(fridge_day, 30, 17)), connected_on=connected_on)
    assert result.code == "RED"


@pytest.mark.parametrize(
    ("status", "reason"), [("removed", "meter_removed"), ("terminated", "supply_terminated")]
)
def test_registry_status_unknown(status, reason):
    result = _run(_history("electricity", days_of(occupied_day, DAYS, 18)), status=status)
    assert result.code == "UNKNOWN"
    assert result.reason == reason
    assert result.tags == ()


def test_unknown_status_rejected():
    with pytest.raises(ValueError, match="unknown meter status"):
        _run(_history("electricity", days_of(occupied_day, 7, 18)), status="suspended")


def test_gap_of_missing_days_too_few_days():
    hourly = days_of(fridge_day, DAYS, 19)
    hourly[-30:-15] = np.nan
    result = _run(_history("electricity", hourly))
    assert result.code == "UNKNOWN"
    assert result.reason == "too_few_days"
    assert result.facts["days_with_data_30"] == 15


def test_gap_of_ten_days_still_red():
    hourly = days_of(fridge_day, DAYS, 19)
    hourly[-20:-10] = np.nan
    result = _run(_history("electricity", hourly))
    assert result.code == "RED"
    assert result.facts["days_with_data_30"] == 20


def test_gap_in_last_week_leaves_green_open():
    hourly = np.vstack([days_of(fridge_day, 49, 20), days_of(occupied_day, 7, 21)])
    hourly[-3:] = np.nan
    result = _run(_history("electricity", hourly))
    assert result.code == "UNKNOWN"
    assert result.reason == "recent_days_missing"
    assert result.facts["days_with_use_7"] == 4


def test_missing_days_are_not_zero():
    missing = _run(_history("electricity", np.full((DAYS, 24), np.nan)))
    zeros = _run(_history("electricity", np.zeros((DAYS, 24))))
    assert missing.code == "UNKNOWN"
    assert missing.reason == "no_data"
    assert zeros.code == "RED"


def test_estimated_readings_unknown():
    rng = np.random.default_rng(22)
    daily = 6.0 * (1 + 0.25 * rng.standard_normal(DAYS)).clip(0.4)
    daily[-8:] = 5.432
    result = _run(_history("electricity", daily=daily))
    assert result.code == "UNKNOWN"
    assert result.reason == "estimated_readings"
    assert result.facts["days_estimated_30"] == 8


def test_three_identical_days_not_estimated():
    rng = np.random.default_rng(22)
    daily = 6.0 * (1 + 0.25 * rng.standard_normal(DAYS)).clip(0.4)
    daily[-3:] = 5.432
    result = _run(_history("electricity", daily=daily))
    assert result.code == "GREEN"
    assert result.facts["days_estimated_30"] == 0


def test_copied_hourly_profile_estimated():
    hourly = days_of(occupied_day, DAYS, 23)
    hourly[-5:] = hourly[-6]
    result = _run(_history("electricity", hourly))
    assert result.facts["days_estimated_30"] == 6
    assert result.code == "UNKNOWN"
    assert result.reason == "estimated_readings"


def test_partial_day_with_use_counts_as_use():
    hourly = days_of(occupied_day, DAYS, 24)
    hourly[:, :6] = np.nan
    result = _run(_history("electricity", hourly))
    assert result.code == "GREEN"
    assert result.facts["days_with_use_7"] == 7


def test_partial_day_without_use_is_missing():
    hourly = days_of(fridge_day, DAYS, 25)
    hourly[:, :6] = np.nan
    result = _run(_history("electricity", hourly))
    assert result.code == "UNKNOWN"
    assert result.facts["days_with_data_30"] == 0


def test_short_history_green():
    result = _run(_history("electricity", days_of(occupied_day, 7, 26)))
    assert result.code == "GREEN"
    assert result.facts["days_with_data_30"] == 7


def test_short_history_without_use_too_few_days():
    result = _run(_history("electricity", days_of(fridge_day, 10, 27)))
    assert result.code == "UNKNOWN"
    assert result.reason == "too_few_days"


def test_history_longer_than_56_days_trimmed():
    hourly = np.vstack([days_of(occupied_day, 30, 28), days_of(fridge_day, DAYS, 29)])
    longer = _run(_history("electricity", hourly))
    trimmed = _run(_history("electricity", hourly[-DAYS:]))
    assert longer == trimmed


def test_classify_leaves_input_unchanged():
    hourly = days_of(occupied_day, DAYS, 30)
    hourly[3, 5] = np.nan
    history = _history("electricity", hourly)
    before = history.hourly.copy()
    first = _run(history)
    second = _run(history)
    assert first == second
    assert np.array_equal(history.hourly, before, equal_nan=True)


def test_facts_hold_counts_and_rule_names_only():
    result = _run(_history("electricity", days_of(occupied_day, DAYS, 31)))
    expected_keys = {
        "days_with_data_30",
        "days_with_use_30",
        "days_with_data_7",
        "days_with_use_7",
        "days_estimated_30",
        "rule",
    }
    assert set(result.facts) == expected_keys
    assert all(isinstance(result.facts[key], int) for key in expected_keys - {"rule"})
    assert isinstance(result.facts["rule"], str)


# ------------------------------------------------------------------- water


def water_day(rng: np.random.Generator, leak: float = 0.0) -> np.ndarray:
    """About 250 litres: a shower, toilet flushes, kitchen draws."""
    day = np.full(24, leak)
    day[7] += rng.uniform(40, 80)
    for hour in rng.choice(np.arange(6, 23), size=6, replace=False):
        day[hour] += rng.uniform(6, 20)
    day[20] += rng.uniform(10, 30)
    return np.round(day)


def test_water_occupied_green():
    rng = np.random.default_rng(40)
    hourly = np.array([water_day(rng) for _ in range(DAYS)])
    result = _run(_history("water", hourly))
    assert result.code == "GREEN"


def test_water_zero_litre_days_red():
    rng = np.random.default_rng(41)
    hourly = np.vstack([[water_day(rng) for _ in range(20)], np.zeros((36, 24))])
    result = _run(_history("water", hourly))
    assert result.code == "RED"
    assert result.facts["rule"] == "supply_off"


def test_water_leak_while_away_red():
    # A running toilet: 2 litres every hour of every day, nobody home.
    rng = np.random.default_rng(42)
    hourly = np.vstack([[water_day(rng, leak=2.0) for _ in range(20)], np.full((36, 24), 2.0)])
    result = _run(_history("water", hourly))
    assert result.code == "RED"
    assert result.facts["rule"] == "no_human_pattern"
    assert result.facts["days_estimated_30"] == 0


def test_water_leak_with_people_green():
    rng = np.random.default_rng(43)
    hourly = np.array([water_day(rng, leak=2.0) for _ in range(DAYS)])
    result = _run(_history("water", hourly))
    assert result.code == "GREEN"


def test_water_leak_daily_only_red():
    rng = np.random.default_rng(44)
    daily = np.concatenate([rng.uniform(150, 350, 20), 48.0 + rng.integers(-1, 2, 36)])
    result = _run(_history("water", daily=daily))
    assert result.code == "RED"
    assert result.facts["rule"] == "standby_level"


def test_water_frugal_flushes_green():
    # One person: a few flushes and a kitchen draw, about 40 litres a day.
    rng = np.random.default_rng(45)
    hourly = np.zeros((DAYS, 24))
    for day in hourly:
        day[rng.choice(np.arange(7, 23), size=4, replace=False)] = rng.integers(6, 10, 4)
        day[19] += 8
    result = _run(_history("water", hourly))
    assert result.code == "GREEN"


# --------------------------------------------------------------------- gas


def test_gas_pilot_flame_red():
    hourly = np.full((DAYS, 24), 0.01)
    result = _run(_history("gas", hourly))
    assert result.code == "RED"


def test_gas_cooking_green():
    rng = np.random.default_rng(50)
    hourly = np.full((DAYS, 24), 0.01)
    hourly[:, 7] += rng.uniform(0.06, 0.12, DAYS)
    hourly[:, 18] += rng.uniform(0.1, 0.3, DAYS)
    hourly[:, 19] += rng.uniform(0.05, 0.2, DAYS)
    result = _run(_history("gas", hourly))
    assert result.code == "GREEN"


# ------------------------------------------------------------------ input


def test_history_rejects_wrong_hourly_shape():
    with pytest.raises(ValueError, match="hourly must have shape"):
        MeterHistory("electricity", AS_OF, np.ones(3), np.ones((3, 23)))


def test_history_rejects_empty_daily():
    with pytest.raises(ValueError, match="non-empty"):
        MeterHistory("electricity", AS_OF, np.array([]))


def test_history_rejects_unknown_utility():
    with pytest.raises(ValueError, match="unknown utility"):
        MeterHistory("heat", AS_OF, np.ones(3))


def test_history_as_of_is_last_day():
    history = MeterHistory("electricity", date(2026, 9, 1), np.ones(10))
    assert history.as_of == date(2026, 9, 10)


def test_classification_rejects_unknown_code():
    with pytest.raises(ValueError, match="unknown occupancy code"):
        Classification("BLUE", "recent_use", AS_OF)
