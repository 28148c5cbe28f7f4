"""Hand-made days of hourly electricity use, in kWh per hour, for the classifier tests."""

from __future__ import annotations

import numpy as np


def occupied_day(rng: np.random.Generator) -> np.ndarray:
    """About 5 kWh: fridge and standby at night, breakfast, an evening of cooking and television."""
    day = 0.08 + 0.02 * rng.random(24)
    day[6:9] += rng.uniform(0.2, 0.6, 3)
    day[17:23] += rng.uniform(0.4, 1.0, 6)
    return day


def fridge_day(rng: np.random.Generator) -> np.ndarray:
    """About 1 kWh: compressor cycles and one defrost hour in an empty home."""
    day = np.where(np.arange(24) % 2 == 0, 0.030, 0.055) + 0.004 * rng.random(24)
    day[int(rng.integers(0, 24))] += 0.07
    return day


def frugal_day(rng: np.random.Generator) -> np.ndarray:
    """About 0.3 kWh: a router at night, a light and a kettle in the morning, an evening of lights."""
    day = 0.004 + 0.001 * rng.random(24)
    day[7] += 0.03
    day[8] += 0.015
    day[18:23] += rng.uniform(0.025, 0.045, 5)
    return day


def days_of(builder, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.array([builder(rng) for _ in range(count)])
