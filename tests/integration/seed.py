"""Seed registry entries and published consumption days directly, for handler tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import boto3
import numpy as np

from census.dal import meters, publications
from census.dal.models import Meter
from census.domain.meters import gas_check_digit
from census.storage import partitions

NOW = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)


def electricity_number(serial: int) -> str:
    return f"1234500{serial:014d}1"


def gas_number(serial: int) -> str:
    first15 = f"8{serial:014d}"
    return first15 + gas_check_digit(first15)


def meter(
    number: str,
    slot: int,
    *,
    area: str = "430102001001",
    household: str | None = None,
    customer_type: str = "residential",
    status: str = "in_service",
    utility: str = "electricity",
) -> Meter:
    return Meter(
        number,
        utility=utility,
        household_id=household or f"HH-{number[-6:]}",
        area_code=area,
        county=area[:6],
        customer_type=customer_type,
        status=status,
        slot=slot,
        updated_at=NOW,
        upload_key="seed",
    )


def occupied_hours(rng: np.random.Generator) -> np.ndarray:
    """A day with a human rhythm: low nights, a busy evening."""
    hours = rng.gamma(2.0, 0.08, 24)
    hours[7:9] += rng.uniform(0.2, 0.6, 2)
    hours[18:22] += rng.uniform(0.4, 1.2, 4)
    return hours


def publish_days(
    county: str,
    first_day: date,
    days: int,
    hourly_by_slot: dict[int, np.ndarray],
    *,
    utility: str = "electricity",
) -> None:
    """Publish `days` county-days; `hourly_by_slot[slot]` is a (days, 24) array, NaN for missing."""
    s3 = boto3.client("s3")
    bucket = _bucket()
    slots = max(hourly_by_slot) + 1
    for offset in range(days):
        records = partitions.new_county_day(slots)
        for slot, hourly in hourly_by_slot.items():
            row = hourly[offset]
            records["hours"][slot] = row
            records["total"][slot] = row.sum() if not np.isnan(row).any() else np.nan
        day = first_day + timedelta(days=offset)
        written = partitions.put_county_day(
            s3, bucket, utility, county, day, partitions.encode_county_day(records)
        )
        publications.publish_day(
            utility, county, day, object_key=written.key, slots=written.slots,
            checksum=written.checksum, upload_key="seed", now=NOW,
        )  # fmt: skip


def _bucket() -> str:
    import os

    return os.environ["DATA_BUCKET"]


def write(*items: Meter) -> None:
    meters.write_meters(items)
