"""Registry ingest against moto: rows checked, slots handed out once, repeated uploads change nothing."""

from __future__ import annotations

import importlib.util
import json
from datetime import date
from pathlib import Path
from urllib.parse import quote_plus

import boto3
import pytest

from census.dal import publications
from census.dal.models import Meter
from census.ingest.upload import ingest_upload
from census.storage.partitions import read_slot_map
from local.demo_data import build_upload, csv_bytes, electricity_meter_number, put_upload

DAY = date(2026, 11, 1)
HEADER = ("meter_number", "utility", "household_id", "area_code", "customer_type", "status")
APP = Path(__file__).resolve().parents[2] / "functions" / "ingest" / "app.py"


def meter(sequence: int, county: str = "430102") -> str:
    return electricity_meter_number(county, sequence)


def row(sequence: int, *, county: str = "430102", village: str = "001001", **changes: str) -> tuple[str, ...]:
    values = {
        "meter_number": meter(sequence, county),
        "utility": "electricity",
        "household_id": f"HH{sequence:04d}",
        "area_code": f"{county}{village}",
        "customer_type": "residential",
        "status": "in_service",
    }
    values.update(changes)
    return tuple(values[column] for column in HEADER)


def registry_upload(
    rows, *, county: str = "430102", batch: str | None = None, encoding: str = "utf-8", **fields
):
    data, count = csv_bytes(HEADER, rows, encoding=encoding)
    return build_upload(
        "registry", "electricity", county, DAY, [("registry.csv", data, count)], batch=batch, **fields
    )


def ingest(aws, upload):
    s3 = boto3.client("s3")
    return ingest_upload(s3, aws.bucket, put_upload(s3, aws.bucket, upload))


def stored_report(aws, upload) -> dict:
    body = boto3.client("s3").get_object(Bucket=aws.bucket, Key=upload.folder + "report.json")["Body"].read()
    return json.loads(body)


def items() -> dict[str, dict]:
    return {item.meter_number: item.attribute_values for item in Meter.scan()}


def object_keys(aws) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=aws.bucket)
    return sorted(entry["Key"] for entry in listed.get("Contents", []))


def slot_map(aws, county: str = "430102"):
    pointer = publications.get_slot_map_pointer("electricity", county)
    return read_slot_map(boto3.client("s3"), aws.bucket, pointer.object_key)


# ------------------------------------------------------------------ slots


def test_new_meters_get_consecutive_slots(aws):
    report = ingest(aws, registry_upload([row(1), row(2), row(3)]))
    assert report.outcome == "applied"
    assert {number: int(item["slot"]) for number, item in items().items()} == {
        meter(1): 0,
        meter(2): 1,
        meter(3): 2,
    }


def test_registry_item_holds_county_and_row(aws):
    ingest(aws, registry_upload([row(1, village="002001", customer_type="business")]))
    item = Meter.get(meter(1))
    assert item.county == "430102"
    assert item.area_code == "430102002001"
    assert item.customer_type == "business"
    assert item.household_id == "HH0001"


def test_slot_map_pointer_names_slot_map_object(aws):
    ingest(aws, registry_upload([row(1), row(2)]))
    pointer = publications.get_slot_map_pointer("electricity", "430102")
    assert pointer.object_key.startswith("state/slots/electricity/430102/")
    assert int(pointer.slots) == 2
    assert slot_map(aws).meters == (meter(1), meter(2))


def test_later_upload_appends_slots_and_keeps_old(aws):
    ingest(aws, registry_upload([row(1), row(2)]))
    ingest(aws, registry_upload([row(3), row(1)], batch="second"))
    assert {number: int(item["slot"]) for number, item in items().items()} == {
        meter(1): 0,
        meter(2): 1,
        meter(3): 2,
    }


def test_status_change_updates_item_keeps_slot(aws):
    ingest(aws, registry_upload([row(1), row(2)]))
    report = ingest(aws, registry_upload([row(2, status="removed")], batch="second"))
    assert report.counts["updated_meters"] == 1
    assert Meter.get(meter(2)).status == "removed"
    assert int(Meter.get(meter(2)).slot) == 1


