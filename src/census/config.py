"""Settings, read from the environment once per cold start.

Every variable is named in `template.yaml`; the local service sets the same
names. A missing or malformed value fails at start-up with the variable's name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from functools import lru_cache


class ConfigError(RuntimeError):
    pass


def _require(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is not set; set it in template.yaml or the local env")
    return value


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"environment variable {name}={raw!r} is not an integer") from exc


def _date(name: str) -> date | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ConfigError(f"environment variable {name}={raw!r} is not a date like 2026-11-01") from exc


@dataclass(frozen=True)
class Tables:
    roster: str
    binding: str
    meter: str
    publication: str
    quota: str
    history: str
    audit: str
    idempotency: str


@dataclass(frozen=True)
class Limits:
    """Query and verification limits; the defaults are the census rules."""

    person_homes: int = 200
    home_people: int = 10
    meter_daily: int = 20
    verification_failures: int = 5


@dataclass(frozen=True)
class Settings:
    tables: Tables
    bucket: str
    # Days of consumption a query reads, ending at the latest published day.
    window_days: int
    # Beijing dates, inclusive; None means open-ended.
    service_start: date | None
    service_end: date | None
    history_retention_days: int
    audit_retention_days: int
    limits: Limits
    audit_queue_url: str
    # Seconds during which a retry with the same Idempotency-Key returns the first response.
    idempotency_ttl_seconds: int

    @classmethod
    def from_env(cls) -> Settings:
        tables = Tables(
            roster=_require("ROSTER_TABLE"),
            binding=_require("BINDING_TABLE"),
            meter=_require("METER_TABLE"),
            publication=_require("PUBLICATION_TABLE"),
            quota=_require("QUOTA_TABLE"),
            history=_require("HISTORY_TABLE"),
            audit=_require("AUDIT_TABLE"),
            idempotency=_require("IDEMPOTENCY_TABLE"),
        )
        settings = cls(
            tables=tables,
            bucket=_require("DATA_BUCKET"),
            window_days=_int("WINDOW_DAYS", 56),
            service_start=_date("SERVICE_WINDOW_START"),
            service_end=_date("SERVICE_WINDOW_END"),
            history_retention_days=_int("HISTORY_RETENTION_DAYS", 90),
            audit_retention_days=_int("AUDIT_RETENTION_DAYS", 1095),
            limits=Limits(
                person_homes=_int("LIMIT_PERSON_HOMES", 200),
                home_people=_int("LIMIT_HOME_PEOPLE", 10),
                meter_daily=_int("LIMIT_METER_DAILY", 20),
                verification_failures=_int("LIMIT_VERIFICATION_FAILURES", 5),
            ),
            audit_queue_url=_require("AUDIT_QUEUE_URL"),
            idempotency_ttl_seconds=_int("IDEMPOTENCY_TTL_SECONDS", 86_400),
        )
        if settings.window_days < 30 or settings.window_days > 120:
            raise ConfigError(f"WINDOW_DAYS={settings.window_days} must lie between 30 and 120 days")
        if settings.service_start and settings.service_end and settings.service_start > settings.service_end:
            start, end = settings.service_start, settings.service_end
            raise ConfigError(f"SERVICE_WINDOW_START={start} is after SERVICE_WINDOW_END={end}")
        return settings


@lru_cache(maxsize=1)
def settings() -> Settings:
    """Return the settings of this process, parsed on first use."""
    return Settings.from_env()


def id_hash_key() -> bytes:
    """Return the key of the keyed hash of ID numbers.

    `ID_HASH_KEY` contains it directly (local runs and tests); in AWS
    `ID_HASH_KEY_PARAMETER` names a SecureString SSM parameter, read once.
    """
    return _id_hash_key()


@lru_cache(maxsize=1)
def _id_hash_key() -> bytes:
    direct = os.environ.get("ID_HASH_KEY", "")
    if direct:
        key = direct.encode()
    else:
        name = _require("ID_HASH_KEY_PARAMETER")
        import boto3  # imported here so that pure code paths never load boto3

        response = boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)
        key = response["Parameter"]["Value"].encode()
    if len(key) < 32:
        raise ConfigError("the ID hash key must be at least 32 bytes long")
    return key
