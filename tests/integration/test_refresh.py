"""The red dot refresh against moto, on real London household consumption (Low Carbon London, daily kWh).

Homes are queried through the query path as of 2013-08-10; then the days up
to 2013-08-20 are published one at a time, each followed by the refresh
function's S3 event. Each entry's code must then be what a fresh query
computes, and exactly the entries whose code differs from the code seen at
query time carry the changed mark.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from census.dal import history as history_store
from census.dal import publications
from census.dal.history import HistoryEntry
from census.dal.models import Meter
from census.domain.occupancy import load_config
from census.services import history, query
from census.storage import batch
from census.storage.partitions import RECORD_SIZE, county_day_from_rows, encode_county_day, put_county_day
from local.s3_events import object_created_event
from tests.helpers import lambda_context, load_function

DATA = Path(__file__).resolve().parents[2] / "data" / "electricity" / "lcl_daily_fixture.csv"
COUNTY = "430102"
OTHER_COUNTY = "430103"
HOMES = 30
FIRST_DAY = date(2013, 6, 1)
QUERY_DAY = date(2013, 8, 10)
LAST_DAY = date(2013, 8, 20)
WINDOW_DAYS = 56


def read_daily_fixture() -> dict[str, dict[date, float]]:
    readings: dict[str, dict[date, float]] = defaultdict(dict)
    with DATA.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            readings[row["meter_id"]][date.fromisoformat(row["timestamp"][:10])] = float(row["kwh"])
    return readings


READINGS = read_daily_fixture()
HOME_IDS = sorted(READINGS)[:HOMES]


def meter_number(slot: int, county: str = COUNTY) -> str:
    return f"{county}0000000000{slot:06d}"


class County:
    """A county whose meters are the first HOMES homes of the fixture, slot i for home i."""

    def __init__(self, aws, county: str = COUNTY) -> None:
        self.aws = aws
        self.county = county
        self.s3 = aws_s3()
        now = datetime.now(UTC)
        for slot in range(HOMES):
            Meter(
                meter_number(slot, county),
                utility="electricity",
                household_id=f"H{county}{slot:04d}",
                area_code=f"{county}001001",
                county=county,
                customer_type="residential",
                status="in_service",
                slot=slot,
                updated_at=now,
                upload_key="uploads/utility/registry/manifest.json",
            ).save()

    def publish(self, day: date) -> str:
        """Publish the day's real readings and write the signal; return the signal key."""
        totals = np.array([READINGS[home].get(day, np.nan) for home in HOME_IDS], dtype=np.float32)
        records = county_day_from_rows(HOMES, np.arange(HOMES), totals=totals)
        encoded = encode_county_day(records)
        written = put_county_day(self.s3, self.aws.bucket, "electricity", self.county, day, encoded)
        now = datetime.now(UTC)
        published = publications.publish_day(
            "electricity",
            self.county,
            day,
            object_key=written.key,
            slots=written.slots,
            checksum=written.checksum,
            upload_key=f"uploads/utility/consumption/{day}/manifest.json",
            now=now,
        )
        return batch.write_published_day_signal(
            self.s3,
            self.aws.bucket,
            utility="electricity",
            county=self.county,
            day=day,
            object_key=published.item.object_key,
            checksum=published.item.checksum,
            published_at=now,
        )


def aws_s3():
    import boto3

    return boto3.client("s3", region_name="us-east-1")


def query_outcome(slot: int) -> query.QueryOutcome:
    """Return what POST /v1/queries computes for the home of `slot`, through the query path."""
    meter = Meter.get(meter_number(slot))
    return query.query_home(
        meter, s3=aws_s3(), bucket=_bucket(), window_days=WINDOW_DAYS, config=load_config()
    )


def _bucket() -> str:
    from census import config

    return config.settings().bucket


def run_refresh(app, signal_key: str, bucket: str) -> dict:
    event = object_created_event(
        bucket=bucket, key=signal_key, size=100, etag="0", region="us-east-1", configuration_id="DayPublished"
    )
    result = app.lambda_handler(event, lambda_context("refresh"))
    assert len(result["reports"]) == 1
    return result["reports"][0]


