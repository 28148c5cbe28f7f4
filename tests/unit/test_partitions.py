"""Record format v1, county-day arrays, slot maps and the ranged reads of one meter's history."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pytest

from census.storage.partitions import (
    RECORD_DTYPE,
    RECORD_FORMAT,
    RECORD_SIZE,
    SlotMap,
    county_day_from_rows,
    day_object_key,
    empty_slot_map,
    encode_county_day,
    new_county_day,
    read_meter_history,
    records_from_bytes,
)


@dataclass
class FakePublication:
    day: str
    object_key: str
    slots: int
    record_format: int = RECORD_FORMAT


class RangeS3:
    """An in-memory S3 client that serves ranged GETs and records every request."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self.bytes_returned = 0
        self._lock = threading.Lock()

    def get_object(self, Bucket: str, Key: str, Range: str | None = None) -> dict:
        data = self.objects[Key]
        if Range is not None:
            start, end = (int(part) for part in Range.removeprefix("bytes=").split("-"))
            data = data[start : end + 1]
        with self._lock:
            self.requests.append((Key, Range or ""))
            self.bytes_returned += len(data)
        return {"Body": io.BytesIO(data)}


def publish(s3: RangeS3, day: date, records: np.ndarray) -> FakePublication:
    encoded = encode_county_day(records)
    key = day_object_key("electricity", "430102", day, encoded.checksum)
    s3.objects[key] = encoded.body
    return FakePublication(day.isoformat(), key, encoded.slots)


def hourly_day(slots: int, day_number: int) -> np.ndarray:
    hours = np.arange(slots * 24, dtype=np.float64).reshape(slots, 24) / 100 + day_number
    return county_day_from_rows(slots, np.arange(slots), hours=hours, totals=hours.sum(axis=1))


# ------------------------------------------------------------------ record format


def test_record_size_is_sum_of_fields():
    assert RECORD_SIZE == 24 * 4 + 4 + 8


def test_record_fields_little_endian_at_offsets():
    assert RECORD_DTYPE.fields["hours"][1] == 0
    assert RECORD_DTYPE.fields["total"][1] == 96
    assert RECORD_DTYPE.fields["register"][1] == 100
    assert RECORD_DTYPE.fields["hours"][0].base.str == "<f4"
    assert RECORD_DTYPE.fields["register"][0].str == "<f8"


def test_new_county_day_all_missing():
    records = new_county_day(5)
    assert np.isnan(records["hours"]).all()
    assert np.isnan(records["total"]).all()
    assert np.isnan(records["register"]).all()


def test_county_day_from_rows_places_rows_at_slots():
    hours = np.ones((2, 24))
    records = county_day_from_rows(
        4, np.array([3, 1]), hours=hours * [[2.0], [5.0]], totals=np.array([48.0, 120.0])
    )
    assert records["hours"][3].tolist() == [2.0] * 24
    assert records["total"][1] == 120.0
    assert np.isnan(records["total"][0])
    assert np.isnan(records["hours"][2]).all()


def test_county_day_from_rows_slot_out_of_range_rejected():
    with pytest.raises(ValueError, match=r"0\.\.3"):
        county_day_from_rows(4, np.array([4]), totals=np.array([1.0]))


def test_county_day_from_rows_repeated_slot_rejected():
    with pytest.raises(ValueError, match="at most one row"):
        county_day_from_rows(4, np.array([1, 1]), totals=np.array([1.0, 2.0]))


def test_encoded_day_named_by_sha256_of_body():
    encoded = encode_county_day(hourly_day(3, 0))
    assert len(encoded.body) == 3 * RECORD_SIZE
    assert encoded.checksum == hashlib.sha256(encoded.body).hexdigest()


def test_records_round_trip_through_bytes():
    records = hourly_day(3, 2)
    decoded = records_from_bytes(encode_county_day(records).body)
    assert np.array_equal(decoded["hours"], records["hours"])
    assert np.array_equal(decoded["total"], records["total"])


def test_records_from_partial_bytes_rejected():
    with pytest.raises(ValueError, match="whole number"):
        records_from_bytes(b"\x00" * (RECORD_SIZE + 1))


def test_day_object_key_layout():
    key = day_object_key("water", "430105", date(2026, 11, 1), "ab" * 32)
    assert key == f"published/water/430105/2026-11-01/{'ab' * 32}.bin"


# ------------------------------------------------------------------ history reads


