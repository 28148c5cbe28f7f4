"""Unit tests of classify() and combine() on hostile or odd inputs.

Random histories from fixed seeds check invariants that hold for any input:
no exception, a known code, facts that agree with the code, tags only for
GREEN and YELLOW, the same result twice and unchanged input arrays. Targeted
cases cover negative and infinite readings, the ends of the calendar, odd
array layouts, odd thresholds files and combine().

Several targeted cases pin behaviour that was once wrong. A negative or
infinite reading is rejected. A history reaching back before the calendar's
first year is still tagged, and years entered by hand are classified. Only a
copied day is an estimate, and presence counts on observed hours only. A few
steady days do not outweigh a month at zero. A thresholds file that would
crash the classifier is rejected.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from census.domain.occupancy import (
    CalendarNotCoveredError,
    Classification,
    ConfigError,
    MeterHistory,
    classify,
    combine,
    load_config,
    parse_config,
)
from tests.unit.occupancy_days import occupied_day

CONFIG = load_config()
UTILITIES = ("electricity", "water", "gas")
CODES = ("GREEN", "YELLOW", "RED", "UNKNOWN")
AS_OF = date(2026, 9, 15)
DAYS = 56
# Typical hourly draw of each utility, in kWh, litres or m3 per hour.
HOURLY_SCALE = {"electricity": 0.2, "water": 10.0, "gas": 0.05}
FACT_KEYS = (
    "days_with_data_30",
    "days_with_use_30",
    "days_with_data_7",
    "days_with_use_7",
    "days_estimated_30",
)
HOME_HOURS = re.compile(r"^home_hours_(workday|rest_day):(\d\d)-(\d\d)$")


def _history(
    utility: str, daily: np.ndarray, hourly: np.ndarray | None = None, as_of: date = AS_OF
) -> MeterHistory:
    return MeterHistory(utility, as_of - timedelta(days=len(daily) - 1), daily, hourly)


def _from_hours(utility: str, hourly: np.ndarray, as_of: date = AS_OF) -> MeterHistory:
    """Build a history whose day totals are the sums of its complete days, NaN otherwise."""
    complete = np.isfinite(hourly).all(axis=1)
    daily = np.where(complete, np.nansum(hourly, axis=1), np.nan)
    return _history(utility, daily, hourly, as_of)


def _run(history: MeterHistory, **kwargs) -> Classification:
    return classify(history, config=CONFIG, **kwargs)


def occupied_hours(count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.array([occupied_day(rng) for _ in range(count)])


# ------------------------------------------------------------ random histories


def _threshold_values(utility: str) -> list[float]:
    """Values at the utility's own thresholds, plus zero, a huge and a tiny value."""
    th = CONFIG.for_utility(utility)
    return [
        0.0,
        1e6,
        1e-9,
        th.off_floor,
        th.off_floor / 24,
        th.standby_reference,
        th.flat_ceiling,
        th.active_margin,
        th.presence_margin,
        th.plateau_slack,
    ]


def _random_hours(rng: np.random.Generator, utility: str, n: int) -> np.ndarray:
    scale = HOURLY_SCALE[utility]
    special = _threshold_values(utility)
    shape = int(rng.integers(0, 6))
    if shape == 0:
        return rng.random((n, 24)) * scale
    if shape == 1:
        return np.full((n, 24), float(rng.choice(special)))
    if shape == 2:
        return rng.choice(special, size=(n, 24))
    if shape == 3:
        hours = np.zeros((n, 24))
        hours[:, 18:22] = 5 * scale * rng.random((n, 4))
        return hours
    if shape == 4:
        return np.where(rng.random((n, 24)) < 0.5, 0.0, 10 * scale * rng.random((n, 24)))
    # One profile repeated every day with under 1% change: a timer or a very regular home.
    return np.tile(rng.random(24) * scale, (n, 1)) * (1 + 0.01 * rng.random((n, 1)))


