"""Benchmark: the red dot refresh for many listed homes in a province of many meters.

Builds, in an in-process moto, a province of --meters meters in --counties
counties of equal size, with --days published days per county. Every county-day
object is written as the ingest writes it; its values are real household
consumption from the project's fixtures, repeated across slots with shifted
days: even slots take an hourly Sydney home (Smart Grid Smart City), odd slots
a daily London home (Low Carbon London).

Then, for each scenario, it lists homes in people's lists (200 per person, as
the quota allows), with the code each home had on the last published day as
the code the person saw. It publishes one more day in every county and runs
the refresh of every county, as the published-day signals would, and reports
per scenario:

- the wall-clock time of all refreshes together and of their phases (the
  history scan, the registry read plus S3 reads plus classification, the
  entry writes);
- the S3 GETs and bytes, counted by a wrapper around the S3 client, so not
  taken from the refresh's own report;
- the entries marked changed.

Scenarios: `spread` lists --listed homes spread over every county; `two`
lists --listed homes in 2 counties; `few` lists 1,000 homes of 1 county.

moto is not AWS: its DynamoDB calls cost milliseconds of Python each, so the
scan and write phases measure moto rather than DynamoDB.

    .venv/bin/python scripts/bench_refresh.py [--meters 1000000] [--counties 10] [--listed 100000]
        [--days 56] [--scenario spread --scenario two --scenario few]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

DATA = ROOT / "data" / "electricity"
FIRST_DAY = date(2026, 8, 1)
STACK = "census-bench"
HOMES_PER_PERSON = 200
FEW_LISTED = 1_000


def set_environment() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "POWERTOOLS_SERVICE_NAME": "census",
            "POWERTOOLS_METRICS_NAMESPACE": "CensusOccupancy",
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3"):
        os.environ.pop(name, None)


# ---------------------------------------------------------------- real consumption


@dataclass(frozen=True)
class RealData:
    """Hourly homes (home, day, hour) and daily homes (home, day), NaN where the fixture has no row."""

    hourly: Any
    daily: Any


def load_real_data() -> RealData:
    import numpy as np

    def read(path: Path) -> dict[str, dict[tuple[str, int], float]]:
        values: dict[str, dict[tuple[str, int], float]] = defaultdict(dict)
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                stamp = row["timestamp"]
                values[row["meter_id"]][(stamp[:10], int(stamp[11:13]))] = float(row["kwh"])
        return values

    hourly_rows = read(DATA / "sgsc_hourly_fixture55.csv")
    hourly_days = sorted({day for rows in hourly_rows.values() for day, _ in rows})
    hourly = np.full((len(hourly_rows), len(hourly_days), 24), np.nan, dtype=np.float32)
    day_index = {day: index for index, day in enumerate(hourly_days)}
    for home, rows in enumerate(hourly_rows.values()):
        for (day, hour), kwh in rows.items():
            hourly[home, day_index[day], hour] = kwh

    daily_rows = read(DATA / "lcl_daily_fixture.csv")
    daily_days = sorted({day for rows in daily_rows.values() for day, _ in rows})
    daily = np.full((len(daily_rows), len(daily_days)), np.nan, dtype=np.float32)
    day_index = {day: index for index, day in enumerate(daily_days)}
    for home, rows in enumerate(daily_rows.values()):
        for (day, _), kwh in rows.items():
            daily[home, day_index[day]] = kwh
    return RealData(hourly=hourly, daily=daily)


def county_day_records(real: RealData, slots: int, county_index: int, day_number: int) -> Any:
    """Return the records of one county-day: real homes repeated, each slot on its own shifted day."""
    import numpy as np

    from census.storage.partitions import new_county_day

    records = new_county_day(slots)
    slot = np.arange(slots)
    hourly_slots = slot[0::2]
    daily_slots = slot[1::2]
    homes_h, days_h = real.hourly.shape[:2]
    shift_h = (hourly_slots * 7 + county_index * 3) % days_h
    hours = real.hourly[(hourly_slots // 2) % homes_h, (day_number + shift_h) % days_h]
    records["hours"][hourly_slots] = hours
    with np.errstate(invalid="ignore"):
        totals = np.where(np.isnan(hours).all(axis=1), np.nan, np.nansum(hours, axis=1))
    records["total"][hourly_slots] = totals
    homes_d, days_d = real.daily.shape
    shift_d = (daily_slots * 13 + county_index * 5) % days_d
    records["total"][daily_slots] = real.daily[(daily_slots // 2) % homes_d, (day_number + shift_d) % days_d]
    return records


# ---------------------------------------------------------------- province


def county_code(index: int) -> str:
    return f"4301{index + 1:02d}"


def meter_number(county: str, slot: int) -> str:
    return f"{county}000000{slot:010d}"


class CountingS3:
    """Pass-through S3 client that counts GetObject calls and the bytes they return."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.gets = 0
        self.bytes = 0
        self.meta = client.meta

    def get_object(self, **kwargs: Any) -> dict[str, Any]:
        response = self._client.get_object(**kwargs)
        body = response["Body"].read()
        self.gets += 1
        self.bytes += len(body)
        import io

        response["Body"] = io.BytesIO(body)
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def publish(s3: Any, bucket: str, real: RealData, county_index: int, slots: int, day_number: int) -> None:
    from census.dal import publications
    from census.storage import batch
    from census.storage.partitions import encode_county_day, put_county_day

    county = county_code(county_index)
    day = FIRST_DAY + timedelta(days=day_number)
    encoded = encode_county_day(county_day_records(real, slots, county_index, day_number))
    written = put_county_day(s3, bucket, "electricity", county, day, encoded)
    now = datetime.now(UTC)
    publications.publish_day(
        "electricity",
        county,
        day,
        object_key=written.key,
        slots=written.slots,
        checksum=written.checksum,
        upload_key=f"uploads/utility/bench/{county}/{day}/manifest.json",
        now=now,
    )
    batch.write_published_day_signal(
        s3,
        bucket,
        utility="electricity",
        county=county,
        day=day,
        object_key=written.key,
        checksum=written.checksum,
        published_at=now,
    )


