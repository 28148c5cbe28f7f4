"""What one meter's query reads from S3 is window_days records, whatever the county size and history.

Counties of 1,000 and 100,000 meters are published through the consumption
ingest from synthetic daily rows. The slot map is written directly, because a
registry upload of 100,000 rows through moto would only slow the test down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import boto3
import numpy as np
import pytest

from census.dal import publications
from census.ingest.upload import ingest_upload
from census.storage.partitions import RECORD_SIZE, SlotMap, put_slot_map, read_meter_history
from local.demo_data import build_upload, csv_bytes, electricity_meter_number, put_upload

COUNTY = "430102"
WINDOW = 30
NEWEST = date(2026, 11, 30)


@dataclass
class S3Reads:
    """Every S3 call a client makes, and the bytes its GetObject calls return."""

    operations: list[str] = field(default_factory=list)
    bytes_read: int = 0

    def attach(self, client) -> None:
        client.meta.events.register("before-call.s3", self._count_call)
        client.meta.events.register("after-call.s3.GetObject", self._count_bytes)

    def _count_call(self, model, **kwargs) -> None:
        self.operations.append(model.name)

    def _count_bytes(self, parsed, **kwargs) -> None:
        self.bytes_read += int(parsed["ContentLength"])


def value_of(slot: int, day: date) -> float:
    return round((slot % 97) / 10 + day.day / 100, 3)


def write_slot_map(bucket: str, meters: int) -> None:
    numbers = tuple(electricity_meter_number(COUNTY, sequence) for sequence in range(1, meters + 1))
    written = put_slot_map(boto3.client("s3"), bucket, SlotMap("electricity", COUNTY, numbers))
    publications.set_slot_map_pointer(
        "electricity",
        COUNTY,
        object_key=written.key,
        slots=written.slots,
        checksum=written.checksum,
        upload_key="synthetic",
        previous=None,
        now=datetime.now(UTC),
    )


def publish_days(bucket: str, meters: int, days: list[date]) -> None:
    s3 = boto3.client("s3")
    numbers = [electricity_meter_number(COUNTY, sequence) for sequence in range(1, meters + 1)]
    for day in days:
        rows = ((number, day.isoformat(), value_of(slot, day)) for slot, number in enumerate(numbers))
        data, count = csv_bytes(("meter_number", "timestamp", "value"), rows)
        upload = build_upload(
            "consumption",
            "electricity",
            COUNTY,
            day,
            [("daily.csv", data, count)],
            reading_type="interval",
            unit="kWh",
            interval_minutes=1440,
        )
        report = ingest_upload(s3, bucket, put_upload(s3, bucket, upload))
        assert report.outcome == "published"


def query_reads(bucket: str, slot: int) -> tuple[S3Reads, np.ndarray]:
    s3 = boto3.client("s3")
    reads = S3Reads()
    reads.attach(s3)
    published = publications.latest_days("electricity", COUNTY, limit=WINDOW)
    history = read_meter_history(s3, bucket, published, slot, "electricity", WINDOW)
    return reads, history.daily


def window(days: int, end: date) -> list[date]:
    return [end - timedelta(days=offset) for offset in range(days)]


@pytest.mark.slow
@pytest.mark.parametrize("meters", [1_000, 100_000])
def test_query_reads_window_records_at_any_size_and_history(aws, meters):
    write_slot_map(aws.bucket, meters)
    publish_days(aws.bucket, meters, window(WINDOW, NEWEST))

    for slot in (0, meters // 2, meters - 1):
        reads, daily = query_reads(aws.bucket, slot)
        assert reads.operations == ["GetObject"] * WINDOW
        assert reads.bytes_read == WINDOW * RECORD_SIZE
        assert daily[-1] == pytest.approx(value_of(slot, NEWEST), abs=1e-5)
        assert daily[0] == pytest.approx(value_of(slot, NEWEST - timedelta(days=WINDOW - 1)), abs=1e-5)

    # A history twice as long: the query still reads only the newest WINDOW days.
    publish_days(aws.bucket, meters, window(WINDOW, NEWEST - timedelta(days=WINDOW)))
    assert len(publications.latest_days("electricity", COUNTY, limit=3 * WINDOW)) == 2 * WINDOW
    for slot in (0, meters - 1):
        reads, daily = query_reads(aws.bucket, slot)
        assert reads.operations == ["GetObject"] * WINDOW
        assert reads.bytes_read == WINDOW * RECORD_SIZE
        assert daily[-1] == pytest.approx(value_of(slot, NEWEST), abs=1e-5)