def _punch_gaps(rng: np.random.Generator, daily: np.ndarray, hourly: np.ndarray) -> None:
    """Set random NaN patterns in place: days, clock hours, single hours, copied days."""
    n = daily.size
    for _ in range(int(rng.integers(0, 4))):
        pattern = int(rng.integers(0, 7))
        if pattern == 0:
            daily[rng.random(n) < rng.random()] = np.nan
        elif pattern == 1:
            hourly[:, rng.integers(0, 24, size=int(rng.integers(1, 14)))] = np.nan
        elif pattern == 2:
            hourly[rng.random((n, 24)) < rng.random()] = np.nan
        elif pattern == 3:
            hourly[rng.random(n) < 0.5] = np.nan
        elif pattern == 4:
            daily[:] = np.nan
        elif pattern == 5:
            hourly[:] = np.nan
        else:
            rows = np.flatnonzero(rng.random(n) < 0.3)
            hourly[rows] = hourly[np.maximum(rows - 1, 0)]


def random_history(seed: int) -> MeterHistory:
    """Build a history of 1-80 days, one of three utilities, with random gaps and odd values."""
    rng = np.random.default_rng(seed)
    utility = UTILITIES[seed % 3]
    n = int(rng.integers(1, 81))
    with_hours = rng.random() < 0.6
    hourly = _random_hours(rng, utility, n)
    daily = hourly.sum(axis=1)
    _punch_gaps(rng, daily, hourly)
    if rng.random() < 0.2:
        daily = np.round(daily, 0)
    if rng.random() < 0.1:
        daily, hourly = daily * 1e6, hourly * 1e6
    as_of = date(2012, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 15)))
    if rng.random() < 0.1:
        # The first days of a year, so that the history spans New Year.
        as_of = date(int(rng.integers(2013, 2027)), 1, int(rng.integers(1, 10)))
    return MeterHistory(utility, as_of - timedelta(days=n - 1), daily, hourly if with_hours else None)


@dataclass
class Run:
    seed: int
    history: MeterHistory
    daily_before: np.ndarray
    hourly_before: np.ndarray | None
    result: Classification | None
    again: Classification | None
    error: str | None


SEEDS = range(3000)


@pytest.fixture(scope="module")
def runs() -> list[Run]:
    """Classify every random history twice and keep the outcome, including any exception."""
    out = []
    for seed in SEEDS:
        history = random_history(seed)
        hourly_before = None if history.hourly is None else history.hourly.copy()
        run = Run(seed, history, history.daily.copy(), hourly_before, None, None, None)
        connected_on = None
        if seed % 7 == 0:
            connected_on = history.first_day + timedelta(days=seed % 40)
        try:
            run.result = _run(history, connected_on=connected_on)
            run.again = _run(history, connected_on=connected_on)
        except Exception as exc:
            # test_random_histories_never_raise lists every exception by seed.
            run.error = f"{type(exc).__name__}: {exc}"
        out.append(run)
    return out


def _results(runs: list[Run]) -> list[tuple[int, Classification]]:
    return [(run.seed, run.result) for run in runs if run.result is not None]


def test_random_histories_never_raise(runs):
    errors = [(run.seed, run.error) for run in runs if run.error is not None]
    assert errors == []


def test_random_histories_known_code(runs):
    wrong = [(seed, result.code) for seed, result in _results(runs) if result.code not in CODES]
    assert wrong == []


def test_random_histories_same_result_twice(runs):
    differing = [run.seed for run in runs if run.result != run.again]
    assert differing == []


def test_random_histories_daily_unchanged(runs):
    changed = [
        run.seed for run in runs if not np.array_equal(run.daily_before, run.history.daily, equal_nan=True)
    ]
    assert changed == []


def test_random_histories_hourly_unchanged(runs):
    changed = [
        run.seed
        for run in runs
        if run.hourly_before is not None
        and not np.array_equal(run.hourly_before, run.history.hourly, equal_nan=True)
    ]
    assert changed == []


