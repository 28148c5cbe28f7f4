"""Unit tests of census.storage.batch: many histories from one read per county-day, and the signal keys."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from census.storage import batch
from census.storage.partitions import RECORD_SIZE, new_county_day, read_meter_history

COUNTY_SLOTS = 500
LAST_DAY = date(2013, 9, 28)


class RecordingS3:
    """An in-memory bucket that answers GetObject with or without a Range and records each request."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.written: dict[str, bytes] = {}

    def get_object(self, *, Bucket: str, Key: str, Range: str | None = None) -> dict:
        self.requests.append((Key, Range))
        data = self.objects[Key]
        if Range is not None:
            match = re.fullmatch(r"bytes=(\d+)-(\d+)", Range)
            assert match is not None
            data = data[int(match[1]) : int(match[2]) + 1]
        return {"Body": io.BytesIO(data)}

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, **_: object) -> dict:
        self.written[Key] = Body
        return {}


@dataclass(frozen=True)
class Day:
    day: str
    object_key: str
    slots: int
    record_format: int = 1


def publish(s3: RecordingS3, day: date, slots: int, seed: int) -> Day:
    """Put a county-day of random values with missing hours and days, and return its publication."""
    rng = np.random.default_rng(seed)
    records = new_county_day(slots)
    hours = rng.gamma(1.0, 0.2, size=(slots, 24)).astype(np.float32)
    hours[rng.random((slots, 24)) < 0.05] = np.nan
    daily_only = rng.random(slots) < 0.3
    hours[daily_only] = np.nan
    totals = np.nansum(hours, axis=1).astype(np.float32)
    totals[daily_only] = rng.gamma(2.0, 3.0, size=int(daily_only.sum()))
    totals[rng.random(slots) < 0.05] = np.nan
    records["hours"] = hours
    records["total"] = totals
    key = f"published/electricity/430102/{day.isoformat()}/{seed:064x}.bin"
    s3.objects[key] = records.tobytes()
    return Day(day.isoformat(), key, slots)


@pytest.fixture
def county() -> tuple[RecordingS3, list[Day]]:
    """40 published days (newest first), two of them missing, and a county that grew on the last 3 days."""
    s3 = RecordingS3()
    days = []
    for offset in range(42):
        if offset in (4, 11):
            continue
        slots = COUNTY_SLOTS if offset < 3 else COUNTY_SLOTS - 20
        days.append(publish(s3, LAST_DAY - timedelta(days=offset), slots, seed=offset))
    s3.requests.clear()
    return s3, days


def assert_same_history(actual, expected):
    assert actual.first_day == expected.first_day
    assert actual.utility == expected.utility
    np.testing.assert_array_equal(actual.daily, expected.daily)
    if expected.hourly is None:
        assert actual.hourly is None
    else:
        np.testing.assert_array_equal(actual.hourly, expected.hourly)


def test_batch_histories_equal_single_meter_reads(county):
    s3, days = county
    slots = [3, 77, 150, 151, 479, 480, 499]
    window = batch.read_histories(s3, "bucket", days, slots, "electricity", 30)
    for slot in slots:
        expected = read_meter_history(s3, "bucket", days, slot, "electricity", 30)
        assert_same_history(window.history(slot), expected)


def test_batch_reads_each_day_in_window_once(county):
    s3, days = county
    stats = batch.ReadStats()
    batch.read_histories(s3, "bucket", days, range(0, 400, 3), "electricity", 30, stats=stats)
    keys = [key for key, _ in s3.requests]
    in_window = [
        item.object_key for item in days if date.fromisoformat(item.day) > LAST_DAY - timedelta(days=30)
    ]
    assert len(in_window) == 28
    assert sorted(keys) == sorted(in_window)
    assert stats.requests == 28


