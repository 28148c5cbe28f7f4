"""The daily decision: was this home used on this day?

Each day gets one of three states (used, no use, missing) and the name of the
rule that decided it. A day whose total is under `off_floor` is no use,
whatever its hours. Otherwise two kinds of evidence are combined:

- Hourly data, for days with at least `partial_day_min_hours` hours. The
  reference level of a day is the lower of its night-time minimum (mean of
  its `quiet_hours` lowest hours) and the home's learnt baseload (a low
  quantile of those minimums over the history). An hour is active when it
  exceeds the reference by `active_ratio` times the reference plus
  `active_margin`, and clears a timer load at its clock hour (a level the
  hour reaches on nine days in ten and barely leaves) by as much. Active
  hours of the size of an appliance cycle (learnt from isolated hours of one
  size at many hours of the clock) do not count. A day with at least
  `min_active_hours` remaining active hours is a day of use, and a full day
  with fewer is no use. A fridge, a router or a leak draws about the same
  every hour and gives no active hour.
- Daily totals, for the days that their hours do not decide (no hourly data,
  or 12-19 hours without use). The history is searched for plateaus: runs of
  at least `plateau_min_days` days within +-`plateau_tolerance` of each
  other. A plateau that changes little from day to day
  (`flat_fluctuation_max`) is standby when the home's other days use
  `contrast_ratio` times as much. Without such contrast it is standby when it
  lasts `flat_min_days` at no more than the standby reference plus a fridge
  and changes even less (`no_contrast_fluctuation_max`). A plateau that
  lasts `steady_min_days` with almost no change at all
  (`steady_fluctuation_max`) is no use too, under its own rule name
  `steady_load`: the classifier gives UNKNOWN, not RED, for a month of it.
  Once a standby level with contrast has held for `flat_min_days`, a lone
  day close to it is no use too.

Estimated readings (a run of identical day totals, or a day whose 24 hours
repeat the previous day's exactly) are treated as missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from census.domain.occupancy.config import Rules, UtilityThresholds

USED = 1
NO_USE = 0
MISSING = -1

# Rule names, also reported in Classification.facts.
HOURLY_ACTIVITY = "hourly_activity"
ABOVE_BASELOAD = "above_baseload"
SUPPLY_OFF = "supply_off"
STANDBY_LEVEL = "standby_level"
STEADY_LOAD = "steady_load"
NO_HUMAN_PATTERN = "no_human_pattern"
ESTIMATED = "estimated"
NOT_CONNECTED = "not_connected"
NO_DATA = "no_data"


@dataclass(frozen=True)
class DayJudgement:
    """Per-day outcome over the history: `state` is USED, NO_USE or MISSING."""

    state: np.ndarray
    rule: tuple[str, ...]
    # Hours (n, 24) that show presence, and the observed hours of the days with
    # enough hours to judge; both None for a daily-only meter.
    presence: np.ndarray | None
    observed: np.ndarray | None


def _estimated_days(
    daily: np.ndarray, hourly: np.ndarray | None, rules: Rules, off_floor: float
) -> np.ndarray:
    n = daily.size
    estimated = np.zeros(n, dtype=bool)
    constant_flow = np.zeros(n, dtype=bool)
    if hourly is not None:
        present = np.isfinite(hourly)
        counts = present.sum(axis=1)
        with np.errstate(invalid="ignore"):
            spread = np.nanmax(np.where(present, hourly, -np.inf), axis=1) - np.nanmin(
                np.where(present, hourly, np.inf), axis=1
            )
        full = counts >= rules.full_day_min_hours
        # A flow that is the same every hour (a leak, a pilot flame) repeats
        # exactly without being an estimate.
        constant_flow = full & (spread == 0)
        same_as_previous = np.all((hourly[1:] == hourly[:-1]) | ~(present[1:] | present[:-1]), axis=1)
        # The later day is the copy; the day it repeats was read.
        copied = same_as_previous & full[1:] & full[:-1] & ~constant_flow[1:]
        estimated[1:] |= copied

    values = daily.tolist()
    run_start = 0
    for i in range(1, n + 1):
        same = i < n and values[i] == values[i - 1] and values[i] >= off_floor and not constant_flow[i]
        if same:
            continue
        if i - run_start >= rules.estimated_run_days and values[run_start] >= off_floor:
            if not constant_flow[run_start]:
                estimated[run_start:i] = True
        run_start = i
    return estimated


def _plateaus(values: list[float], usable: list[bool], th: UtilityThresholds) -> list[tuple[int, int]]:
    """Find maximal runs of usable days whose values stay within the plateau tolerance."""
    found = []
    n = len(values)
    i = 0
    while i < n:
        if not usable[i]:
            i += 1
            continue
        low = high = values[i]
        j = i
        while j + 1 < n and usable[j + 1]:
            x = values[j + 1]
            new_low, new_high = min(low, x), max(high, x)
            if new_high > new_low * (1 + 2 * th.plateau_tolerance) + th.plateau_slack:
                break
            low, high = new_low, new_high
            j += 1
        if j - i + 1 >= th.plateau_min_days:
            found.append((i, j))
            i = j + 1
        else:
            i += 1
    return found


def standby_days(totals: np.ndarray, th: UtilityThresholds) -> tuple[np.ndarray, np.ndarray]:
    """Mark the days whose daily total sits at the home's standby level.

    Returns the standby days, and among them the days that only the steady
    rule marked. Such a long flat level has nothing to compare it with, and
    both an empty home with an appliance left on and a very regular
    household can give it.
    """
    n = totals.size
    standby = np.zeros(n, dtype=bool)
    steady_only = np.zeros(n, dtype=bool)
    usable_mask = np.isfinite(totals) & (totals >= th.off_floor)
    if usable_mask.sum() < th.plateau_min_days:
        return standby, steady_only
    values = totals.tolist()
    usable = usable_mask.tolist()
    levels = []

    for start, end in _plateaus(values, usable, th):
        run = totals[start : end + 1]
        level = float(np.median(run))
        # Day-to-day fluctuation: the median change from one day to the next,
        # relative to the level. A slow drift or one odd day barely moves it.
        fluctuation = float(np.median(np.abs(np.diff(run)))) / level
        if fluctuation > th.flat_fluctuation_max:
            continue

        # Contrast: the home's days clearly above this level use far more.
        above = totals[usable_mask & (totals > level * (1 + th.band_ratio) + th.plateau_slack)]
        contrast = above.size >= th.plateau_min_days and float(np.median(above)) >= level * th.contrast_ratio
        # Without contrast the plateau may be the home's ordinary level, so
        # the evidence must be stronger: a week at fridge-and-standby level
        # that is flatter still, or a month at any level with almost no change.
        days = end - start + 1
        low_and_long = (
            level <= th.flat_ceiling
            and days >= th.flat_min_days
            and fluctuation <= th.no_contrast_fluctuation_max
        )
        steady = days >= th.steady_min_days and fluctuation <= th.steady_fluctuation_max
        if not (contrast or low_and_long or steady):
            continue

        standby[start : end + 1] = True
        if not (contrast or low_and_long):
            steady_only[start : end + 1] = True
        if contrast and days >= th.flat_min_days:
            levels.append(level)
    # A level held for a week, clearly below the home's days of use, is a
    # known standby level: a lone day close to it, such as one day away, is no
    # use too. Shorter plateaus, and plateaus without contrast, set no level,
    # so that they cannot mark the quiet days of an occupied home.
    if levels:
        band_top = min(levels) * (1 + th.band_ratio) + th.plateau_slack
        band = usable_mask & (totals <= band_top)
        standby |= band
        steady_only &= ~band
    return standby, steady_only


def _appliance_cycles(excess: np.ndarray, active: np.ndarray, th: UtilityThresholds) -> np.ndarray:
    """Mark active hours that belong to a thermostat-driven appliance rather than to people.

    A water heater, a freezer defrost or a pump switches on by itself for about
    an hour, adds about the same energy each time, and does so at any hour of
    the clock. Isolated active hours (both neighbours inactive) are grouped by
    size, within `cycle_tolerance` of each other. The largest group is such a
    cycle when it has at least `cycle_min_share` hours per day of history and
    covers `cycle_min_clock_hours` or more different hours of the day. Every
    active hour of that size then counts as the appliance. A kettle boiled every
    morning at seven keeps to its hour, so it stays a sign of people.
    """
    cycles = np.zeros_like(active)
    if th.cycle_tolerance <= 0:
        return cycles
    neighbours = np.zeros_like(active)
    neighbours[:, 1:] |= active[:, :-1]
    neighbours[:, :-1] |= active[:, 1:]
    isolated = active & ~neighbours
    sizes = np.sort(excess[isolated])
    needed = th.cycle_min_share * active.shape[0]
    if sizes.size == 0 or sizes.size < needed:
        return cycles
    low = np.searchsorted(sizes, sizes / (1 + th.cycle_tolerance), side="left")
    high = np.searchsorted(sizes, sizes * (1 + th.cycle_tolerance), side="right")
    best = int(np.argmax(high - low))
    if high[best] - low[best] < needed:
        return cycles
    centre = float(np.median(sizes[low[best] : high[best]]))
    with np.errstate(invalid="ignore"):
        of_cycle_size = active & (np.abs(excess - centre) <= th.cycle_tolerance * centre)
    if np.count_nonzero((of_cycle_size & isolated).any(axis=0)) < th.cycle_min_clock_hours:
        return cycles
    # Once the size is known, an hour of that size next to another active
    # hour (a defrost beside a reheat) is a cycle too.
    return of_cycle_size


def _clock_floor(full_days: np.ndarray, th: UtilityThresholds) -> np.ndarray | None:
    """Return, per clock hour, the draw of a timer load at that hour (0 where there is none).

    A load on a timer (a light switched on every evening, a pump every night)
    draws the same at the same clock hour day after day. Such an hour has a
    floor, the low quantile `clock_floor_quantile` of its values over the full
    days of the history, and its median lies within `clock_floor_spread` of
    that floor. People keep to their hours but not to the watt: a kettle or a
    cooker every evening varies more than that from day to day, so its hour
    gets no floor. Returns None when the history has too few full days.
    """
    if th.clock_floor_quantile <= 0 or full_days.shape[0] < th.clock_floor_min_days:
        return None
    # np.nanquantile loops over the columns in Python; sorting once with NaN
    # last and interpolating gives the same values several times faster.
    ordered = np.sort(full_days, axis=0)
    counts = np.count_nonzero(np.isfinite(full_days), axis=0)
    columns = np.arange(full_days.shape[1])

    def quantile(q: float) -> np.ndarray:
        position = q * np.maximum(counts - 1, 0)
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, np.maximum(counts - 1, 0))
        weight = position - low
        return ordered[low, columns] * (1 - weight) + ordered[high, columns] * weight

    floor = quantile(th.clock_floor_quantile)
    steady = (counts >= th.clock_floor_min_days) & (quantile(0.5) <= floor * (1 + th.clock_floor_spread))
    return np.where(steady, floor, 0.0)


def _hourly_activity(
    hours: np.ndarray, counts: np.ndarray, rules: Rules, th: UtilityThresholds
) -> tuple[np.ndarray, np.ndarray]:
    """Return, for days with enough hours, whether each shows use, and its presence hours."""
    # NaN sorts last, so the first `quiet_hours` entries of a judged day are real hours.
    quiet = np.sort(hours, axis=1)[:, : th.quiet_hours].mean(axis=1)
    full = counts >= rules.full_day_min_hours
    baseload = float(np.quantile(quiet[full] if full.any() else quiet, th.baseload_quantile))
    reference = np.minimum(quiet, baseload)[:, None]
    threshold = reference * (1 + th.active_ratio) + th.active_margin
    # Presence is measured against the day's own quiet level, so that a home
    # with a high daytime draw still shows when its people are busy.
    presence_threshold = quiet[:, None] * (1 + th.presence_ratio) + th.presence_margin
    floor = _clock_floor(hours[full], th)
    base = reference
    if floor is not None:
        # An appliance cycle adds the same on top of a timer load that is
        # active by itself (a lamp), so its size is measured from the timer's
        # level there. Below that level, such as a fridge's alternating hours,
        # sizes stay measured from the reference.
        base = np.where(floor[None, :] > threshold, floor[None, :], reference)
        # An hour must clear its clock hour's timer draw by as much as it
        # must clear the quiet level: a timer adds nothing, a draw on top does.
        threshold = threshold + np.maximum(floor[None, :] - reference, 0.0)
        presence_threshold = presence_threshold + np.maximum(floor[None, :] - quiet[:, None], 0.0)
    with np.errstate(invalid="ignore"):
        active = hours > threshold
        present = hours > presence_threshold
    human = active & ~_appliance_cycles(hours - base, active, th)
    present &= ~(active & ~human)
    # Someone active before and after a short quiet spell was probably home
    # through it: bridge gaps of up to `presence_gap_hours` hours.
    before = np.zeros_like(present)
    after = np.zeros_like(present)
    for shift in range(1, th.presence_gap_hours + 1):
        before[:, shift:] |= present[:, :-shift]
        after[:, :-shift] |= present[:, shift:]
    return human.sum(axis=1) >= th.min_active_hours, present | (before & after)


def judge_days(
    daily: np.ndarray,
    hourly: np.ndarray | None,
    *,
    first_connected_index: int,
    rules: Rules,
    th: UtilityThresholds,
) -> DayJudgement:
    """Decide, for every day of the history, whether the home was used."""
    n = daily.size
    daily = daily.copy()
    if hourly is not None:
        hourly = hourly.copy()
    if first_connected_index > 0:
        daily[:first_connected_index] = np.nan
        if hourly is not None:
            hourly[:first_connected_index] = np.nan

    estimated = _estimated_days(daily, hourly, rules, th.off_floor)
    daily[estimated] = np.nan
    totals = daily
    hourly_used = np.zeros(n, dtype=bool)
    counts = np.zeros(n, dtype=np.int64)
    presence = None
    observed = None
    if hourly is not None:
        hourly[estimated] = np.nan
        observed = np.isfinite(hourly)
        counts = observed.sum(axis=1)
        complete = counts == 24
        totals = np.where(np.isfinite(daily) | ~complete, daily, np.nansum(hourly, axis=1))
        judged = counts >= rules.partial_day_min_hours
        if judged.any():
            used_hours, present_hours = _hourly_activity(hourly[judged], counts[judged], rules, th)
            hourly_used[judged] = used_hours
            presence = np.zeros((n, 24), dtype=bool)
            presence[judged] = present_hours
        observed[~judged] = False

    standby, steady_only = standby_days(totals, th)
    state = np.full(n, MISSING, dtype=np.int8)
    rule = []
    total_list = totals.tolist()
    for i in range(n):
        total = total_list[i]
        has_total = total == total  # False for NaN
        if i < first_connected_index:
            rule.append(NOT_CONNECTED)
        elif estimated[i]:
            rule.append(ESTIMATED)
        elif has_total and total < th.off_floor:
            state[i] = NO_USE
            rule.append(SUPPLY_OFF)
        elif hourly_used[i]:
            state[i] = USED
            rule.append(HOURLY_ACTIVITY)
        elif counts[i] >= rules.full_day_min_hours and has_total and steady_only[i]:
            # No active hour, and a day total held steady for weeks: the hours
            # repeat like a timer's, which a very regular household's could too.
            state[i] = NO_USE
            rule.append(STEADY_LOAD)
        elif counts[i] >= rules.full_day_min_hours:
            state[i] = NO_USE
            rule.append(NO_HUMAN_PATTERN)
        elif has_total and steady_only[i]:
            state[i] = NO_USE
            rule.append(STEADY_LOAD)
        elif has_total and standby[i]:
            state[i] = NO_USE
            rule.append(STANDBY_LEVEL)
        elif has_total:
            state[i] = USED
            rule.append(ABOVE_BASELOAD)
        else:
            rule.append(NO_DATA)
    return DayJudgement(state=state, rule=tuple(rule), presence=presence, observed=observed)
