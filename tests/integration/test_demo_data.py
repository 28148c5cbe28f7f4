"""The demo uploads: built from the real traces in data/, ingested without a rejected row."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import boto3
import numpy as np
import pytest

from census.dal import publications
from census.dal.meters import get_meter
from census.domain.areas import validate_area_code
from census.domain.meters import meter_number_from_utility_file
from census.ingest.upload import ingest_upload
from census.storage.partitions import read_meter_history
from local.demo_data import DEFAULT_DATA_DIR, VILLAGES, build_demo_uploads, demo_registry, put_upload

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def uploads():
    return build_demo_uploads()


@pytest.fixture(scope="module")
def registry():
    return demo_registry()


def trace(path: str) -> dict[str, list[tuple[str, float]]]:
    rows: dict[str, list[tuple[str, float]]] = defaultdict(list)
    with (DEFAULT_DATA_DIR / path).open(encoding="utf-8", newline="") as handle:
        for meter_id, timestamp, value in list(csv.reader(handle))[1:]:
            rows[meter_id].append((timestamp, float(value)))
    return rows


def test_demo_reads_project_data_folder():
    assert DEFAULT_DATA_DIR == REPO / "data"


def test_registry_uploads_come_first(uploads):
    kinds = [upload.folder.split("/")[2] for upload in uploads]
    assert kinds[:4] == ["registry"] * 4
    assert set(kinds[4:]) == {"consumption"}


def test_manifest_is_last_object_of_each_upload(uploads):
    assert all(upload.files[-1][0] == "manifest.json" for upload in uploads)


def test_one_upload_per_county_and_day(uploads):
    days = Counter(upload.folder for upload in uploads)
    assert max(days.values()) == 1
    assert len(uploads) == 4 + 120 + 90 + 29 + 90


def test_demo_build_is_deterministic(uploads):
    assert build_demo_uploads(DEFAULT_DATA_DIR) == uploads


def test_meter_numbers_fit_their_utility(registry):
    for meter in registry:
        assert meter_number_from_utility_file(meter.meter_number, meter.utility) == meter.meter_number


def test_meter_numbers_and_traces_unique(registry):
    assert len({meter.meter_number for meter in registry}) == len(registry)
    assert len({(meter.area_code[:6], meter.source_meter_id) for meter in registry}) == len(registry)


def test_counties_get_their_traces(registry):
    counties = Counter(meter.area_code[:6] for meter in registry)
    assert counties == {"430102": 159, "430103": 55, "430104": 1, "430105": 58}
    assert {meter.utility for meter in registry if meter.area_code.startswith("430105")} == {"water"}


def test_areas_are_the_listed_villages(registry):
    for meter in registry:
        assert validate_area_code(meter.area_code) == meter.area_code
        assert meter.area_code in VILLAGES[meter.area_code[:6]]
    assert {meter.area_code for meter in registry} == {code for codes in VILLAGES.values() for code in codes}


def test_three_rows_are_not_queryable(registry):
    kinds = Counter((meter.customer_type, meter.status) for meter in registry)
    assert kinds[("business", "in_service")] == 1
    assert kinds[("residential", "removed")] == 1
    assert kinds[("residential", "terminated")] == 1
    assert kinds[("residential", "in_service")] == len(registry) - 3


def test_not_queryable_rows_have_real_traces(registry):
    london = trace("electricity/lcl_daily_fixture.csv")
    special = [
        meter for meter in registry if (meter.customer_type, meter.status) != ("residential", "in_service")
    ]
    assert all(meter.source_meter_id in london for meter in special)


def test_two_households_have_two_electricity_meters(registry):
    households = defaultdict(list)
    for meter in registry:
        households[meter.household_id].append(meter)
    pairs = [meters for meters in households.values() if len(meters) == 2]
    assert len(pairs) == 2
    assert all({meter.utility for meter in pair} == {"electricity"} for pair in pairs)
    assert all(len({meter.area_code for meter in pair}) == 1 for pair in pairs)


def test_water_registry_uploaded_as_gbk(uploads):
    water = next(upload for upload in uploads if upload.folder.startswith("uploads/utility/registry/water/"))
    files = dict(water.files)
    assert json.loads(files["manifest.json"])["encoding"] == "gbk"
    assert "在运".encode("gbk") in files["registry.csv"]


# ------------------------------------------------------------------ ingested


def history_of(aws, meter, window: int, as_of: date):
    county = meter.area_code[:6]
    published = [
        item
        for item in publications.latest_days(meter.utility, county, limit=400)
        if date.fromisoformat(item.day) <= as_of
    ][:window]
    slot = int(get_meter(meter.meter_number).slot)
    return read_meter_history(boto3.client("s3"), aws.bucket, published, slot, meter.utility, window)


@pytest.mark.slow
def test_demo_uploads_ingest_without_rejections(aws, uploads, registry):
    s3 = boto3.client("s3")
    outcomes = Counter()
    rejected = 0
    for upload in uploads:
        report = ingest_upload(s3, aws.bucket, put_upload(s3, aws.bucket, upload))
        outcomes[report.outcome] += 1
        rejected += report.rejected_total
    assert outcomes == {"applied": 4, "published": len(uploads) - 4}
    assert rejected == 0

    by_source = {meter.source_meter_id: meter for meter in registry}

    # A London daily home: the day total is the trace's daily value.
    daily = history_of(aws, by_source["MAC000005"], 1, date(2013, 6, 1))
    assert daily.daily[0] == pytest.approx(trace("electricity/lcl_daily_fixture.csv")["MAC000005"][0][1])
    assert daily.hourly is None

    # A London hourly home: 24 hours and their sum.
    hourly_home = trace("electricity/lcl_hourly_9hh_2013-06-01_09-28.csv")["MAC000002"]
    first_day = [value for timestamp, value in hourly_home if timestamp.startswith("2013-06-01")]
    hourly = history_of(aws, by_source["MAC000002"], 1, date(2013, 6, 1))
    assert np.allclose(hourly.hourly[0], first_day, atol=1e-5)
    assert hourly.daily[0] == pytest.approx(sum(first_day), rel=1e-5)

    # The Swiss 15-minute home: an hour is the sum of its four quarters.
    eco_rows = trace("electricity/eco_h02_elec_15min_2012-06.csv")["ECO_H02"]
    quarters = [value for timestamp, value in eco_rows if timestamp.startswith("2012-06-02T13")]
    eco = history_of(aws, by_source["ECO_H02"], 1, date(2012, 6, 2))
    assert len(quarters) == 4
    assert eco.hourly[0][13] == pytest.approx(sum(quarters), rel=1e-5)

    # A water home, in litres.
    water_id = sorted(trace("water/daiad_water_hourly_fixture58.csv"))[0]
    water_rows = trace("water/daiad_water_hourly_fixture58.csv")[water_id]
    water_day = [value for timestamp, value in water_rows if timestamp.startswith("2016-07-02")]
    water = history_of(aws, by_source[water_id], 1, date(2016, 7, 2))
    assert water.utility == "water"
    assert np.nansum(water.hourly[0]) == pytest.approx(sum(water_day), rel=1e-5)