def test_random_histories_as_of_last_day(runs):
    wrong = [run.seed for run in runs if run.result is not None and run.result.as_of != run.history.as_of]
    assert wrong == []


def test_random_green_has_five_days_of_use(runs):
    wrong = [
        (seed, result.facts)
        for seed, result in _results(runs)
        if result.code == "GREEN" and result.facts["days_with_use_7"] < CONFIG.rules.green_min_use_days
    ]
    assert wrong == []


def test_random_red_has_no_use_and_enough_data(runs):
    wrong = [
        (seed, result.facts)
        for seed, result in _results(runs)
        if result.code == "RED"
        and not (result.facts["days_with_use_30"] == 0 and result.facts["days_with_data_30"] >= 20)
    ]
    assert wrong == []


def test_random_yellow_has_use_but_no_green_chance(runs):
    wrong = []
    for seed, result in _results(runs):
        facts = result.facts
        if result.code != "YELLOW":
            continue
        missing_7 = 7 - facts["days_with_data_7"]
        if facts["days_with_use_30"] < 1 or facts["days_with_use_7"] + missing_7 >= 5:
            wrong.append((seed, facts))
    assert wrong == []


def test_random_day_counts_consistent(runs):
    wrong = []
    for seed, result in _results(runs):
        facts = result.facts
        if "days_with_data_30" not in facts:
            continue
        if not 0 <= facts["days_with_use_7"] <= facts["days_with_data_7"] <= 7:
            wrong.append((seed, "7-day counts", facts))
        if not 0 <= facts["days_with_use_30"] <= facts["days_with_data_30"] <= 30:
            wrong.append((seed, "30-day counts", facts))
        if facts["days_with_data_7"] > facts["days_with_data_30"]:
            wrong.append((seed, "7 above 30", facts))
        if facts["days_with_data_30"] + facts["days_estimated_30"] > 30:
            wrong.append((seed, "estimated and data above 30", facts))
    assert wrong == []


def test_random_facts_are_counts_and_names(runs):
    wrong = [
        (seed, key, value)
        for seed, result in _results(runs)
        for key, value in result.facts.items()
        if type(value) not in (int, str)
    ]
    assert wrong == []


def test_random_facts_have_every_count(runs):
    wrong = [
        seed
        for seed, result in _results(runs)
        if result.reason not in ("new_connection",) and not all(key in result.facts for key in FACT_KEYS)
    ]
    assert wrong == []


def test_random_tags_only_for_green_and_yellow(runs):
    wrong = [
        (seed, result.code, result.tags)
        for seed, result in _results(runs)
        if result.tags and result.code not in ("GREEN", "YELLOW")
    ]
    assert wrong == []


def test_random_home_hours_inside_visiting_hours(runs):
    wrong = []
    for seed, result in _results(runs):
        for tag in result.tags:
            if not tag.startswith("home_hours_"):
                continue
            match = HOME_HOURS.match(tag)
            if match is None:
                wrong.append((seed, tag))
                continue
            start, end = int(match.group(2)), int(match.group(3))
            if not (8 <= start and end <= 22 and end - start == 4):
                wrong.append((seed, tag))
    assert wrong == []


def test_random_home_hours_only_with_hourly_data(runs):
    wrong = [
        (run.seed, run.result.tags)
        for run in runs
        if run.result is not None
        and run.history.hourly is None
        and any(tag.startswith("home_hours_") for tag in run.result.tags)
    ]
    assert wrong == []


def test_random_histories_cover_every_code(runs):
    seen = {result.code for _, result in _results(runs)}
    assert seen == set(CODES)


def _padded(history: MeterHistory, days: int) -> MeterHistory:
    """Return the history with `days` missing days put before its first day."""
    daily = np.concatenate([np.full(days, np.nan), history.daily])
    hourly = None
    if history.hourly is not None:
        hourly = np.concatenate([np.full((days, 24), np.nan), history.hourly])
    return MeterHistory(history.utility, history.first_day - timedelta(days=days), daily, hourly)


