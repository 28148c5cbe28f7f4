"""Consumption ingest: one upload of one county-day becomes one published county-day object.

The steps keep a half-done ingest invisible: the object is written under its
content hash first, and only then does the Publication item (the flip) name
it. An upload whose content equals the published day writes nothing; one with
other content replaces the day.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from census.dal import publications
from census.ingest import report as outcomes
from census.ingest.consumption_rows import (
    MAX_RATE_PER_HOUR,
    DaySpec,
    FileRows,
    MeterLookup,
    assemble_day,
    parse_consumption_csv,
    validate_file,
)
from census.ingest.files import FileRejected, read_verified
from census.ingest.manifest import PUBLISHED_UNIT, Manifest, interval_of
from census.ingest.report import FileResult, Report
from census.observability import logger
from census.storage.batch import write_published_day_signal
from census.storage.partitions import (
    RECORD_FORMAT,
    empty_slot_map,
    encode_county_day,
    put_county_day,
    read_slot_map,
)
from census.storage.uploads import read_upload_file


def _day_spec(manifest: Manifest) -> DaySpec:
    assert manifest.reading_type is not None and manifest.unit is not None
    return DaySpec(
        utility=manifest.utility,
        county=manifest.region,
        day=manifest.day,
        reading_type=manifest.reading_type,
        unit=manifest.unit,
        unit_factor=manifest.unit_factor,
        register_digits=manifest.register_digits,
    )


def _meter_lookup(s3_client: Any, bucket: str, manifest: Manifest) -> MeterLookup:
    pointer = publications.get_slot_map_pointer(manifest.utility, manifest.region)
    if pointer is None:
        slot_map = empty_slot_map(manifest.utility, manifest.region)
    else:
        slot_map = read_slot_map(s3_client, bucket, pointer.object_key, pointer.checksum)
    return MeterLookup(slot_map, manifest.utility, manifest.region)


def _read_file(
    s3_client: Any,
    bucket: str,
    manifest: Manifest,
    index: int,
    spec: DaySpec,
    lookup: MeterLookup,
    report: Report,
) -> FileRows | None:
    entry = manifest.files[index]
    result = FileResult(entry.name, rows=entry.rows)
    report.files.append(result)
    try:
        data = read_verified(
            read_upload_file(s3_client, bucket, manifest.file_key(entry.name)),
            entry,
            manifest.gzip,
            manifest.encoding,
        )
        parsed = parse_consumption_csv(data, entry.name)
        del data
        rows = validate_file(
            parsed, spec, lookup, interval_of(manifest, entry), report, expected_rows=entry.rows
        )
    except FileRejected as rejection:
        result.status = outcomes.REJECTED
        result.code = rejection.code
        result.reason = str(rejection)
        logger.warning("upload file rejected", file=entry.name, code=rejection.code)
        return None
    result.rows = rows.data_rows
    result.rejected_rows = rows.rejected
    return rows


def ingest_consumption(
    s3_client: Any, bucket: str, manifest: Manifest, report: Report, now: datetime
) -> None:
    """Validate a consumption upload, publish its county day, and fill `report` with the findings."""
    spec = _day_spec(manifest)
    lookup = _meter_lookup(s3_client, bucket, manifest)
    report.limits = {
        "max_per_hour": MAX_RATE_PER_HOUR[manifest.utility],
        "published_unit": PUBLISHED_UNIT[manifest.utility],
    }

    parts: list[FileRows] = []
    for index in range(len(manifest.files)):
        rows = _read_file(s3_client, bucket, manifest, index, spec, lookup, report)
        if rows is not None:
            parts.append(rows)

    day = assemble_day(parts, spec, lookup.slots, report)
    report.settle_files(day.rejected_by_file, day.dropped_by_file)
    report.counts = {
        "rows": sum(result.rows for result in report.files if result.status != outcomes.REJECTED),
        "accepted_rows": day.accepted_rows,
        "rejected_rows": report.rejected_total,
        "duplicate_rows_dropped": day.duplicate_rows_dropped,
        "files_rejected": sum(result.status == outcomes.REJECTED for result in report.files),
        "rows_in_rejected_files": sum(r.rows for r in report.files if r.status == outcomes.REJECTED),
        "meters_with_data": day.meters_with_data,
        "county_slots": lookup.slots,
    }
    if day.accepted_rows == 0:
        report.outcome = outcomes.NOTHING_PUBLISHED
        return

    encoded = encode_county_day(day.records)
    current = publications.get_day(manifest.utility, manifest.region, manifest.day)
    if current is not None and current.checksum == encoded.checksum:
        report.outcome = outcomes.UNCHANGED
        report.publication = _publication_summary(current.object_key, current.checksum, int(current.slots))
        return

    written = put_county_day(s3_client, bucket, manifest.utility, manifest.region, manifest.day, encoded)
    published = publications.publish_day(
        manifest.utility,
        manifest.region,
        manifest.day,
        object_key=written.key,
        slots=written.slots,
        checksum=written.checksum,
        upload_key=manifest.key,
        now=now,
    )
    report.outcome = published.outcome.value
    report.publication = _publication_summary(
        published.item.object_key, published.item.checksum, written.slots
    )
    if published.outcome is not publications.PublishOutcome.UNCHANGED:
        # The refresh of listed homes starts from this object's S3 event.
        write_published_day_signal(
            s3_client,
            bucket,
            utility=manifest.utility,
            county=manifest.region,
            day=manifest.day,
            object_key=published.item.object_key,
            checksum=published.item.checksum,
            published_at=now,
        )


def _publication_summary(object_key: str, checksum: str, slots: int) -> dict[str, Any]:
    return {"object_key": object_key, "checksum": checksum, "slots": slots, "record_format": RECORD_FORMAT}
