"""The S3 side of the refresh: many meters' histories from one read per county-day, and its signal objects.

A query reads one record per day with a ranged GET of its own. The refresh
recomputes the codes of every listed home of a county at once. So it reads
each county-day object exactly once, with one ranged GET from the lowest to
the highest slot it needs, and cuts every meter's record out of that span.
The number of GETs is the number of county-days that contain a listed meter,
whatever the number of meters in the province.

The signal that a county-day was published is a small JSON object,
`state/published-days/<utility>/<county>/<YYYY-MM-DD>.json`, written by the
ingest after the day's Publication item. Its S3 event starts the refresh. The
refresh writes its report to `state/refresh-reports/<utility>/<county>/<YYYY-MM-DD>.json`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from threading import Lock
from typing import Any

import numpy as np

from census.domain.occupancy import MeterHistory
from census.domain.occupancy.config import UTILITY_UNITS
from census.storage.partitions import HOURS, RECORD_FORMAT, RECORD_SIZE, PublishedDay, records_from_bytes

PUBLISHED_DAY_PREFIX = "state/published-days/"
REFRESH_REPORT_PREFIX = "state/refresh-reports/"
_PUBLISHED_DAY_KEY = re.compile(
    r"^state/published-days/(?P<utility>[a-z]+)/(?P<county>[0-9]{6})/(?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})\.json$"
)


@dataclass
class ReadStats:
    """S3 GETs made and bytes received, counted across threads."""

    requests: int = 0
    bytes: int = 0

    def __post_init__(self) -> None:
        self._lock = Lock()

    def add(self, size: int) -> None:
        with self._lock:
            self.requests += 1
            self.bytes += size


def read_slot_span(
    s3_client: Any, bucket: str, object_key: str, first_slot: int, last_slot: int, stats: ReadStats
) -> np.ndarray:
    """Read the records of slots `first_slot`..`last_slot` (inclusive) with one ranged GET."""
    start = first_slot * RECORD_SIZE
    end = (last_slot + 1) * RECORD_SIZE - 1
    response = s3_client.get_object(Bucket=bucket, Key=object_key, Range=f"bytes={start}-{end}")
    body = response["Body"].read()
    stats.add(len(body))
    expected = end - start + 1
    if len(body) != expected:
        span = f"slots {first_slot}-{last_slot}"
        raise ValueError(f"object {object_key} returned {len(body)} bytes for {span}, expected {expected}")
    return records_from_bytes(body)


@dataclass(frozen=True)
class _DayRead:
    offset: int
    object_key: str
    first_slot: int
    last_slot: int


def _plan_reads(
    publications: Sequence[PublishedDay], slots: np.ndarray, window_days: int
) -> tuple[date, list[_DayRead]]:
    days = [date.fromisoformat(publication.day) for publication in publications]
    first_day = max(days) - timedelta(days=window_days - 1)
    reads: list[_DayRead] = []
    seen: set[int] = set()
    for day, publication in zip(days, publications, strict=True):
        if int(publication.record_format) != RECORD_FORMAT:
            raise ValueError(f"publication {publication.day} has record format {publication.record_format}")
        offset = (day - first_day).days
        if day < first_day or offset in seen:
            continue
        seen.add(offset)
        # A slot at or past the day's slot count did not exist yet that day: its value stays missing.
        present = slots[slots < int(publication.slots)]
        if present.size:
            reads.append(_DayRead(offset, publication.object_key, int(present[0]), int(present[-1])))
    return first_day, reads


@dataclass(frozen=True)
class HistoryBatch:
    """The window of many slots of one county, as float32 arrays; `history(slot)` builds one MeterHistory."""

    utility: str
    first_day: date
    slots: np.ndarray
    daily: np.ndarray
    hourly: np.ndarray

    def history(self, slot: int) -> MeterHistory:
        """Return the slot's history, equal to what `partitions.read_meter_history` returns for it."""
        row = int(np.searchsorted(self.slots, slot))
        if row >= self.slots.size or self.slots[row] != slot:
            raise KeyError(slot)
        hours = self.hourly[row]
        return MeterHistory(
            utility=self.utility,
            first_day=self.first_day,
            daily=self.daily[row].astype(np.float64),
            hourly=hours.astype(np.float64) if np.isfinite(hours).any() else None,
        )