def test_random_leading_missing_days_change_nothing():
    differing = []
    for seed in range(600):
        history = random_history(seed)
        if history.daily.size >= DAYS or history.first_day.year < 2005:
            continue
        padded = _padded(history, DAYS - history.daily.size)
        if _run(padded) != _run(history):
            differing.append(seed)
    assert differing == []


def test_random_connection_same_as_missing_days():
    differing = []
    for seed in range(600):
        history = random_history(seed)
        n = history.daily.size
        if n <= 5:
            continue
        cut = seed % (n - 1) + 1
        connected_on = history.first_day + timedelta(days=cut)
        if (history.as_of - connected_on).days + 1 < 30:
            continue
        daily = history.daily.copy()
        daily[:cut] = np.nan
        hourly = None
        if history.hourly is not None:
            hourly = history.hourly.copy()
            hourly[:cut] = np.nan
        blanked = MeterHistory(history.utility, history.first_day, daily, hourly)
        if _run(history, connected_on=connected_on) != _run(blanked):
            differing.append(seed)
    assert differing == []


# --------------------------------------------------------------- gap shapes


def test_all_hours_missing_finite_daily_judged_by_totals():
    rng = np.random.default_rng(11)
    daily = rng.uniform(3.0, 8.0, DAYS)
    hourly = np.full((DAYS, 24), np.nan)
    result = _run(_history("electricity", daily, hourly))
    assert result.code == "GREEN"
    assert result.facts["rule"] == "above_baseload"
    assert not any(tag.startswith("home_hours_") for tag in result.tags)


def test_finite_hours_missing_daily_judged_by_hours():
    hourly = occupied_hours(DAYS, 12)
    daily = np.full(DAYS, np.nan)
    result = _run(_history("electricity", daily, hourly))
    assert result.code == "GREEN"
    assert result.facts["rule"] == "hourly_activity"


def test_missing_clock_hours_no_home_hours():
    hourly = occupied_hours(DAYS, 13)
    hourly[:, 8:22:3] = np.nan
    result = _run(_from_hours("electricity", hourly))
    windows = [tag for tag in result.tags if tag.startswith("home_hours_")]
    assert result.code == "GREEN"
    assert windows == []


def test_every_value_missing_no_data():
    result = _run(_history("water", np.full(DAYS, np.nan), np.full((DAYS, 24), np.nan)))
    assert result.code == "UNKNOWN"
    assert result.reason == "no_data"


def test_single_day_history_unknown():
    result = _run(_history("gas", np.array([5.0]), np.full((1, 24), 0.2)))
    assert result.code == "UNKNOWN"
    assert result.facts["days_with_data_30"] == 1


def test_long_history_same_as_last_56_days():
    hourly = occupied_hours(80, 14)
    hourly[:30] = 0.001
    long = _from_hours("electricity", hourly)
    short = _from_hours("electricity", hourly[-DAYS:])
    assert _run(long) == _run(short)


# ---------------------------------------------------------- threshold values


@pytest.mark.parametrize("utility", UTILITIES)
def test_day_just_under_off_floor_no_use(utility):
    th = CONFIG.for_utility(utility)
    rng = np.random.default_rng(15)
    daily = th.off_floor * rng.uniform(0.5, 0.999, 40)
    result = _run(_history(utility, daily))
    assert result.code == "RED"
    assert result.facts["rule"] == "supply_off"


@pytest.mark.parametrize("utility", UTILITIES)
def test_same_total_every_day_estimated(utility):
    th = CONFIG.for_utility(utility)
    result = _run(_history(utility, np.full(40, th.off_floor)))
    assert result.code == "UNKNOWN"
    assert result.reason == "estimated_readings"