def test_meter_moved_to_other_county_releases_old_slot(aws):
    ingest(aws, registry_upload([row(1), row(2)]))
    moved = row(2, area_code="430103001001")
    ingest(aws, registry_upload([moved], county="430103"))
    ingest(aws, registry_upload([row(3)], batch="third"))
    assert Meter.get(meter(2)).county == "430103"
    assert int(Meter.get(meter(2)).slot) == 0
    assert slot_map(aws).meters == (meter(1), None, meter(3))
    assert slot_map(aws, "430103").meters == (meter(2),)


def test_stale_slot_map_pointer_write_conflicts(aws):
    ingest(aws, registry_upload([row(1)]))
    stale = publications.get_slot_map_pointer("electricity", "430102")
    ingest(aws, registry_upload([row(2)], batch="second"))
    with pytest.raises(publications.VersionConflict):
        publications.set_slot_map_pointer(
            "electricity",
            "430102",
            object_key="state/slots/electricity/430102/other.json",
            slots=2,
            checksum="0" * 64,
            upload_key="k",
            previous=stale,
            now=stale.published_at,
        )


# ------------------------------------------------------------------ repeats


def test_repeated_registry_upload_changes_nothing(aws):
    upload = registry_upload([row(1), row(2), row(3, status="terminated")])
    ingest(aws, upload)
    before_items, before_keys = items(), object_keys(aws)
    before_pointer = publications.get_slot_map_pointer("electricity", "430102").attribute_values
    report = ingest(aws, upload)
    assert items() == before_items
    assert object_keys(aws) == before_keys
    assert publications.get_slot_map_pointer("electricity", "430102").attribute_values == before_pointer
    assert report.counts["unchanged_meters"] == 3


def test_same_rows_in_new_folder_write_no_items(aws):
    ingest(aws, registry_upload([row(1), row(2)]))
    before = items()
    report = ingest(aws, registry_upload([row(2), row(1)], batch="again"))
    assert items() == before
    assert report.counts["new_meters"] == 0


# ------------------------------------------------------------------ bad rows

BAD_ROWS = [
    (row(11, meter_number="1.43000143E+21"), "damaged_meter_number"),
    (row(12, meter_number=meter(12).lstrip("1")), "damaged_meter_number"),
    (row(13, area_code="4301020010"), "invalid_area_code"),
    (row(14, area_code="430103001001"), "outside_region"),
    (row(15, area_code="430100000000"), "invalid_area_code"),
    (row(16, customer_type="industrial"), "invalid_customer_type"),
    (row(17, status="active"), "invalid_status"),
    (row(18, household_id=" "), "missing_household_id"),
    (row(19, utility="water"), "utility_mismatch"),
]


@pytest.mark.parametrize(("bad", "code"), BAD_ROWS)
def test_bad_registry_row_rejected(aws, bad, code):
    upload = registry_upload([row(1), bad])
    ingest(aws, upload)
    report = stored_report(aws, upload)
    assert [(item["line"], item["code"]) for item in report["rejected"]] == [(3, code)]
    assert report["rejected"][0]["reason"]
    assert list(items()) == [meter(1)]


def test_report_counts_accepted_and_rejected(aws):
    upload = registry_upload([row(1), row(2, status="x"), row(3)])
    ingest(aws, upload)
    report = stored_report(aws, upload)
    assert report["counts"]["accepted_rows"] == 2
    assert report["rejected_total"] == 1
    assert report["files"][0]["accepted_rows"] == 2


def test_conflicting_registry_rows_all_rejected(aws):
    report = ingest(aws, registry_upload([row(1), row(1, household_id="HH9999"), row(2)]))
    assert [item["code"] for item in report.rejected] == ["conflicting_duplicate", "conflicting_duplicate"]
    assert list(items()) == [meter(2)]


def test_identical_registry_rows_counted_once(aws):
    report = ingest(aws, registry_upload([row(1), row(1)]))
    assert report.rejected == []
    assert report.counts["duplicate_rows_dropped"] == 1