# Homes 10-19 are in both lists.
LISTS = {"E001": range(20), "E002": range(10, 30)}
LISTED_ENTRIES = 40


@pytest.fixture
def listed(aws):
    """E001 and E002 list their homes, queried as of QUERY_DAY; returns the codes they saw."""
    county = County(aws)
    day = FIRST_DAY
    while day <= QUERY_DAY:
        county.publish(day)
        day += timedelta(days=1)
    now = datetime.now(UTC)
    outcomes = {slot: query_outcome(slot) for slot in range(HOMES)}
    seen: dict[tuple[str, str], str] = {}
    for person_id, slots in LISTS.items():
        for slot in slots:
            entry = history.record_query(
                person_id=person_id, outcome=outcomes[slot], now=now, expires_at=None
            )
            seen[(person_id, entry.meter_number)] = entry.code
    return county, seen


@pytest.fixture
def app(aws):
    return load_function("refresh")


def visible_entries() -> list[HistoryEntry]:
    now = datetime.now(UTC)
    return [entry for entry in HistoryEntry.scan() if history_store.is_visible(entry, now)]


def publish_and_refresh(county: County, app, first: date, last: date) -> list[dict]:
    reports = []
    day = first
    while day <= last:
        reports.append(run_refresh(app, county.publish(day), county.aws.bucket))
        day += timedelta(days=1)
    return reports


def test_refresh_marks_exactly_changed_homes(aws, listed, app):
    county, seen = listed
    publish_and_refresh(county, app, QUERY_DAY + timedelta(days=1), LAST_DAY)

    entries = visible_entries()
    assert len(entries) == LISTED_ENTRIES
    codes = {slot: query_outcome(slot).result.code for slot in range(HOMES)}
    marked = 0
    for entry in entries:
        before = seen[(entry.person_id, entry.meter_number)]
        assert entry.code == codes[int(entry.meter_number[-6:])], entry.meter_number
        assert entry.as_of == LAST_DAY.isoformat()
        assert entry.seen_code == before
        assert entry.changed == (entry.code != before), entry.meter_number
        marked += entry.changed
    # The real data must move some homes and leave others, or the test proves nothing.
    assert 0 < marked < len(entries)


def test_refresh_reads_each_listed_partition_once(aws, listed, app):
    county, _ = listed
    other = County(aws, OTHER_COUNTY)
    other.publish(QUERY_DAY)
    report = run_refresh(app, county.publish(QUERY_DAY + timedelta(days=1)), aws.bucket)
    assert report["series"] == f"electricity#{COUNTY}"
    assert report["series_read"] == [f"electricity#{COUNTY}"]
    assert report["partitions_read"] == WINDOW_DAYS
    assert report["entries"] == LISTED_ENTRIES
    assert report["homes"] == HOMES
    assert report["meters_classified"] == HOMES


def test_refresh_reads_only_span_of_listed_slots(aws, listed, app):
    county, _ = listed
    for entry in visible_entries():
        if entry.meter_number not in (meter_number(5), meter_number(9)):
            history_store.delete_entry(entry.person_id, entry.meter_number, datetime.now(UTC))
    report = run_refresh(app, county.publish(QUERY_DAY + timedelta(days=1)), aws.bucket)
    assert report["partitions_read"] == WINDOW_DAYS
    # Slots 5 to 9: five records of each day.
    assert report["bytes_read"] == WINDOW_DAYS * 5 * RECORD_SIZE


def test_refresh_without_listed_homes_reads_nothing(aws, app):
    county = County(aws, OTHER_COUNTY)
    report = run_refresh(app, county.publish(QUERY_DAY), aws.bucket)
    assert report["entries"] == 0
    assert report["partitions_read"] == 0
    assert report["marked"] == 0