def read_histories(
    s3_client: Any,
    bucket: str,
    publications: Sequence[PublishedDay],
    slots: Iterable[int],
    utility: str,
    window_days: int,
    *,
    stats: ReadStats | None = None,
    parallel_reads: int = 8,
) -> HistoryBatch:
    """Read the window of `window_days` days ending at the newest published day, for every slot.

    Each county-day object inside the window is read once, with one ranged GET
    from the lowest to the highest requested slot it holds, and `parallel_reads`
    GETs run at a time. Missing days and hours are NaN, as in
    `partitions.read_meter_history`. The batch takes 100 bytes per slot and day,
    and each GET keeps its span in memory until its records are copied out.
    Raises ValueError when `publications` is empty or names an unknown record format.
    """
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    if not publications:
        raise ValueError("no published day to read")
    if utility not in UTILITY_UNITS:
        raise ValueError(f"unknown utility {utility!r}")
    wanted = np.unique(np.fromiter(slots, dtype=np.int64))
    if wanted.size and wanted[0] < 0:
        raise ValueError("slots must not be negative")
    stats = stats if stats is not None else ReadStats()
    first_day, reads = _plan_reads(publications, wanted, window_days)

    daily = np.full((wanted.size, window_days), np.nan, dtype=np.float32)
    hourly = np.full((wanted.size, window_days, HOURS), np.nan, dtype=np.float32)

    def read(plan: _DayRead) -> tuple[_DayRead, np.ndarray]:
        return plan, read_slot_span(
            s3_client, bucket, plan.object_key, plan.first_slot, plan.last_slot, stats
        )

    parallel = max(1, parallel_reads)
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="span-read") as pool:
        # One group of GETs at a time, so that at most `parallel` spans are held at once.
        for start in range(0, len(reads), parallel):
            for plan, records in pool.map(read, reads[start : start + parallel]):
                rows = np.flatnonzero(wanted <= plan.last_slot)
                picked = records[wanted[rows] - plan.first_slot]
                daily[rows, plan.offset] = picked["total"]
                hourly[rows, plan.offset] = picked["hours"]

    return HistoryBatch(utility=utility, first_day=first_day, slots=wanted, daily=daily, hourly=hourly)


# ---------------------------------------------------------------- signal and report objects


def published_day_key(utility: str, county: str, day: date) -> str:
    return f"{PUBLISHED_DAY_PREFIX}{utility}/{county}/{day.isoformat()}.json"


@dataclass(frozen=True)
class PublishedDaySignal:
    utility: str
    county: str
    day: date


def parse_published_day_key(key: str) -> PublishedDaySignal | None:
    """Return the county-day named by a signal object's key, or None when the key is not one."""
    match = _PUBLISHED_DAY_KEY.match(key)
    if match is None or match["utility"] not in UTILITY_UNITS:
        return None
    try:
        day = date.fromisoformat(match["day"])
    except ValueError:
        return None
    return PublishedDaySignal(match["utility"], match["county"], day)


def write_published_day_signal(
    s3_client: Any,
    bucket: str,
    *,
    utility: str,
    county: str,
    day: date,
    object_key: str,
    checksum: str,
    published_at: datetime,
) -> str:
    """Write the object whose S3 event starts the refresh, after the day's Publication item is written.

    Writing it again for the same day starts the refresh again, which changes
    nothing unless the data changed. Returns the key.
    """
    if utility not in UTILITY_UNITS:
        raise ValueError(f"unknown utility {utility!r}")
    if not re.fullmatch(r"[0-9]{6}", county):
        raise ValueError(f"county must be 6 digits, not {county!r}")
    key = published_day_key(utility, county, day)
    document = {
        "utility": utility,
        "county": county,
        "day": day.isoformat(),
        "object_key": object_key,
        "checksum": checksum,
        "published_at": published_at.isoformat(),
    }
    s3_client.put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(document, separators=(",", ":")).encode("utf-8"),
        ContentType="application/json",
    )
    return key


def refresh_report_key(utility: str, county: str, day: date) -> str:
    return f"{REFRESH_REPORT_PREFIX}{utility}/{county}/{day.isoformat()}.json"


def write_refresh_report(
    s3_client: Any, bucket: str, *, utility: str, county: str, day: date, report: dict[str, Any]
) -> str:
    """Write the refresh's report; a later run for the same day writes a newer version of the same key."""
    key = refresh_report_key(utility, county, day)
    body = json.dumps(report, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    s3_client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return key