@pytest.mark.parametrize("utility", UTILITIES)
def test_same_flow_every_hour_not_estimated(utility):
    th = CONFIG.for_utility(utility)
    hourly = np.full((40, 24), th.flat_ceiling / 24)
    result = _run(_from_hours(utility, hourly))
    assert result.reason != "estimated_readings"
    assert result.code != "GREEN"


@pytest.mark.parametrize("utility", UTILITIES)
def test_tiny_values_no_use(utility):
    result = _run(_from_hours(utility, np.full((40, 24), 1e-9)))
    assert result.code == "RED"
    assert result.facts["rule"] == "supply_off"


def test_huge_values_keep_shape():
    hourly = occupied_hours(DAYS, 16) * 1e6
    result = _run(_from_hours("electricity", hourly))
    assert result.code == "GREEN"
    assert result.facts["days_with_use_7"] == 7


@pytest.mark.parametrize("utility", UTILITIES)
def test_zero_hours_every_day_red(utility):
    result = _run(_from_hours(utility, np.zeros((40, 24))))
    assert result.code == "RED"
    assert result.reason == "no_use_30_days"


# ------------------------------------------------------------- array layouts


def _layouts(daily: np.ndarray, hourly: np.ndarray) -> dict[str, tuple]:
    frozen_daily, frozen_hourly = daily.copy(), hourly.copy()
    frozen_daily.flags.writeable = False
    frozen_hourly.flags.writeable = False
    strided = np.repeat(daily, 2)[::2]
    return {
        "float32": (daily.astype(np.float32), hourly.astype(np.float32)),
        "lists": (daily.tolist(), hourly.tolist()),
        "fortran order": (daily, np.asfortranarray(hourly)),
        "strided daily": (strided, hourly),
        "read-only": (frozen_daily, frozen_hourly),
    }


@pytest.mark.parametrize("layout", ["float32", "lists", "fortran order", "strided daily", "read-only"])
def test_array_layout_same_result(layout):
    hourly = occupied_hours(DAYS, 17)
    hourly[-20:, :] *= 0.01
    reference = _from_hours("electricity", hourly)
    daily, hours = _layouts(reference.daily, hourly)[layout]
    other = MeterHistory("electricity", reference.first_day, daily, hours)
    expected = _run(reference)
    actual = _run(other)
    if layout == "float32":
        assert actual.code == expected.code
    else:
        assert actual == expected


def test_integer_daily_accepted():
    daily = np.arange(1, 41, dtype=np.int64) % 7 + 3
    result = _run(_history("water", daily))
    assert result.code in CODES


# ------------------------------------------------- negative and infinite values


def _negative_daily() -> MeterHistory:
    rng = np.random.default_rng(18)
    return _history("electricity", -rng.uniform(3.0, 8.0, DAYS))


def _negative_hour() -> MeterHistory:
    hourly = occupied_hours(DAYS, 19)
    hourly[-3:, 19] = -5.0
    return _from_hours("electricity", hourly)


def _infinite_daily() -> MeterHistory:
    daily = np.full(20, np.nan)
    daily[-7:] = [np.inf, np.inf, np.inf, np.nan, np.inf, np.inf, np.inf]
    return _history("electricity", daily)


def _minus_infinite_hour() -> MeterHistory:
    hourly = occupied_hours(DAYS, 20)
    hourly[-3:, 19] = -np.inf
    return _history("electricity", np.full(DAYS, np.nan), hourly)