def test_batch_read_spans_lowest_to_highest_slot(county):
    s3, days = county
    stats = batch.ReadStats()
    batch.read_histories(s3, "bucket", days[:1], [40, 10, 25], "electricity", 30, stats=stats)
    assert s3.requests == [(days[0].object_key, f"bytes={10 * RECORD_SIZE}-{41 * RECORD_SIZE - 1}")]
    assert stats.bytes == 31 * RECORD_SIZE


def test_batch_slot_newer_than_day_is_missing(county):
    s3, days = county
    window = batch.read_histories(s3, "bucket", days, [495], "electricity", 30)
    history = window.history(495)
    # Slot 495 exists only on the newest 3 days.
    assert np.isnan(history.daily[:-3]).all()
    assert np.isfinite(history.daily[-3:]).any()


def test_batch_day_only_with_new_slots_reads_nothing_for_old_day(county):
    s3, days = county
    batch.read_histories(s3, "bucket", days, [490, 495], "electricity", 30)
    assert len(s3.requests) == 3


def test_batch_history_unknown_slot_raises(county):
    s3, days = county
    window = batch.read_histories(s3, "bucket", days, [5], "electricity", 30)
    with pytest.raises(KeyError):
        window.history(6)


def test_batch_no_slots_reads_nothing(county):
    s3, days = county
    window = batch.read_histories(s3, "bucket", days, [], "electricity", 30)
    assert window.slots.size == 0
    assert s3.requests == []


def test_batch_no_publications_raises():
    with pytest.raises(ValueError):
        batch.read_histories(RecordingS3(), "bucket", [], [1], "electricity", 30)


def test_batch_unknown_record_format_raises(county):
    s3, days = county
    old = Day(days[0].day, days[0].object_key, days[0].slots, record_format=2)
    with pytest.raises(ValueError):
        batch.read_histories(s3, "bucket", [old], [1], "electricity", 30)


def test_batch_short_body_raises(county):
    s3, days = county
    s3.objects[days[0].object_key] = s3.objects[days[0].object_key][: 5 * RECORD_SIZE]
    with pytest.raises(ValueError):
        batch.read_histories(s3, "bucket", days[:1], [2, 9], "electricity", 30)


# ---------------------------------------------------------------- signal objects


def test_signal_key_round_trip():
    key = batch.published_day_key("water", "430102", date(2016, 8, 1))
    assert key == "state/published-days/water/430102/2016-08-01.json"
    assert batch.parse_published_day_key(key) == batch.PublishedDaySignal("water", "430102", date(2016, 8, 1))


@pytest.mark.parametrize(
    "key",
    [
        "state/published-days/steam/430102/2016-08-01.json",
        "state/published-days/water/4301/2016-08-01.json",
        "state/published-days/water/430102/2016-02-30.json",
        "state/published-days/water/430102/2016-08-01.json.bak",
        "state/refresh-reports/water/430102/2016-08-01.json",
        "uploads/utility/water/manifest.json",
    ],
)
def test_signal_key_other_keys_not_signals(key):
    assert batch.parse_published_day_key(key) is None


def test_write_signal_body_names_publication():
    s3 = RecordingS3()
    key = batch.write_published_day_signal(
        s3,
        "bucket",
        utility="electricity",
        county="430102",
        day=date(2013, 9, 28),
        object_key="published/electricity/430102/2013-09-28/abc.bin",
        checksum="abc",
        published_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    body = json.loads(s3.written[key])
    assert key == "state/published-days/electricity/430102/2013-09-28.json"
    assert body["object_key"] == "published/electricity/430102/2013-09-28/abc.bin"
    assert body["day"] == "2013-09-28"


def test_write_signal_bad_county_raises():
    with pytest.raises(ValueError):
        batch.write_published_day_signal(
            RecordingS3(),
            "bucket",
            utility="electricity",
            county="43-102",
            day=date(2013, 9, 28),
            object_key="k",
            checksum="c",
            published_at=datetime(2026, 11, 1, tzinfo=UTC),
        )