def test_history_one_ranged_get_per_published_day():
    s3 = RangeS3()
    newest = date(2026, 11, 30)
    publications = [
        publish(s3, newest - timedelta(days=offset), hourly_day(50, offset)) for offset in range(10)
    ]
    history = read_meter_history(s3, "bucket", publications, 7, "electricity", 10)
    assert len(s3.requests) == 10
    assert s3.bytes_returned == 10 * RECORD_SIZE
    assert {requested for _key, requested in s3.requests} == {
        f"bytes={7 * RECORD_SIZE}-{8 * RECORD_SIZE - 1}"
    }
    assert history.first_day == newest - timedelta(days=9)


def test_history_values_are_the_slot_record_oldest_first():
    s3 = RangeS3()
    newest = date(2026, 11, 30)
    days = {offset: hourly_day(20, offset) for offset in range(3)}
    publications = [publish(s3, newest - timedelta(days=offset), records) for offset, records in days.items()]
    history = read_meter_history(s3, "bucket", publications, 4, "electricity", 3)
    assert history.daily[-1] == pytest.approx(float(days[0]["total"][4]))
    assert history.daily[0] == pytest.approx(float(days[2]["total"][4]))
    assert history.hourly is not None
    assert np.allclose(history.hourly[1], days[1]["hours"][4])


def test_history_unpublished_days_missing_without_requests():
    s3 = RangeS3()
    newest = date(2026, 11, 30)
    publications = [
        publish(s3, newest, hourly_day(5, 0)),
        publish(s3, newest - timedelta(days=3), hourly_day(5, 3)),
    ]
    history = read_meter_history(s3, "bucket", publications, 2, "electricity", 5)
    assert len(s3.requests) == 2
    assert np.isnan(history.daily[[0, 2, 3]]).all()
    assert np.isfinite(history.daily[[1, 4]]).all()


def test_history_days_before_window_not_read():
    s3 = RangeS3()
    newest = date(2026, 11, 30)
    publications = [
        publish(s3, newest - timedelta(days=offset), hourly_day(5, offset)) for offset in range(8)
    ]
    read_meter_history(s3, "bucket", publications, 0, "electricity", 4)
    assert len(s3.requests) == 4


def test_history_slot_newer_than_day_not_read():
    s3 = RangeS3()
    newest = date(2026, 11, 30)
    old = publish(s3, newest - timedelta(days=1), hourly_day(3, 1))
    new = publish(s3, newest, hourly_day(6, 0))
    history = read_meter_history(s3, "bucket", [new, old], 4, "electricity", 2)
    assert len(s3.requests) == 1
    assert np.isnan(history.daily[0])


def test_history_daily_only_meter_has_no_hourly():
    s3 = RangeS3()
    records = county_day_from_rows(2, np.array([0, 1]), totals=np.array([3.5, 4.0]))
    publication = publish(s3, date(2026, 11, 30), records)
    history = read_meter_history(s3, "bucket", [publication], 1, "electricity", 3)
    assert history.hourly is None
    assert history.daily[-1] == 4.0


def test_history_without_publications_rejected():
    with pytest.raises(ValueError, match="no published day"):
        read_meter_history(RangeS3(), "bucket", [], 0, "electricity", 30)


def test_history_unknown_record_format_rejected():
    s3 = RangeS3()
    publication = publish(s3, date(2026, 11, 30), hourly_day(2, 0))
    publication.record_format = 2
    with pytest.raises(ValueError, match="record format 2"):
        read_meter_history(s3, "bucket", [publication], 0, "electricity", 30)


def test_partitions_module_does_not_import_pyarrow():
    code = "import sys, census.storage.partitions; sys.exit(1 if 'pyarrow' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# ------------------------------------------------------------------ slot maps


def test_slot_map_appends_new_meters_in_order():
    slot_map = empty_slot_map("electricity", "430102").with_meters(["b", "a", "b"])
    assert slot_map.slot_of() == {"b": 0, "a": 1}


def test_slot_map_keeps_slots_of_known_meters():
    slot_map = SlotMap("electricity", "430102", ("a", "b")).with_meters(["c", "a"])
    assert slot_map.slot_of() == {"a": 0, "b": 1, "c": 2}


def test_slot_map_unchanged_returns_same_object():
    slot_map = SlotMap("electricity", "430102", ("a",))
    assert slot_map.with_meters(["a"]) is slot_map


def test_slot_map_released_slot_never_reused():
    slot_map = SlotMap("electricity", "430102", ("a", "b")).without_meters(["a"]).with_meters(["c"])
    assert slot_map.meters == (None, "b", "c")


def test_slot_map_round_trips_json():
    slot_map = SlotMap("water", "430105", ("a", None, "c"))
    assert SlotMap.from_json(slot_map.to_json()) == slot_map