def test_gbk_registry_with_chinese_values_accepted(aws):
    rows = [row(1, customer_type="居民", status="在运"), row(2, customer_type="非居民", status="销户")]
    report = ingest(aws, registry_upload(rows, encoding="gbk"))
    assert report.rejected == []
    assert Meter.get(meter(2)).customer_type == "business"
    assert Meter.get(meter(2)).status == "terminated"


def test_checksum_mismatch_rejects_whole_file(aws):
    upload = registry_upload([row(1)])
    s3 = boto3.client("s3")
    put_upload(s3, aws.bucket, upload)
    s3.put_object(Bucket=aws.bucket, Key=upload.folder + "registry.csv", Body=b"meter_number\n")
    report = ingest_upload(s3, aws.bucket, upload.manifest_key)
    assert report.files[0].status == "rejected"
    assert "SHA-256" in report.files[0].reason
    assert items() == {}


def test_row_count_mismatch_rejects_whole_file(aws):
    data, _count = csv_bytes(HEADER, [row(1), row(2)])
    upload = build_upload("registry", "electricity", "430102", DAY, [("registry.csv", data, 3)])
    report = ingest(aws, upload)
    assert report.files[0].status == "rejected"
    assert report.files[0].code == "row_count_mismatch"
    assert "2 data lines" in report.files[0].reason
    assert items() == {}


def test_manifest_in_wrong_folder_rejected(aws):
    upload = registry_upload([row(1)])
    s3 = boto3.client("s3")
    manifest = dict(upload.files)["manifest.json"]
    key = "uploads/utility/registry/electricity/430103/2026-11-01/manifest.json"
    s3.put_object(Bucket=aws.bucket, Key=key, Body=manifest)
    report = ingest_upload(s3, aws.bucket, key)
    assert report.outcome == "rejected"
    assert any("430103" in problem for problem in report.manifest_problems)


def test_manifest_with_bad_fields_lists_every_problem(aws):
    s3 = boto3.client("s3")
    key = "uploads/utility/registry/electricity/430102/2026-11-01/manifest.json"
    body = {
        "kind": "registry",
        "utility": "gas-and-water",
        "region": "4301",
        "date": "2026-13-01",
        "files": [],
    }
    s3.put_object(Bucket=aws.bucket, Key=key, Body=json.dumps(body).encode())
    report = ingest_upload(s3, aws.bucket, key)
    assert report.outcome == "rejected"
    assert len(report.manifest_problems) >= 4


# ------------------------------------------------------------------ handler


def load_handler():
    spec = importlib.util.spec_from_file_location("ingest_app", APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def s3_event(bucket: str, key: str) -> dict:
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key), "size": 1}},
            }
        ]
    }


class Context:
    function_name = "ingest"
    memory_limit_in_mb = 1769
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ingest"
    aws_request_id = "request-1"


def test_handler_ingests_url_encoded_manifest_key(aws):
    upload = registry_upload([row(1)], batch="batch 1+2")
    put_upload(boto3.client("s3"), aws.bucket, upload)
    result = load_handler().lambda_handler(s3_event(aws.bucket, upload.manifest_key), Context())
    assert result["handled"] == [{"key": upload.manifest_key, "action": "utility_upload"}]
    assert stored_report(aws, upload)["outcome"] == "applied"


def test_handler_routes_roster_csv(aws, monkeypatch):
    calls = []
    monkeypatch.setattr(
        "census.services.roster_import.import_roster_object",
        lambda s3, bucket, key: calls.append(key) or type("R", (), {"accepted": 0, "rejected": []})(),
    )
    result = load_handler().lambda_handler(s3_event(aws.bucket, "uploads/roster/2026 roster.csv"), Context())
    assert calls == ["uploads/roster/2026 roster.csv"]
    assert result["handled"][0]["action"] == "roster"


def test_handler_ignores_other_keys(aws):
    result = load_handler().lambda_handler(s3_event(aws.bucket, "uploads/utility/readme.txt"), Context())
    assert result["handled"] == [{"key": "uploads/utility/readme.txt", "action": "ignored"}]