def test_refresh_retry_marks_nothing_twice(aws, listed, app):
    county, _ = listed
    reports = publish_and_refresh(county, app, QUERY_DAY + timedelta(days=1), LAST_DAY)
    assert sum(report["marked"] for report in reports) > 0
    before = {(entry.person_id, entry.meter_number): entry.changed_at for entry in visible_entries()}

    retry = run_refresh(app, batch.published_day_key("electricity", COUNTY, LAST_DAY), aws.bucket)

    assert retry["marked"] == 0
    assert retry["updated"] == 0
    assert retry["cleared"] == 0
    assert retry["unchanged"] == LISTED_ENTRIES
    after = {(entry.person_id, entry.meter_number): entry.changed_at for entry in visible_entries()}
    assert after == before


def test_refresh_writes_report_object(aws, listed, app):
    county, _ = listed
    report = run_refresh(app, county.publish(QUERY_DAY + timedelta(days=1)), aws.bucket)
    key = batch.refresh_report_key("electricity", COUNTY, QUERY_DAY + timedelta(days=1))
    stored = json.loads(aws_s3().get_object(Bucket=aws.bucket, Key=key)["Body"].read())
    assert stored == report


def test_refresh_viewed_entry_stays_clear(aws, listed, app):
    county, _ = listed
    publish_and_refresh(county, app, QUERY_DAY + timedelta(days=1), LAST_DAY)
    changed = next(entry for entry in visible_entries() if entry.changed)
    viewed = history.view_entry(changed.person_id, changed.meter_number, datetime.now(UTC))
    assert viewed.changed is True

    run_refresh(app, batch.published_day_key("electricity", COUNTY, LAST_DAY), aws.bucket)

    stored = HistoryEntry.get(changed.person_id, changed.meter_number)
    assert stored.changed is False
    assert stored.seen_code == stored.code


def test_refresh_marks_only_person_who_saw_other_code(aws, listed, app):
    county, _ = listed
    publish_and_refresh(county, app, QUERY_DAY + timedelta(days=1), LAST_DAY)
    shared = [
        entry.meter_number
        for entry in visible_entries()
        if entry.person_id == "E001" and entry.changed and int(entry.meter_number[-6:]) in LISTS["E002"]
    ]
    assert shared
    number = shared[0]
    history.view_entry("E001", number, datetime.now(UTC))
    assert HistoryEntry.get("E001", number).changed is False
    assert HistoryEntry.get("E002", number).changed is True


def test_refresh_skips_expired_and_deleted_entries(aws, listed, app):
    county, _ = listed
    now = datetime.now(UTC)
    expired = HistoryEntry.get("E001", meter_number(0))
    expired.update(actions=[HistoryEntry.expires_at.set(int(now.timestamp()) - 10)])
    history_store.delete_entry("E001", meter_number(1), now)

    report = run_refresh(app, county.publish(QUERY_DAY + timedelta(days=1)), aws.bucket)

    assert report["entries"] == LISTED_ENTRIES - 2
    assert HistoryEntry.get("E001", meter_number(0)).as_of == QUERY_DAY.isoformat()
    assert history_store.get_entry("E001", meter_number(1), now) is None


def test_refresh_entry_requeried_meanwhile_not_overwritten(aws, listed):
    county, _ = listed
    stale = HistoryEntry.get("E001", meter_number(3))
    county.publish(QUERY_DAY + timedelta(days=1))
    history.record_query(person_id="E001", outcome=query_outcome(3), now=datetime.now(UTC), expires_at=None)
    fresh = HistoryEntry.get("E001", meter_number(3))

    written = history_store.apply_refresh(
        stale,
        code="RED" if fresh.code != "RED" else "GREEN",
        reason="test",
        tags=[],
        as_of=QUERY_DAY + timedelta(days=1),
        changed=True,
        now=datetime.now(UTC),
    )

    assert written is False
    assert HistoryEntry.get("E001", meter_number(3)).code == fresh.code


def test_refresh_ignores_other_keys(aws, app):
    event = object_created_event(
        bucket=aws.bucket,
        key="state/slots/electricity/430102/abc.json",
        size=10,
        etag="0",
        region="us-east-1",
        configuration_id="DayPublished",
    )
    assert app.lambda_handler(event, lambda_context("refresh")) == {"reports": []}
