"""Query-ready consumption partitions and the slot maps that index them.

One consumption day of one county is one S3 object,
`published/<utility>/<county>/<YYYY-MM-DD>/<sha256 of content>.bin`: a dense
array of fixed-size records, record `i` for the meter in slot `i`. A query
reads one record per day with a ranged GET, so what it reads depends only on
the number of days, never on the number of meters or the length of the history.

Record format v1, little-endian, NaN for missing:

    offset  0  24 x float32  consumption of each hour, 00:00-01:00 Beijing time first
    offset 96   1 x float32  consumption of the day
    offset 100  1 x float64  register reading at 24:00, for meters that report readings

Values are in kWh for electricity, litres for water and m3 for gas.

A county's slot map, `state/slots/<utility>/<county>/<sha256 of content>.json`,
lists its meter numbers in slot order. Slots are only ever appended, and a
released slot (a meter moved to another county) stays empty, so a slot never
changes hands. The query path imports this module: it must not import pyarrow.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from threading import BoundedSemaphore, Lock
from typing import Any, Protocol

import numpy as np

from census.domain.occupancy import MeterHistory

RECORD_FORMAT = 1
HOURS = 24
RECORD_DTYPE = np.dtype([("hours", "<f4", (HOURS,)), ("total", "<f4"), ("register", "<f8")])
RECORD_SIZE = RECORD_DTYPE.itemsize
PUBLISHED_PREFIX = "published/"
SLOT_MAP_PREFIX = "state/slots/"
SLOT_MAP_FORMAT = 1

# Ranged GETs of one query run in parallel, at most this many at a time and never more
# than the size of the S3 client's connection pool (10 by default in botocore).
MAX_PARALLEL_READS = 16


class PublishedDay(Protocol):
    """Attributes of a Publication item that `read_meter_history` reads."""

    day: str
    object_key: str
    slots: Any
    record_format: Any


@dataclass(frozen=True)
class DayObject:
    """A county-day object written to S3."""

    key: str
    checksum: str
    slots: int


# ------------------------------------------------------------------ records


def new_county_day(slots: int) -> np.ndarray:
    """Return a county-day array of `slots` records with every value missing."""
    records = np.empty(slots, dtype=RECORD_DTYPE)
    records["hours"] = np.nan
    records["total"] = np.nan
    records["register"] = np.nan
    return records


def county_day_from_rows(
    slots: int,
    row_slots: np.ndarray,
    hours: np.ndarray | None = None,
    totals: np.ndarray | None = None,
    registers: np.ndarray | None = None,
) -> np.ndarray:
    """Build a county-day array of `slots` records from one row per meter.

    `row_slots` (n,) gives each row's slot; `hours` (n, 24), `totals` (n,) and
    `registers` (n,) its values, NaN for missing. Slots without a row stay
    missing. Raises ValueError for a slot outside 0..slots-1 or a slot given twice.
    """
    row_slots = np.asarray(row_slots, dtype=np.int64)
    if row_slots.size and (row_slots.min() < 0 or row_slots.max() >= slots):
        raise ValueError(f"row slots must lie in 0..{slots - 1}")
    if np.unique(row_slots).size != row_slots.size:
        raise ValueError("each slot may have at most one row")
    records = new_county_day(slots)
    if hours is not None:
        records["hours"][row_slots] = np.asarray(hours, dtype=np.float32).reshape(-1, HOURS)
    if totals is not None:
        records["total"][row_slots] = np.asarray(totals, dtype=np.float32)
    if registers is not None:
        records["register"][row_slots] = np.asarray(registers, dtype=np.float64)
    return records


def records_from_bytes(data: bytes) -> np.ndarray:
    """Decode records of format v1; raises ValueError unless `data` is whole records."""
    if len(data) % RECORD_SIZE:
        raise ValueError(f"{len(data)} bytes is not a whole number of {RECORD_SIZE}-byte records")
    return np.frombuffer(data, dtype=RECORD_DTYPE)


def _base64_sha256(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


def day_object_key(utility: str, county: str, day: date, checksum: str) -> str:
    return f"{PUBLISHED_PREFIX}{utility}/{county}/{day.isoformat()}/{checksum}.bin"


@dataclass(frozen=True)
class EncodedDay:
    """The bytes of a county-day object and their SHA-256, which names the object."""

    body: bytes
    checksum: str
    slots: int


def encode_county_day(records: np.ndarray) -> EncodedDay:
    if records.dtype != RECORD_DTYPE:
        raise ValueError(f"records must have the v1 record dtype, not {records.dtype}")
    body = np.ascontiguousarray(records).tobytes()
    return EncodedDay(body=body, checksum=hashlib.sha256(body).hexdigest(), slots=len(records))


def put_county_day(
    s3_client: Any, bucket: str, utility: str, county: str, day: date, encoded: EncodedDay
) -> DayObject:
    """Write a county-day object under its content hash and return where it lies.

    The object is invisible to queries until its Publication item names it.
    """
    key = day_object_key(utility, county, day, encoded.checksum)
    s3_client.put_object(
        Bucket=bucket,
        Key=key,
        Body=encoded.body,
        ContentType="application/octet-stream",
        # S3 checks the body against the SHA-256 computed above; botocore then computes no checksum itself.
        ChecksumSHA256=_base64_sha256(encoded.checksum),
        Metadata={"record-format": str(RECORD_FORMAT), "slots": str(encoded.slots)},
    )
    return DayObject(key=key, checksum=encoded.checksum, slots=encoded.slots)


def read_county_day(s3_client: Any, bucket: str, object_key: str) -> np.ndarray:
    """Read every record of one county-day object (for batch jobs, not for a single query)."""
    body = s3_client.get_object(Bucket=bucket, Key=object_key)["Body"].read()
    return records_from_bytes(body)


# ------------------------------------------------------------------ query path


def read_record(s3_client: Any, bucket: str, object_key: str, slot: int) -> np.ndarray:
    """Read the record of one slot with a ranged GET of exactly RECORD_SIZE bytes."""
    start = slot * RECORD_SIZE
    response = s3_client.get_object(
        Bucket=bucket, Key=object_key, Range=f"bytes={start}-{start + RECORD_SIZE - 1}"
    )
    body = response["Body"].read()
    if len(body) != RECORD_SIZE:
        raise ValueError(
            f"object {object_key} returned {len(body)} bytes for slot {slot}, expected {RECORD_SIZE}"
        )
    return np.frombuffer(body, dtype=RECORD_DTYPE)[0]


_pool: ThreadPoolExecutor | None = None
_pool_lock = Lock()


def _read_pool() -> ThreadPoolExecutor:
    # One pool per process, so warm Lambda invocations reuse its threads.
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=MAX_PARALLEL_READS, thread_name_prefix="record-read")
        return _pool


def _parallel_reads(s3_client: Any) -> int:
    pool_size = getattr(
        getattr(getattr(s3_client, "meta", None), "config", None), "max_pool_connections", None
    )
    return max(1, min(MAX_PARALLEL_READS, pool_size or 10))


def read_meter_history(
    s3_client: Any,
    bucket: str,
    publications: Sequence[PublishedDay],
    slot: int,
    utility: str,
    window_days: int,
) -> MeterHistory:
    """Read one meter's records for the `window_days` days ending at the newest published day.

    `publications` are the county's Publication items (as `latest_days` returns
    them, newest first). Each published day inside the window costs one ranged
    GET of RECORD_SIZE bytes; the GETs run in parallel. A day that is not
    published, or that was published before the meter had its slot, is NaN.
    `hourly` is None when no day of the window has an hourly value.
    Raises ValueError when `publications` is empty or names an unknown record format.
    """
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    if not publications:
        raise ValueError("no published day to read")
    days = [date.fromisoformat(publication.day) for publication in publications]
    newest = max(days)
    first_day = newest - timedelta(days=window_days - 1)

    wanted: dict[int, PublishedDay] = {}
    for day, publication in zip(days, publications, strict=True):
        if int(publication.record_format) != RECORD_FORMAT:
            raise ValueError(f"publication {publication.day} has record format {publication.record_format}")
        if day < first_day or slot >= int(publication.slots):
            continue
        wanted[(day - first_day).days] = publication

    daily = np.full(window_days, np.nan)
    hourly = np.full((window_days, HOURS), np.nan)
    if wanted:
        offsets = sorted(wanted)
        limit = BoundedSemaphore(_parallel_reads(s3_client))

        def read_limited(object_key: str) -> np.ndarray:
            with limit:
                return read_record(s3_client, bucket, object_key, slot)

        pool = _read_pool()
        futures = [pool.submit(read_limited, wanted[offset].object_key) for offset in offsets]
        records = [future.result() for future in futures]
        for offset, record in zip(offsets, records, strict=True):
            daily[offset] = record["total"]
            hourly[offset] = record["hours"]

    return MeterHistory(
        utility=utility,
        first_day=first_day,
        daily=daily,
        hourly=hourly if np.isfinite(hourly).any() else None,
    )


# ------------------------------------------------------------------ slot maps


@dataclass(frozen=True)
class SlotMap:
    """A county's meter numbers in slot order; None marks a released slot."""

    utility: str
    county: str
    meters: tuple[str | None, ...]

    @property
    def slots(self) -> int:
        return len(self.meters)

    def slot_of(self) -> dict[str, int]:
        """Return meter number -> slot for every meter that has a slot."""
        return {meter: slot for slot, meter in enumerate(self.meters) if meter is not None}

    def with_meters(self, meter_numbers: Iterable[str]) -> SlotMap:
        """Return the map with each meter that has no slot yet appended, in the given order."""
        present = self.slot_of()
        added: list[str] = []
        for meter in meter_numbers:
            if meter not in present:
                present[meter] = len(self.meters) + len(added)
                added.append(meter)
        if not added:
            return self
        return SlotMap(self.utility, self.county, self.meters + tuple(added))

    def without_meters(self, meter_numbers: Iterable[str]) -> SlotMap:
        """Return the map with the slots of these meters released (left empty, never reused)."""
        released = set(meter_numbers)
        if not released.intersection(self.meters):
            return self
        meters = tuple(None if meter in released else meter for meter in self.meters)
        return SlotMap(self.utility, self.county, meters)

    def to_json(self) -> bytes:
        document = {
            "format": SLOT_MAP_FORMAT,
            "utility": self.utility,
            "county": self.county,
            "meters": list(self.meters),
        }
        return json.dumps(document, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> SlotMap:
        document = json.loads(data)
        if document.get("format") != SLOT_MAP_FORMAT:
            raise ValueError(f"slot map format {document.get('format')!r} is not {SLOT_MAP_FORMAT}")
        return cls(document["utility"], document["county"], tuple(document["meters"]))


def empty_slot_map(utility: str, county: str) -> SlotMap:
    return SlotMap(utility, county, ())


def read_slot_map(s3_client: Any, bucket: str, object_key: str, checksum: str | None = None) -> SlotMap:
    """Read a slot map object; with `checksum`, raise ValueError unless the body has that SHA-256."""
    body = s3_client.get_object(Bucket=bucket, Key=object_key)["Body"].read()
    if checksum is not None and hashlib.sha256(body).hexdigest() != checksum:
        raise ValueError(f"slot map {object_key} does not have the SHA-256 its pointer names")
    return SlotMap.from_json(body)


def put_slot_map(s3_client: Any, bucket: str, slot_map: SlotMap) -> DayObject:
    """Write a slot map under its content hash; the pointer item must then be moved to it."""
    body = slot_map.to_json()
    checksum = hashlib.sha256(body).hexdigest()
    key = f"{SLOT_MAP_PREFIX}{slot_map.utility}/{slot_map.county}/{checksum}.json"
    s3_client.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentType="application/json",
        ChecksumSHA256=_base64_sha256(checksum),
    )
    return DayObject(key=key, checksum=checksum, slots=slot_map.slots)
