"""Input and output values of the occupancy classifier."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from census.domain.occupancy.config import UTILITY_UNITS

CODES = ("GREEN", "YELLOW", "RED", "UNKNOWN")
STATUSES = ("in_service", "removed", "terminated")


def _check_readings(name: str, values: np.ndarray) -> None:
    """Raise ValueError naming the first negative or infinite reading; NaN (missing) is allowed."""
    bad = np.isinf(values) | (values < 0)
    if bad.any():
        position = tuple(int(index) for index in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} reading {values[position]!r} at {position} is negative or infinite; "
            "readings are consumption per day or hour, 0 or more, NaN where missing"
        )


@dataclass(frozen=True)
class MeterHistory:
    """Consumption of one meter, one entry per day, oldest first.

    `daily` contains day totals in the utility's unit (kWh, litres, m3), NaN
    where the day is missing: a missing day is never zero. `hourly`, when
    present, contains the 24 local-time hours of each day, NaN where an hour is
    missing.
    The last day is the as-of day.
    """

    utility: str
    first_day: date
    daily: np.ndarray
    hourly: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.utility not in UTILITY_UNITS:
            known = ", ".join(UTILITY_UNITS)
            raise ValueError(f"unknown utility {self.utility!r}; expected one of {known}")
        daily = np.asarray(self.daily, dtype=np.float64)
        if daily.ndim != 1 or daily.size == 0:
            raise ValueError(f"daily must be a non-empty 1-D array; got shape {daily.shape}")
        _check_readings("daily", daily)
        object.__setattr__(self, "daily", daily)
        if self.hourly is not None:
            hourly = np.asarray(self.hourly, dtype=np.float64)
            if hourly.shape != (daily.size, 24):
                raise ValueError(f"hourly must have shape ({daily.size}, 24); got {hourly.shape}")
            _check_readings("hourly", hourly)
            object.__setattr__(self, "hourly", hourly)

    @property
    def as_of(self) -> date:
        return self.first_day + timedelta(days=self.daily.size - 1)


@dataclass(frozen=True)
class Classification:
    """Occupancy code of one meter (or one household) as of a day.

    `reason` is a stable machine code naming the rule that decided. `facts`
    contains day counts and rule names only, never consumption figures,
    because enumerators see it.
    """

    code: str
    reason: str
    as_of: date
    tags: tuple[str, ...] = ()
    facts: dict[str, int | str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown occupancy code {self.code!r}; expected one of {', '.join(CODES)}")