BAD_VALUES = {
    "negative daily": _negative_daily,
    "negative hour": _negative_hour,
    "infinite daily": _infinite_daily,
    "minus infinite hour": _minus_infinite_hour,
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("case", list(BAD_VALUES))
def test_invalid_reading_rejected(case):
    with pytest.raises(ValueError, match=r"negative|infinite|finite"):
        _run(BAD_VALUES[case]())


@pytest.mark.parametrize("case", list(BAD_VALUES))
def test_invalid_reading_no_numpy_error(case):
    # Whatever the outcome, it must not be an error from deep inside numpy.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            result = _run(BAD_VALUES[case]())
        except ValueError:
            return
    assert result.code in CODES


def test_infinite_days_not_green():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            result = _run(_infinite_daily())
        except ValueError:
            return
    assert result.code != "GREEN"


# -------------------------------------------------------------- calendar ends


def test_first_covered_day_empty_home_red():
    result = _run(_history("electricity", np.zeros(DAYS), as_of=date(2004, 1, 1)))
    assert result.code == "RED"
    assert result.as_of == date(2004, 1, 1)


def test_first_covered_day_occupied_home_green():
    result = _run(_from_hours("electricity", occupied_hours(DAYS, 21), as_of=date(2004, 1, 1)))
    assert result.code == "GREEN"


def test_first_covered_day_short_history_green():
    result = _run(_from_hours("electricity", occupied_hours(7, 22), as_of=date(2004, 1, 7)))
    assert result.code == "GREEN"
    assert "workday_use" in result.tags


def test_last_covered_day_green_with_tags():
    result = _run(_from_hours("electricity", occupied_hours(DAYS, 23), as_of=date(2026, 12, 31)))
    assert result.code == "GREEN"
    assert "workday_use" in result.tags
    assert "rest_day_use" in result.tags


def test_day_after_last_covered_raises():
    history = _from_hours("electricity", occupied_hours(DAYS, 24), as_of=date(2027, 1, 1))
    with pytest.raises(CalendarNotCoveredError, match="2027"):
        _run(history)


def test_history_spanning_new_year_green():
    result = _run(_from_hours("electricity", occupied_hours(DAYS, 25), as_of=date(2026, 1, 20)))
    assert result.code == "GREEN"
    assert result.as_of == date(2026, 1, 20)


def test_earliest_project_year_green():
    result = _run(_from_hours("water", 10 * occupied_hours(DAYS, 26), as_of=date(2012, 1, 1)))
    assert result.code == "GREEN"


@pytest.fixture
def entered_2027(enter_calendar_years):
    enter_calendar_years('[2027]\nholidays = ["2027-01-01"]\nworking_days = []\n')


def test_entered_year_classified(entered_2027):
    history = _from_hours("electricity", occupied_hours(DAYS, 27), as_of=date(2027, 1, 20))
    assert _run(history).code == "GREEN"


# ------------------------------------------------------- connection and status


def test_connection_on_first_day_same_as_none():
    history = _from_hours("electricity", occupied_hours(DAYS, 28))
    assert _run(history, connected_on=history.first_day) == _run(history)


def test_connection_on_red_window_start_classified():
    history = _from_hours("electricity", occupied_hours(DAYS, 29))
    result = _run(history, connected_on=AS_OF - timedelta(days=29))
    assert result.code == "GREEN"
    assert result.facts["days_with_data_30"] == 30


def test_connection_day_after_red_window_start_new():
    history = _from_hours("electricity", occupied_hours(DAYS, 30))
    result = _run(history, connected_on=AS_OF - timedelta(days=28))
    assert result.reason == "new_connection"
    assert result.facts["days_connected"] == 29


def test_connection_after_as_of_zero_days():
    history = _from_hours("electricity", occupied_hours(DAYS, 31))
    result = _run(history, connected_on=AS_OF + timedelta(days=400))
    assert result.reason == "new_connection"
    assert result.facts["days_connected"] == 0


def test_removed_meter_with_hostile_readings_rejected():
    # Readings are checked before the registry status is looked at.
    with pytest.raises(ValueError, match="negative or infinite"):
        _history("gas", np.full(DAYS, np.inf), np.full((DAYS, 24), -1.0))


def test_unknown_status_rejected():
    history = _from_hours("electricity", occupied_hours(10, 32))
    with pytest.raises(ValueError, match="unknown meter status"):
        _run(history, status="In_Service")


# ------------------------------------------------------ estimates and tags


def test_copied_day_drops_only_copy():
    hourly = occupied_hours(DAYS, 1)
    hourly[-3] = np.nan
    hourly[-1] = hourly[-2]
    result = _run(_from_hours("electricity", hourly))
    assert result.facts["days_estimated_30"] == 1
    assert result.code == "GREEN"


def _gap_mornings() -> MeterHistory:
    """An evening home whose mornings 08-12 are missing on two days in three.

    Every day draws at 18-22. The days with observed mornings draw at 07 and
    stay quiet from 08 to 17. The other days have no draw before 12, and their
    08-11 hours are missing.
    """
    rng = np.random.default_rng(5)
    hourly = 0.05 + 0.005 * rng.random((DAYS, 24))
    hourly[:, 18:23] += rng.uniform(0.3, 0.9, (DAYS, 5))
    seen = np.arange(DAYS) % 3 == 0
    hourly[seen, 7] += rng.uniform(0.3, 0.9, int(seen.sum()))
    hourly[~seen, 12] += rng.uniform(0.3, 0.9, int((~seen).sum()))
    hourly[np.ix_(~seen, [8, 9, 10, 11])] = np.nan
    return _history("electricity", np.full(DAYS, np.nan), hourly)


def test_unobserved_mornings_not_home_hours():
    result = _run(_gap_mornings())
    assert result.code == "GREEN"
    assert "home_hours_workday:08-12" not in result.tags
    assert "home_hours_rest_day:08-12" not in result.tags


def test_steady_month_then_supply_off_red():
    rng = np.random.default_rng(2)
    level = 3.0 * (1 + 0.005 * rng.standard_normal(29))
    daily = np.concatenate([level, np.zeros(27)])
    result = _run(_history("electricity", daily))
    assert result.code == "RED"


def _regular_household() -> np.ndarray:
    """The same profile every day within 2%: 0.05 kWh at night, breakfast at 07, lights 18-22."""
    rng = np.random.default_rng(3)
    profile = np.full(24, 0.05)
    profile[18:23] = 0.4
    profile[7] = 0.3
    return profile * (1 + 0.02 * rng.standard_normal((DAYS, 24)))


def test_regular_household_daily_totals_steady_load():
    hourly = _regular_household()
    result = _run(_history("electricity", hourly.sum(axis=1)))
    assert result.code == "UNKNOWN"
    assert result.reason == "steady_load"


def test_regular_household_hourly_not_red():
    result = _run(_from_hours("electricity", _regular_household()))
    assert result.code != "RED"


# ------------------------------------------------------ odd thresholds files


def _thresholds(**values: str) -> str:
    """Return the packaged thresholds text with `section__name="value"` entries replaced."""
    text = resources.files("census.domain.occupancy").joinpath("thresholds.toml").read_text(encoding="utf-8")
    for key, value in values.items():
        section, name = key.split("__")
        pattern = re.compile(rf"(\[{section}\.{name}\]\nvalue = )[^\n]+")
        assert pattern.search(text), key
        text = pattern.sub(lambda match, value=value: match.group(1) + value, text)
    return text


def _accepted_config_classifies(text: str, history: MeterHistory) -> None:
    """A thresholds file that parse_config() accepts must not make classify() raise."""
    try:
        config = parse_config(text)
    except ConfigError:
        return
    assert classify(history, config=config).code in CODES


def test_zero_off_floor_config_rejected():
    text = _thresholds(electricity__off_floor="0")
    with pytest.raises(ConfigError, match="need off_floor > 0"):
        parse_config(text)


def test_zero_clock_floor_days_config_rejected():
    text = _thresholds(electricity__clock_floor_min_days="0")
    with pytest.raises(ConfigError, match="need clock_floor_min_days >= 1"):
        parse_config(text)


def test_zero_tag_window_config_rejected():
    text = _thresholds(tags__tag_window_days="0")
    with pytest.raises(ConfigError, match="need 1 <= tag_window_days"):
        parse_config(text)


def test_connection_datetime_rejected():
    history = _from_hours("electricity", occupied_hours(DAYS, 35))
    with pytest.raises(ValueError, match="connected_on must be a date"):
        _run(history, connected_on=datetime(2026, 9, 1, 8, 0))


def test_config_file_loaded_from_path_classifies(tmp_path: Path):
    path = tmp_path / "thresholds.toml"
    path.write_text(_thresholds(tags__home_hours_length="14"), encoding="utf-8")
    config = load_config(str(path))
    result = classify(_from_hours("electricity", occupied_hours(DAYS, 34)), config=config)
    windows = [tag for tag in result.tags if tag.startswith("home_hours_")]
    assert result.code == "GREEN"
    assert all(tag.endswith(":08-22") for tag in windows)


# ------------------------------------------------------------------ combine


def _meter_results() -> dict[str, Classification]:
    occupied = _from_hours("electricity", occupied_hours(DAYS, 35))
    empty_water = _from_hours("water", np.zeros((DAYS, 24)))
    unknown_gas = _history("gas", np.full(DAYS, np.nan))
    yellow = np.zeros((DAYS, 24))
    yellow[-10] = occupied_day(np.random.default_rng(36))
    yellow[-12] = occupied_day(np.random.default_rng(37))
    return {
        "green electricity": _run(occupied),
        "red water": _run(empty_water),
        "unknown gas": _run(unknown_gas),
        "yellow electricity": _run(_from_hours("electricity", yellow)),
        "removed gas": _run(unknown_gas, status="removed"),
    }


def test_combine_inputs_as_expected():
    codes = {name: result.code for name, result in _meter_results().items()}
    assert codes == {
        "green electricity": "GREEN",
        "red water": "RED",
        "unknown gas": "UNKNOWN",
        "yellow electricity": "YELLOW",
        "removed gas": "UNKNOWN",
    }


def test_combine_three_utilities_green_wins():
    results = _meter_results()
    pairs = [
        ("water", results["red water"]),
        ("gas", results["unknown gas"]),
        ("electricity", results["green electricity"]),
    ]
    combined = combine(pairs)
    assert combined.code == "GREEN"
    assert combined.facts["decided_by"] == "electricity"
    assert combined.tags == results["green electricity"].tags
    assert combined.facts["meters"] == 3


def test_combine_red_beats_unknown_without_use():
    results = _meter_results()
    combined = combine(
        [("gas", results["unknown gas"]), ("water", results["red water"]), ("gas", results["removed gas"])]
    )
    assert combined.code == "RED"
    assert combined.facts["decided_by"] == "water"


def test_combine_empty_rejected():
    with pytest.raises(ValueError, match="at least one"):
        combine([])


def test_combine_random_orders_invariants():
    results = list(_meter_results().items())
    rng = np.random.default_rng(38)
    for _ in range(200):
        count = int(rng.integers(1, 7))
        picked = [results[int(i)] for i in rng.integers(0, len(results), count)]
        pairs = [(name.split()[1], result) for name, result in picked]
        combined = combine(pairs)
        codes = [result.code for _, result in pairs]
        assert combined.code in codes
        assert combined.facts["meters"] == count
        assert sum(combined.facts[f"meters_{code.lower()}"] for code in CODES) == count
        if "GREEN" in codes:
            assert combined.code == "GREEN"
        if "GREEN" not in codes and "YELLOW" in codes:
            assert combined.code == "YELLOW"
        # None of these meters is UNKNOWN with use seen, so RED beats every UNKNOWN.
        if codes.count("RED") and not {"GREEN", "YELLOW"} & set(codes):
            assert combined.code == "RED"
        assert combine(pairs) == combined


def test_combine_single_meter_keeps_code_reason_tags():
    results = _meter_results()
    green = results["green electricity"]
    combined = combine([("electricity", green)])
    assert combined.code == green.code
    assert combined.reason == green.reason
    assert combined.tags == green.tags
    assert combined.as_of == green.as_of
