"""Occupancy classifier: meter histories in, GREEN / YELLOW / RED / UNKNOWN out.

Rules, thresholds and their sources: docs/classifier.md. Every threshold lives
in thresholds.toml beside this file. The package imports numpy and
chinesecalendar only, so that a query function starts fast.
"""

from census.domain.occupancy.calendar import CalendarNotCoveredError
from census.domain.occupancy.classifier import classify
from census.domain.occupancy.combine import combine
from census.domain.occupancy.config import ConfigError, OccupancyConfig, load_config, parse_config
from census.domain.occupancy.model import Classification, MeterHistory

__all__ = [
    "CalendarNotCoveredError",
    "Classification",
    "ConfigError",
    "MeterHistory",
    "OccupancyConfig",
    "classify",
    "combine",
    "load_config",
    "parse_config",
]
