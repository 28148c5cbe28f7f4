"""Consumption ingest against moto: publish, repeat, correct, fail half-way, report."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import boto3
import numpy as np
import pytest

from census.dal import publications
from census.ingest.upload import ingest_upload
from census.storage.partitions import RECORD_SIZE, read_county_day, read_meter_history
from local.demo_data import build_upload, csv_bytes, electricity_meter_number, put_upload

DAY = date(2026, 11, 1)
COUNTY = "430102"
REGISTRY_HEADER = ("meter_number", "utility", "household_id", "area_code", "customer_type", "status")
HEADER = ("meter_number", "timestamp", "value")


def meter(sequence: int) -> str:
    return electricity_meter_number(COUNTY, sequence)


def ingest(aws, upload):
    s3 = boto3.client("s3")
    return ingest_upload(s3, aws.bucket, put_upload(s3, aws.bucket, upload))


def register(aws, sequences, batch: str | None = None) -> None:
    rows = [
        (meter(n), "electricity", f"HH{n}", f"{COUNTY}001001", "residential", "in_service") for n in sequences
    ]
    data, count = csv_bytes(REGISTRY_HEADER, rows)
    upload = build_upload(
        "registry", "electricity", COUNTY, DAY, [("registry.csv", data, count)], batch=batch
    )
    assert ingest(aws, upload).outcome == "applied"


def hourly_rows(sequences, day: date = DAY, scale: float = 1.0) -> list[tuple[str, str, str]]:
    return [
        (meter(n), f"{day.isoformat()}T{h:02d}:00:00+08:00", f"{scale * (n + h / 100):.3f}")
        for n in sequences
        for h in range(24)
    ]


def consumption_upload(rows, day: date = DAY, batch: str | None = None, name: str = "hourly.csv", **options):
    data, count = csv_bytes(HEADER, rows, compress=options.pop("compress", False))
    fields = {"reading_type": "interval", "unit": "kWh", "interval_minutes": 60, **options}
    return build_upload(
        "consumption", "electricity", COUNTY, day, [(name, data, count)], batch=batch, **fields
    )


def stored_report(aws, upload) -> dict:
    body = boto3.client("s3").get_object(Bucket=aws.bucket, Key=upload.folder + "report.json")["Body"].read()
    return json.loads(body)


def object_keys(aws) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=aws.bucket)
    return sorted(entry["Key"] for entry in listed.get("Contents", []))


def publication_items() -> list[dict]:
    return [item.attribute_values for item in publications.latest_days("electricity", COUNTY, limit=100)]


def history(aws, sequence: int, window: int = 3):
    published = publications.latest_days("electricity", COUNTY, limit=window)
    slot = sequence - 1
    return read_meter_history(boto3.client("s3"), aws.bucket, published, slot, "electricity", window)


@pytest.fixture
def registered(aws):
    register(aws, [1, 2, 3])
    return aws


# ------------------------------------------------------------------ publishing


def test_day_published_under_content_hash(registered):
    report = ingest(registered, consumption_upload(hourly_rows([1, 2, 3])))
    item = publications.get_day("electricity", COUNTY, DAY)
    body = boto3.client("s3").get_object(Bucket=registered.bucket, Key=item.object_key)["Body"].read()
    assert report.outcome == "published"
    assert item.object_key == f"published/electricity/{COUNTY}/2026-11-01/{item.checksum}.bin"
    assert hashlib.sha256(body).hexdigest() == item.checksum
    assert len(body) == 3 * RECORD_SIZE
    assert int(item.slots) == 3
    assert int(item.record_format) == 1


def test_published_records_hold_hours_and_total(registered):
    ingest(registered, consumption_upload(hourly_rows([1, 2, 3])))
    result = history(registered, 2, window=1)
    expected = np.array([2 + h / 100 for h in range(24)])
    assert np.allclose(result.hourly[0], expected, atol=1e-5)
    assert result.daily[0] == pytest.approx(expected.sum(), rel=1e-6)


def test_meter_without_rows_published_missing(registered):
    ingest(registered, consumption_upload(hourly_rows([1, 3])))
    records = read_county_day(boto3.client("s3"), registered.bucket, publication_items()[0]["object_key"])
    assert np.isnan(records["total"][1])
    assert np.isfinite(records["total"][0])


def test_gzip_upload_published(registered):
    report = ingest(
        registered, consumption_upload(hourly_rows([1]), name="hourly.csv.gz", compress=True, gzip=True)
    )
    assert report.outcome == "published"
    assert report.counts["accepted_rows"] == 24


def test_late_upload_of_older_day_fills_gap(registered):
    ingest(registered, consumption_upload(hourly_rows([1], DAY + timedelta(days=2)), DAY + timedelta(days=2)))
    ingest(registered, consumption_upload(hourly_rows([1])))
    assert [item["day"] for item in publication_items()] == ["2026-11-03", "2026-11-01"]
    result = history(registered, 1)
    assert np.isfinite(result.daily[0])
    assert np.isnan(result.daily[1])


def test_latest_days_excludes_slot_map_pointer(registered):
    ingest(registered, consumption_upload(hourly_rows([1])))
    assert [item["day"] for item in publication_items()] == ["2026-11-01"]


def test_meter_registered_later_missing_on_earlier_days(registered):
    ingest(registered, consumption_upload(hourly_rows([1, 2, 3])))
    register(registered, [4], batch="later")
    next_day = DAY + timedelta(days=1)
    ingest(registered, consumption_upload(hourly_rows([1, 4], next_day), next_day))
    result = history(registered, 4, window=2)
    assert np.isnan(result.daily[0])
    assert np.isfinite(result.daily[1])


# ------------------------------------------------------------------ repeats and corrections


def test_repeated_upload_changes_nothing(registered):
    upload = consumption_upload(hourly_rows([1, 2, 3]))
    ingest(registered, upload)
    keys, items = object_keys(registered), publication_items()
    s3 = boto3.client("s3")
    written: list[str] = []
    s3.meta.events.register(
        "provide-client-params.s3.PutObject", lambda params, **kwargs: written.append(params["Key"])
    )
    report = ingest_upload(s3, registered.bucket, upload.manifest_key)
    assert report.outcome == "unchanged"
    assert object_keys(registered) == keys
    assert publication_items() == items
    assert written == [upload.folder + "report.json"]


def test_same_bytes_in_new_folder_change_nothing(registered):
    ingest(registered, consumption_upload(hourly_rows([1, 2])))
    published = [key for key in object_keys(registered) if key.startswith("published/")]
    items = publication_items()
    report = ingest(registered, consumption_upload(hourly_rows([1, 2]), batch="resent"))
    assert report.outcome == "unchanged"
    assert [key for key in object_keys(registered) if key.startswith("published/")] == published
    assert publication_items() == items


def test_corrected_upload_replaces_day(registered):
    ingest(registered, consumption_upload(hourly_rows([1, 2])))
    first = publications.get_day("electricity", COUNTY, DAY)
    report = ingest(registered, consumption_upload(hourly_rows([1, 2], scale=2.0), batch="correction"))
    second = publications.get_day("electricity", COUNTY, DAY)
    assert report.outcome == "replaced"
    assert second.object_key != first.object_key
    assert int(second.version) == int(first.version) + 1
    assert second.upload_key.endswith("correction/manifest.json")
    assert history(registered, 2, window=1).hourly[0][0] == pytest.approx(4.0)


def test_failed_flip_leaves_day_invisible(registered, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("dynamodb unavailable")

    monkeypatch.setattr("census.ingest.consumption.publications.publish_day", fail)
    upload = consumption_upload(hourly_rows([1, 2]))
    with pytest.raises(RuntimeError):
        ingest(registered, upload)
    assert publication_items() == []
    assert stored_report(registered, upload)["outcome"] == "failed"


def test_failed_correction_keeps_previous_day(registered, monkeypatch):
    ingest(registered, consumption_upload(hourly_rows([1, 2])))
    before = publication_items()

    def fail(*args, **kwargs):
        raise RuntimeError("dynamodb unavailable")

    monkeypatch.setattr("census.ingest.consumption.publications.publish_day", fail)
    with pytest.raises(RuntimeError):
        ingest(registered, consumption_upload(hourly_rows([1, 2], scale=3.0), batch="correction"))
    assert publication_items() == before
    assert history(registered, 1, window=1).hourly[0][0] == pytest.approx(1.0)


# ------------------------------------------------------------------ the report


def test_report_beside_manifest_lists_rejected_rows(registered):
    rows = [
        *hourly_rows([1]),
        ("1.43000143E+21", "2026-11-01T01:00:00+08:00", "0.3"),
        (meter(9), "2026-11-01T01:00:00+08:00", "0.3"),
        (meter(2), "2026-11-01T01:00:00+08:00", "-4"),
    ]
    upload = consumption_upload(rows)
    ingest(registered, upload)
    report = stored_report(registered, upload)
    assert report["outcome"] == "published"
    assert report["counts"]["accepted_rows"] == 24
    assert [(item["file"], item["line"], item["code"]) for item in report["rejected"]] == [
        ("hourly.csv", 26, "damaged_meter_number"),
        ("hourly.csv", 27, "unknown_meter"),
        ("hourly.csv", 28, "negative_value"),
    ]
    assert all(item["reason"] for item in report["rejected"])


def test_report_caps_listed_rejections_and_states_total(registered):
    bad = [(meter(1), f"2026-11-01T{h % 24:02d}:00:00+08:00", "-1") for h in range(1200)]
    upload = consumption_upload(bad + hourly_rows([2]))
    ingest(registered, upload)
    report = stored_report(registered, upload)
    assert report["rejected_total"] == 1200
    assert report["rejected_listed"] == 1000
    assert report["rejected_truncated"] is True
    assert report["rejected_by_reason"] == {"negative_value": 1200}


def test_checksum_mismatch_rejects_file_other_file_used(registered):
    good, good_rows = csv_bytes(HEADER, hourly_rows([1]))
    other, other_rows = csv_bytes(HEADER, hourly_rows([2]))
    upload = build_upload(
        "consumption",
        "electricity",
        COUNTY,
        DAY,
        [("a.csv", good, good_rows), ("b.csv", other, other_rows)],
        reading_type="interval",
        unit="kWh",
        interval_minutes=60,
    )
    s3 = boto3.client("s3")
    put_upload(s3, registered.bucket, upload)
    s3.put_object(Bucket=registered.bucket, Key=upload.folder + "b.csv", Body=other[: len(other) // 2])
    report = ingest_upload(s3, registered.bucket, upload.manifest_key)
    assert [file.status for file in report.files] == ["accepted", "rejected"]
    assert report.files[1].code == "checksum_mismatch"
    assert "SHA-256" in report.files[1].reason
    written = report.to_dict()["files"]
    assert written[1]["code"] == "checksum_mismatch"
    assert "code" not in written[0]
    assert report.counts["accepted_rows"] == 24


def test_only_unknown_meters_publishes_nothing(registered):
    report = ingest(registered, consumption_upload(hourly_rows([7, 8])))
    assert report.outcome == "nothing_published"
    assert publication_items() == []
    assert report.rejected_by_reason["unknown_meter"] == 48


def test_manifest_unit_not_allowed_for_utility_rejected(registered):
    report = ingest(registered, consumption_upload(hourly_rows([1]), unit="L"))
    assert report.outcome == "rejected"
    assert any("unit" in problem for problem in report.manifest_problems)


def test_two_sub_daily_intervals_in_one_upload_rejected(registered):
    data, count = csv_bytes(HEADER, hourly_rows([1]))
    upload = build_upload(
        "consumption",
        "electricity",
        COUNTY,
        DAY,
        [("a.csv", data, count, 60), ("b.csv", data, count, 15)],
        reading_type="interval",
        unit="kWh",
        interval_minutes=60,
    )
    report = ingest(registered, upload)
    assert report.outcome == "rejected"
    assert any("one interval shorter than a day" in problem for problem in report.manifest_problems)
