"""Classifier configuration: every threshold, read from one TOML file.

Each entry of the file is a table with `value`, `unit` and `reason`. The loader
checks that every expected entry is present, that no unknown entry is, and that
each unit is the one the code expects, so that the file can be edited without
a code change but not misread.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

UTILITY_UNITS: Mapping[str, str] = MappingProxyType({"electricity": "kWh", "water": "L", "gas": "m3"})


class ConfigError(ValueError):
    """The thresholds file is missing an entry, has an unknown one, or a wrong unit or value."""


@dataclass(frozen=True)
class Rules:
    green_window_days: int
    green_min_use_days: int
    red_window_days: int
    red_min_data_days: int
    history_max_days: int
    full_day_min_hours: int
    partial_day_min_hours: int
    estimated_run_days: int


@dataclass(frozen=True)
class TagRules:
    tag_window_days: int
    usual_use_share: float
    home_hours_length: int
    visit_first_hour: int
    visit_end_hour: int
    home_hours_min_days: int
    home_hours_min_share: float
    night_start_hour: int
    night_end_hour: int
    morning_end_hour: int


@dataclass(frozen=True)
class UtilityThresholds:
    """Thresholds of one utility, in its own unit (kWh, L or m3)."""

    off_floor: float
    standby_reference: float
    fridge_day: float
    plateau_min_days: int
    flat_min_days: int
    steady_min_days: int
    steady_fluctuation_max: float
    plateau_tolerance: float
    plateau_slack: float
    contrast_ratio: float
    flat_fluctuation_max: float
    no_contrast_fluctuation_max: float
    band_ratio: float
    quiet_hours: int
    baseload_quantile: float
    active_ratio: float
    active_margin: float
    min_active_hours: int
    cycle_tolerance: float
    cycle_min_share: float
    cycle_min_clock_hours: int
    clock_floor_quantile: float
    clock_floor_min_days: int
    clock_floor_spread: float
    presence_ratio: float
    presence_margin: float
    presence_gap_hours: int

    @property
    def flat_ceiling(self) -> float:
        """Highest daily total that a flat plateau may have to count as standby without contrast."""
        return self.standby_reference + self.fridge_day


@dataclass(frozen=True)
class OccupancyConfig:
    rules: Rules
    tags: TagRules
    utilities: Mapping[str, UtilityThresholds]
    source: str

    def for_utility(self, utility: str) -> UtilityThresholds:
        try:
            return self.utilities[utility]
        except KeyError:
            known = ", ".join(sorted(self.utilities))
            raise ValueError(f"unknown utility {utility!r}; expected one of {known}") from None


_RULE_UNITS = {
    "green_window_days": "days",
    "green_min_use_days": "days",
    "red_window_days": "days",
    "red_min_data_days": "days",
    "history_max_days": "days",
    "full_day_min_hours": "hours",
    "partial_day_min_hours": "hours",
    "estimated_run_days": "days",
}

_TAG_UNITS = {
    "tag_window_days": "days",
    "usual_use_share": "fraction",
    "home_hours_length": "hours",
    "visit_first_hour": "hour of day",
    "visit_end_hour": "hour of day",
    "home_hours_min_days": "days",
    "home_hours_min_share": "fraction",
    "night_start_hour": "hour of day",
    "night_end_hour": "hour of day",
    "morning_end_hour": "hour of day",
}

# "{u}" stands for the utility's unit.
_UTILITY_UNITS = {
    "off_floor": "{u}/day",
    "standby_reference": "{u}/day",
    "fridge_day": "{u}/day",
    "plateau_min_days": "days",
    "flat_min_days": "days",
    "steady_min_days": "days",
    "steady_fluctuation_max": "fraction",
    "plateau_tolerance": "fraction",
    "plateau_slack": "{u}/day",
    "contrast_ratio": "ratio",
    "flat_fluctuation_max": "fraction",
    "no_contrast_fluctuation_max": "fraction",
    "band_ratio": "fraction",
    "quiet_hours": "hours",
    "baseload_quantile": "fraction",
    "active_ratio": "ratio",
    "active_margin": "{u}/h",
    "min_active_hours": "hours",
    "cycle_tolerance": "fraction",
    "cycle_min_share": "fraction",
    "cycle_min_clock_hours": "hours",
    "clock_floor_quantile": "fraction",
    "clock_floor_min_days": "days",
    "clock_floor_spread": "fraction",
    "presence_ratio": "ratio",
    "presence_margin": "{u}/h",
    "presence_gap_hours": "hours",
}


def _read_section(
    document: Mapping[str, Any], section: str, units: Mapping[str, str], target: type, source: str
) -> Any:
    entries = document.get(section)
    if not isinstance(entries, dict):
        raise ConfigError(f"{source}: section [{section}] is missing")
    unknown = sorted(set(entries) - set(units))
    if unknown:
        raise ConfigError(f"{source}: unknown entries in [{section}]: {', '.join(unknown)}")
    types = {field.name: field.type for field in fields(target)}
    values: dict[str, Any] = {}
    for name, unit in units.items():
        entry = entries.get(name)
        where = f"{source}: [{section}.{name}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} is missing; add a table with value, unit and reason")
        if not str(entry.get("reason", "")).strip():
            raise ConfigError(f"{where} has no reason")
        if entry.get("unit") != unit:
            raise ConfigError(f"{where} has unit {entry.get('unit')!r}; expected {unit!r}")
        value = entry.get("value")
        if types[name] in ("int", int):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ConfigError(f"{where} value {value!r} is not an integer")
        elif not isinstance(value, int | float) or isinstance(value, bool):
            raise ConfigError(f"{where} value {value!r} is not a number")
        if value < 0:
            raise ConfigError(f"{where} value {value!r} is negative")
        if unit == "fraction" and value > 1:
            raise ConfigError(f"{where} value {value!r} is not a fraction between 0 and 1")
        values[name] = value if types[name] in ("int", int) else float(value)
    return target(**values)


def _check_consistency(config: OccupancyConfig) -> None:
    rules, tags = config.rules, config.tags
    problems = []
    if not 1 <= rules.green_min_use_days <= rules.green_window_days <= rules.red_window_days:
        problems.append("need 1 <= green_min_use_days <= green_window_days <= red_window_days")
    if not rules.red_window_days <= rules.history_max_days:
        problems.append("need red_window_days <= history_max_days")
    if not 1 <= rules.red_min_data_days <= rules.red_window_days:
        problems.append("need 1 <= red_min_data_days <= red_window_days")
    if not 1 <= rules.partial_day_min_hours <= rules.full_day_min_hours <= 24:
        problems.append("need 1 <= partial_day_min_hours <= full_day_min_hours <= 24")
    if rules.estimated_run_days < 2:
        problems.append("need estimated_run_days >= 2")
    if not 1 <= tags.tag_window_days <= rules.history_max_days:
        problems.append("need 1 <= tag_window_days <= history_max_days")
    if not 0 <= tags.visit_first_hour < tags.visit_end_hour <= 24:
        problems.append("need 0 <= visit_first_hour < visit_end_hour <= 24")
    if not tags.night_end_hour <= tags.morning_end_hour < tags.night_start_hour <= 24:
        problems.append("need night_end_hour <= morning_end_hour < night_start_hour <= 24")
    if not 1 <= tags.home_hours_length <= tags.visit_end_hour - tags.visit_first_hour:
        problems.append("need 1 <= home_hours_length <= visit_end_hour - visit_first_hour")
    for utility, thresholds in config.utilities.items():
        if not 1 <= thresholds.quiet_hours <= rules.partial_day_min_hours:
            problems.append(f"{utility}: need 1 <= quiet_hours <= partial_day_min_hours")
        if not 2 <= thresholds.plateau_min_days <= thresholds.flat_min_days:
            problems.append(f"{utility}: need 2 <= plateau_min_days <= flat_min_days")
        if thresholds.min_active_hours < 1:
            problems.append(f"{utility}: need min_active_hours >= 1")
        if thresholds.contrast_ratio <= 1:
            problems.append(f"{utility}: need contrast_ratio > 1")
        if thresholds.off_floor <= 0:
            problems.append(f"{utility}: need off_floor > 0, the level below which a day is no use")
        if thresholds.clock_floor_min_days < 1:
            problems.append(f"{utility}: need clock_floor_min_days >= 1")
    if problems:
        raise ConfigError(f"{config.source}: " + "; ".join(problems))


def parse_config(text: str, source: str = "<string>") -> OccupancyConfig:
    """Parse and check the TOML text of a thresholds file."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from exc
    unknown = sorted(set(document) - {"rules", "tags", *UTILITY_UNITS})
    if unknown:
        raise ConfigError(f"{source}: unknown sections: {', '.join(unknown)}")
    utilities = {}
    for utility, unit in UTILITY_UNITS.items():
        units = {name: pattern.format(u=unit) for name, pattern in _UTILITY_UNITS.items()}
        utilities[utility] = _read_section(document, utility, units, UtilityThresholds, source)
    config = OccupancyConfig(
        rules=_read_section(document, "rules", _RULE_UNITS, Rules, source),
        tags=_read_section(document, "tags", _TAG_UNITS, TagRules, source),
        utilities=MappingProxyType(utilities),
        source=source,
    )
    _check_consistency(config)
    return config


@lru_cache(maxsize=8)
def load_config(path: str | None = None) -> OccupancyConfig:
    """Load the thresholds file at `path`, or the packaged thresholds.toml; cached per path."""
    if path is None:
        packaged = resources.files(__package__).joinpath("thresholds.toml")
        return parse_config(packaged.read_text(encoding="utf-8"), source="thresholds.toml (packaged)")
    return parse_config(Path(path).read_text(encoding="utf-8"), source=str(path))
