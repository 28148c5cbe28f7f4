"""Tags for GREEN and YELLOW homes: which kinds of day, and which hours, to visit."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from census.domain.occupancy.calendar import REST_DAY, WORKDAY, day_kind, is_covered
from census.domain.occupancy.config import TagRules
from census.domain.occupancy.daily_use import MISSING, USED, DayJudgement

WORKDAY_USE = "workday_use"
REST_DAY_USE = "rest_day_use"
HOME_HOURS_PREFIX = "home_hours_"


# Kinds of day in the array that day_kinds() returns.
KIND_REST_DAY = 0
KIND_WORKDAY = 1
# A day of a year the calendar does not cover (the start of a history that
# reaches back before it): it counts for neither kind.
KIND_UNKNOWN = -1


def day_kinds(first_day: date, n: int) -> np.ndarray:
    """Return, per day, KIND_WORKDAY, KIND_REST_DAY or KIND_UNKNOWN by the official calendar."""
    kinds = np.full(n, KIND_UNKNOWN, dtype=np.int8)
    for i in range(n):
        day = first_day + timedelta(days=i)
        if is_covered(day):
            kinds[i] = KIND_WORKDAY if day_kind(day) == WORKDAY else KIND_REST_DAY
    return kinds


def usage_tags(judgement: DayJudgement, kinds: np.ndarray, rules: TagRules) -> list[str]:
    """Tag each kind of day on which the home is usually in use in the tag window."""
    state = judgement.state[-rules.tag_window_days :]
    window = kinds[-rules.tag_window_days :]
    tags = []
    for name, mask in ((WORKDAY_USE, window == KIND_WORKDAY), (REST_DAY_USE, window == KIND_REST_DAY)):
        with_data = int(np.count_nonzero(mask & (state != MISSING)))
        used = int(np.count_nonzero(mask & (state == USED)))
        if with_data and used >= rules.usual_use_share * with_data:
            tags.append(name)
    return tags


def _overnight(presence: np.ndarray, rules: TagRules) -> np.ndarray:
    """Count a quiet night between a draw at night and a draw the next morning as presence.

    Someone active in the evening or after midnight and again in the morning
    spent the night at home, and was home before that first morning draw too:
    asleep, or up without switching anything on. A quiet spell is filled when
    it starts at night (from `night_start_hour` to `night_end_hour`) and ends
    with a draw by `morning_end_hour`. A spell within one morning (out at
    seven, back at ten) is not a night and stays empty.
    """
    flat = presence.reshape(-1)
    hours = np.flatnonzero(flat)
    before, after = hours[:-1], hours[1:]
    day_of_before, hour_of_before = np.divmod(before, 24)
    day_of_after, hour_of_after = np.divmod(after, 24)
    evening = (day_of_after == day_of_before + 1) & (hour_of_before >= rules.night_start_hour)
    small_hours = (day_of_after == day_of_before) & (hour_of_before < rules.night_end_hour)
    night = (evening | small_hours) & (hour_of_after <= rules.morning_end_hour)
    # Mark each filled spell's first hour +1 and the hour after it -1: the
    # running sum is positive inside the spells.
    edges = np.zeros(flat.size + 1, dtype=np.int64)
    np.add.at(edges, before[night] + 1, 1)
    np.add.at(edges, after[night], -1)
    bridged = flat | (np.cumsum(edges[:-1]) > 0)
    return bridged.reshape(presence.shape)


def home_hours_tags(judgement: DayJudgement, kinds: np.ndarray, rules: TagRules) -> list[str]:
    """Suggest, per kind of day, the visiting window in which presence was most frequent.

    Presence frequency of an hour is the share of used days of that kind, among
    those where the hour was observed, on which the hour showed presence. The
    window of `home_hours_length` hours with the highest mean frequency inside
    the visiting hours wins; the earliest wins a tie.
    """
    if judgement.presence is None or judgement.observed is None:
        return []
    # Gaps bridged as presence may cover missing hours; only observed hours count.
    presence = _overnight(judgement.presence, rules) & judgement.observed
    used = judgement.state == USED
    length = rules.home_hours_length
    tags = []
    for kind, mask in ((WORKDAY, kinds == KIND_WORKDAY), (REST_DAY, kinds == KIND_REST_DAY)):
        days = used & mask & judgement.observed.any(axis=1)
        if np.count_nonzero(days) < rules.home_hours_min_days:
            continue
        observed = judgement.observed[days].sum(axis=0)
        present = presence[days].sum(axis=0)
        frequency = np.divide(present, observed, out=np.zeros(24), where=observed > 0)
        visiting = slice(rules.visit_first_hour, rules.visit_end_hour)
        scores = sliding_window_view(frequency[visiting], length).mean(axis=1)
        # A window with an hour never observed cannot be judged.
        scores[~sliding_window_view(observed[visiting] > 0, length).all(axis=1)] = -1.0
        best = int(np.argmax(scores))  # the earliest of equal windows
        if scores[best] >= rules.home_hours_min_share:
            start = rules.visit_first_hour + best
            tags.append(f"{HOME_HOURS_PREFIX}{kind}:{start:02d}-{start + length:02d}")
    return tags
