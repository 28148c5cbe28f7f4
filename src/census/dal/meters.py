"""Registry entries of meters: one item per meter number."""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import DoesNotExist

from census.dal.models import Meter


def get_meter(meter_number: str) -> Meter | None:
    try:
        return Meter.get(meter_number)
    except DoesNotExist:
        return None


def get_meters(meter_numbers: Iterable[str]) -> dict[str, Meter]:
    """Return the registry entries that exist among `meter_numbers`, by meter number.

    pynamodb splits the keys into BatchGetItem calls of 100 and retries unprocessed keys.
    """
    keys = sorted(set(meter_numbers))
    if not keys:
        return {}
    return {meter.meter_number: meter for meter in Meter.batch_get(keys)}


def household_meters(household_id: str) -> list[Meter]:
    """Return every meter of a household, through the `by_household` index."""
    return list(Meter.by_household.query(household_id))


def write_meters(meters: Iterable[Meter]) -> int:
    """Write registry entries with BatchWriteItem (25 per call) and return how many were written.

    Each item replaces the whole previous item of its meter number.
    """
    written = 0
    with Meter.batch_write() as batch:
        for meter in meters:
            batch.save(meter)
            written += 1
    return written
