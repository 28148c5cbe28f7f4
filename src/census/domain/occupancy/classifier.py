"""The occupancy code of one meter: GREEN, YELLOW, RED or UNKNOWN.

Decision, in this order (defaults from thresholds.toml):

1. A removed meter or a terminated supply is UNKNOWN (`meter_removed`,
   `supply_terminated`); a connection date inside the last 30 days is UNKNOWN
   (`new_connection`).
2. Each day is judged used, not used or missing (see daily_use.py).
3. GREEN (`recent_use`): use on at least 5 of the last 7 days.
4. YELLOW (`intermittent_use`): use on at least one of the last 30 days, and
   the last 7 days rule GREEN out even if every missing one had been a day of
   use.
5. UNKNOWN (`steady_load`): no use on any of the last 30 days, with data on
   at least 20 of them, but fewer than 20 once the days are left out that
   are no use only because the level has held steady for weeks with no day
   of use to compare it with.
6. RED (`no_use_30_days`): no use on any of the last 30 days, with data on at
   least 20 of them.
7. Otherwise UNKNOWN: `estimated_readings` when estimated days were dropped
   in the last 30 days, `recent_days_missing` when use was seen but gaps in
   the last 7 days leave GREEN open, `no_data` when no day has data, and
   `too_few_days` otherwise.

The result is a pure function of the history, the registry fields and the
configuration.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import numpy as np

from census.domain.occupancy import daily_use
from census.domain.occupancy.calendar import check_covered
from census.domain.occupancy.config import OccupancyConfig
from census.domain.occupancy.daily_use import MISSING, NO_USE, USED, judge_days
from census.domain.occupancy.model import STATUSES, Classification, MeterHistory
from census.domain.occupancy.tags import day_kinds, home_hours_tags, usage_tags

GREEN, YELLOW, RED, UNKNOWN = "GREEN", "YELLOW", "RED", "UNKNOWN"

# When two day rules decided equally many days, the earlier name is reported.
_RULE_PRIORITY = (
    daily_use.HOURLY_ACTIVITY,
    daily_use.ABOVE_BASELOAD,
    daily_use.NO_HUMAN_PATTERN,
    daily_use.STANDBY_LEVEL,
    daily_use.STEADY_LOAD,
    daily_use.SUPPLY_OFF,
)


def _deciding_rule(rules: tuple[str, ...], state: np.ndarray, target_state: int) -> str:
    counts = Counter(rule for rule, value in zip(rules, state.tolist(), strict=True) if value == target_state)
    return max(_RULE_PRIORITY, key=lambda name: (counts[name], -_RULE_PRIORITY.index(name)))


def _trim(history: MeterHistory, max_days: int) -> MeterHistory:
    extra = history.daily.size - max_days
    if extra <= 0:
        return history
    return MeterHistory(
        utility=history.utility,
        first_day=history.first_day + timedelta(days=extra),
        daily=history.daily[extra:],
        hourly=None if history.hourly is None else history.hourly[extra:],
    )


def classify(
    history: MeterHistory,
    *,
    status: str = "in_service",
    connected_on: date | None = None,
    config: OccupancyConfig,
) -> Classification:
    """Classify one meter as of the last day of its history."""
    if isinstance(connected_on, datetime):
        raise ValueError(f"connected_on must be a date, not the datetime {connected_on.isoformat()}")
    if status not in STATUSES:
        raise ValueError(f"unknown meter status {status!r}; expected one of {', '.join(STATUSES)}")
    rules = config.rules
    thresholds = config.for_utility(history.utility)
    history = _trim(history, rules.history_max_days)
    as_of = history.as_of
    check_covered(as_of)

    if status == "removed":
        return Classification(UNKNOWN, "meter_removed", as_of, (), {"rule": "registry_status"})
    if status == "terminated":
        return Classification(UNKNOWN, "supply_terminated", as_of, (), {"rule": "registry_status"})
    red_start = as_of - timedelta(days=rules.red_window_days - 1)
    if connected_on is not None and connected_on > red_start:
        days_connected = max(0, (as_of - connected_on).days + 1)
        facts: dict[str, int | str] = {"rule": "connection_date", "days_connected": days_connected}
        return Classification(UNKNOWN, "new_connection", as_of, (), facts)

    first_connected = 0 if connected_on is None else max(0, (connected_on - history.first_day).days)
    judgement = judge_days(
        history.daily, history.hourly, first_connected_index=first_connected, rules=rules, th=thresholds
    )
    state = judgement.state
    window_30 = state[-rules.red_window_days :]
    window_7 = state[-rules.green_window_days :]
    data_30 = int(np.count_nonzero(window_30 != MISSING))
    use_30 = int(np.count_nonzero(window_30 == USED))
    data_7 = int(np.count_nonzero(window_7 != MISSING))
    use_7 = int(np.count_nonzero(window_7 == USED))
    missing_7 = rules.green_window_days - data_7
    estimated_30 = judgement.rule[-rules.red_window_days :].count(daily_use.ESTIMATED)
    steady_30 = judgement.rule[-rules.red_window_days :].count(daily_use.STEADY_LOAD)
    facts = {
        "days_with_data_30": data_30,
        "days_with_use_30": use_30,
        "days_with_data_7": data_7,
        "days_with_use_7": use_7,
        "days_estimated_30": estimated_30,
    }
    day_rules = judgement.rule[-rules.red_window_days :]

    if use_7 >= rules.green_min_use_days:
        code, reason = GREEN, "recent_use"
        facts["rule"] = _deciding_rule(judgement.rule[-rules.green_window_days :], window_7, USED)
    elif use_30 >= 1 and use_7 + missing_7 < rules.green_min_use_days:
        code, reason = YELLOW, "intermittent_use"
        facts["rule"] = _deciding_rule(day_rules, window_30, USED)
    elif use_30 == 0 and data_30 - steady_30 < rules.red_min_data_days <= data_30:
        # Without the days of a level held for weeks with nothing to compare
        # it with (an appliance in an empty home, or a very regular
        # household), too few days show no use. RED would drop the household
        # from the count on a guess, so the enumerator visits.
        code, reason = UNKNOWN, "steady_load"
        facts["rule"] = daily_use.STEADY_LOAD
    elif use_30 == 0 and data_30 >= rules.red_min_data_days:
        code, reason = RED, "no_use_30_days"
        facts["rule"] = _deciding_rule(day_rules, window_30, NO_USE)
    else:
        code = UNKNOWN
        if estimated_30:
            reason = "estimated_readings"
        elif use_30:
            reason = "recent_days_missing"
        elif data_30 == 0:
            reason = "no_data"
        else:
            reason = "too_few_days"
        facts["rule"] = "data_count"

    tags: tuple[str, ...] = ()
    if code in (GREEN, YELLOW):
        kinds = day_kinds(history.first_day, state.size)
        tags = tuple(
            usage_tags(judgement, kinds, config.tags) + home_hours_tags(judgement, kinds, config.tags)
        )
    return Classification(code, reason, as_of, tags, facts)