# ---------------------------------------------------------------- lists


def recreate_history_table(session: Any, resources: Any) -> None:
    from local.resources import _create_table, load_template

    name = resources.tables["HistoryTable"]
    dynamodb = session.client("dynamodb")
    dynamodb.delete_table(TableName=name)
    _create_table(dynamodb, name, load_template()["Resources"]["HistoryTable"]["Properties"])


def listed_slots(scenario: str, *, counties: int, per_county: int, listed: int, seed: int) -> dict[int, Any]:
    """Return county index -> sorted slots of the listed homes, drawn at random."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if scenario == "spread":
        shares = {index: listed // counties for index in range(counties)}
    elif scenario == "two":
        shares = {0: listed // 2, 1: listed - listed // 2}
    elif scenario == "few":
        shares = {0: FEW_LISTED}
    else:
        raise ValueError(f"unknown scenario {scenario!r}")
    return {
        index: np.sort(rng.choice(per_county, size=count, replace=False)) for index, count in shares.items()
    }


def seed_lists(
    s3: Any, bucket: str, chosen: dict[int, Any], *, window_days: int, config: Any, registered: set[str]
) -> int:
    """Write registry items and list entries of the chosen homes, with the code of the last published day."""
    from census.dal import meters, publications
    from census.dal.history import HistoryEntry
    from census.dal.models import Meter, series_key
    from census.domain.occupancy import classify
    from census.storage import batch

    now = datetime.now(UTC)
    person = 0
    entries = 0
    with HistoryEntry.batch_write() as writer:
        for county_index, slots in sorted(chosen.items()):
            county = county_code(county_index)
            new_meters = [
                Meter(
                    meter_number(county, int(slot)),
                    utility="electricity",
                    household_id=f"H{county}{int(slot):08d}",
                    area_code=f"{county}001001",
                    county=county,
                    customer_type="residential",
                    status="in_service",
                    slot=int(slot),
                    updated_at=now,
                    upload_key="uploads/utility/bench/registry/manifest.json",
                )
                for slot in slots
                if meter_number(county, int(slot)) not in registered
            ]
            meters.write_meters(new_meters)
            registered.update(meter.meter_number for meter in new_meters)
            published = publications.latest_days("electricity", county, limit=window_days)
            window = batch.read_histories(s3, bucket, published, slots, "electricity", window_days)
            for slot in slots:
                result = classify(window.history(int(slot)), config=config)
                number = meter_number(county, int(slot))
                writer.save(
                    HistoryEntry(
                        f"E{person // HOMES_PER_PERSON:05d}",
                        number,
                        utility="electricity",
                        area_code=f"{county}001001",
                        household_id=f"H{county}{int(slot):08d}",
                        household_meters=[number],
                        series=[series_key("electricity", county)],
                        code=result.code,
                        reason=result.reason,
                        tags=list(result.tags),
                        as_of=result.as_of.isoformat(),
                        seen_code=result.code,
                        changed=False,
                        first_query_at=now,
                        last_query_at=now,
                        query_count=1,
                        favourite=False,
                    )
                )
                person += 1
                entries += 1
    return entries


# ---------------------------------------------------------------- run


@dataclass
class ScenarioResult:
    scenario: str
    listed: int
    counties_listed: int
    seconds: float = 0.0
    seconds_scan: float = 0.0
    seconds_classify: float = 0.0
    seconds_write: float = 0.0
    gets: int = 0
    bytes: int = 0
    marked: int = 0
    reported_gets: int = 0
    per_county: list[dict[str, Any]] = field(default_factory=list)


def run_scenario(
    scenario: str,
    *,
    session: Any,
    resources: Any,
    counting: CountingS3,
    real: RealData,
    args: argparse.Namespace,
    day_number: int,
    registered: set[str],
) -> ScenarioResult:
    from census.domain.occupancy import load_config
    from census.services import refresh

    config = load_config()
    per_county = args.meters // args.counties
    recreate_history_table(session, resources)
    chosen = listed_slots(
        scenario, counties=args.counties, per_county=per_county, listed=args.listed, seed=args.seed
    )
    started = time.perf_counter()
    entries = seed_lists(
        counting, resources.bucket, chosen, window_days=args.days, config=config, registered=registered
    )
    print(f"  {scenario}: {entries} entries written in {time.perf_counter() - started:.0f} s", flush=True)

    for county_index in range(args.counties):
        publish(counting, resources.bucket, real, county_index, per_county, day_number)

    result = ScenarioResult(scenario, entries, len(chosen))
    options = refresh.RefreshOptions(
        window_days=args.days,
        config=config,
        parallel_writes=args.write_threads,
        scan_segments=args.scan_segments,
    )
    counting.gets = 0
    counting.bytes = 0
    day = FIRST_DAY + timedelta(days=day_number)
    started = time.perf_counter()
    for county_index in range(args.counties):
        report = refresh.refresh_series(
            utility="electricity",
            county=county_code(county_index),
            day=day,
            s3=counting,
            bucket=resources.bucket,
            options=options,
            now=datetime.now(UTC),
        )
        result.seconds_scan += report.seconds_scan
        result.seconds_classify += report.seconds_classify
        result.seconds_write += report.seconds_write
        result.marked += report.marked
        result.reported_gets += report.partitions_read
        result.per_county.append(report.as_dict())
    result.seconds = time.perf_counter() - started
    result.gets = counting.gets
    result.bytes = counting.bytes
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meters", type=int, default=1_000_000, help="meters in the province")
    parser.add_argument("--counties", type=int, default=10, help="counties of equal size")
    parser.add_argument("--listed", type=int, default=100_000, help="listed homes in `spread` and `two`")
    parser.add_argument("--days", type=int, default=56, help="published days per county, also the window")
    parser.add_argument("--scenario", action="append", choices=["spread", "two", "few"], help="repeatable")
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--write-threads", type=int, default=8, help="entry writes in flight at once")
    parser.add_argument("--scan-segments", type=int, default=4, help="segments of the history scan")
    args = parser.parse_args(argv)
    scenarios = args.scenario or ["spread", "two", "few"]

    set_environment()
    import boto3
    from moto import mock_aws

    from local.resources import create_resources

    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        resources = create_resources(session, stack=STACK)
        os.environ.update(resources.env)
        os.environ["WINDOW_DAYS"] = str(args.days)

        from census import config
        from census.dal import history as _history  # noqa: F401 - registers HistoryEntry
        from census.dal import models

        config.settings.cache_clear()
        models.configure(config.settings().tables)

        real = load_real_data()
        counting = CountingS3(session.client("s3"))
        per_county = args.meters // args.counties
        started = time.perf_counter()
        for day_number in range(args.days):
            for county_index in range(args.counties):
                publish(counting, resources.bucket, real, county_index, per_county, day_number)
        print(
            f"province: {args.meters} meters, {args.counties} counties, {args.days} days published "
            f"in {time.perf_counter() - started:.0f} s",
            flush=True,
        )

        registered: set[str] = set()
        results = []
        for number, scenario in enumerate(scenarios):
            results.append(
                run_scenario(
                    scenario,
                    session=session,
                    resources=resources,
                    counting=counting,
                    real=real,
                    args=args,
                    day_number=args.days + number,
                    registered=registered,
                )
            )

    print()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"province: {args.meters:,} meters in {args.counties} counties, window {args.days} days")
    print()
    print("| scenario | listed homes | counties with listed homes | S3 GETs | MB read | entries marked "
          "| refresh s | scan s | read+classify s | write s |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for item in results:
        print(
            f"| {item.scenario} | {item.listed:,} | {item.counties_listed} | {item.gets:,} "
            f"| {item.bytes / 1e6:,.0f} | {item.marked:,} | {item.seconds:,.0f} | {item.seconds_scan:,.0f} "
            f"| {item.seconds_classify:,.0f} | {item.seconds_write:,.0f} |"
        )
        if item.gets != item.reported_gets:
            print(f"  the refresh reported {item.reported_gets} GETs, the wrapper counted {item.gets}")


if __name__ == "__main__":
    main()
