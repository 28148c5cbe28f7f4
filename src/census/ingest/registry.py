"""Registry ingest: the utility's list of meters of one county, with where each one is.

Each row creates or updates one meter. A meter missing from the file is left
as it is, so the utility sends status `removed` or `terminated` to take a meter
out of service. A meter seen for the first time in a county gets the county's
next slot. The county's slot map object is the record of slots. It is written
first, under its content hash, and then the pointer item is moved to it with a
version condition. So two concurrent ingests of one county cannot hand out the
same slot, and a slot is never reused.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from census.dal import meters as meter_store
from census.dal import publications
from census.dal.models import Meter
from census.domain.areas import InvalidAreaCode, county_of, validate_area_code
from census.domain.meters import MeterNumberDamaged, meter_number_from_utility_file
from census.ingest import report as outcomes
from census.ingest.files import FileRejected, read_verified
from census.ingest.manifest import UTILITIES, Manifest, ManifestFile
from census.ingest.report import FileResult, Report
from census.observability import logger
from census.storage.partitions import SlotMap, empty_slot_map, put_slot_map, read_slot_map
from census.storage.uploads import read_upload_file

COLUMNS = ("meter_number", "utility", "household_id", "area_code", "customer_type", "status")
OPTIONAL_COLUMNS = ("connected_on",)
CUSTOMER_TYPES = {
    "residential": "residential",
    "居民": "residential",
    "business": "business",
    "非居民": "business",
    "other": "other",
    "其他": "other",
}
STATUSES = {
    "in_service": "in_service",
    "在运": "in_service",
    "removed": "removed",
    "拆除": "removed",
    "terminated": "terminated",
    "销户": "terminated",
}
MAX_HOUSEHOLD_ID_LENGTH = 64
_SLOT_MAP_ATTEMPTS = 5


@dataclass(frozen=True)
class RegistryRow:
    meter_number: str
    utility: str
    household_id: str
    area_code: str
    county: str
    customer_type: str
    status: str
    connected_on: str | None
    file: str
    line: int

    def content(self) -> tuple[str, ...]:
        return (
            self.utility,
            self.household_id,
            self.area_code,
            self.customer_type,
            self.status,
            self.connected_on or "",
        )


class RowRejected(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _choice(value: str, choices: dict[str, str], field: str) -> str:
    chosen = choices.get(value.strip().lower()) or choices.get(value.strip())
    if chosen is None:
        allowed = ", ".join(sorted({choice for choice in choices.values()}))
        raise RowRejected(f"invalid_{field}", f"{field} {value.strip()!r} must be one of {allowed}")
    return chosen


def validate_registry_row(
    fields: dict[str, str], utility: str, county: str, file: str, line: int
) -> RegistryRow:
    """Check one registry row of an upload for `utility` in `county`; raises RowRejected."""
    row_utility = fields["utility"].strip().lower()
    if row_utility not in UTILITIES:
        raise RowRejected("invalid_utility", f"utility {row_utility!r} must be one of {list(UTILITIES)}")
    if row_utility != utility:
        raise RowRejected(
            "utility_mismatch",
            f"utility {row_utility!r} differs from the manifest's {utility!r}; "
            "upload it with a manifest of its own utility",
        )

    try:
        meter_number = meter_number_from_utility_file(fields["meter_number"], utility)
    except MeterNumberDamaged as error:
        code = "missing_meter_number" if error.problem == "missing" else "damaged_meter_number"
        raise RowRejected(code, str(error)) from error

    try:
        area_code = validate_area_code(fields["area_code"])
        row_county = county_of(area_code)
    except InvalidAreaCode as error:
        raise RowRejected("invalid_area_code", str(error)) from error
    if row_county != county:
        raise RowRejected(
            "outside_region",
            f"area code {area_code} lies in county {row_county}, not in the manifest's region {county}",
        )

    customer_type = _choice(fields["customer_type"], CUSTOMER_TYPES, "customer_type")
    status = _choice(fields["status"], STATUSES, "status")

    household_id = fields["household_id"].strip()
    if not household_id:
        raise RowRejected("missing_household_id", "the household id is missing")
    if len(household_id) > MAX_HOUSEHOLD_ID_LENGTH or not household_id.isprintable():
        raise RowRejected(
            "invalid_household_id",
            f"the household id must be at most {MAX_HOUSEHOLD_ID_LENGTH} printable characters",
        )

    connected_on = (fields.get("connected_on") or "").strip() or None
    if connected_on is not None:
        try:
            connected_on = date.fromisoformat(connected_on).isoformat()
        except ValueError as error:
            raise RowRejected(
                "invalid_connected_on", f"connected_on {connected_on!r} must be a date like 2026-11-01"
            ) from error

    return RegistryRow(
        meter_number=meter_number,
        utility=utility,
        household_id=household_id,
        area_code=area_code,
        county=county,
        customer_type=customer_type,
        status=status,
        connected_on=connected_on,
        file=file,
        line=line,
    )


def parse_registry_csv(
    text: str, entry: ManifestFile, utility: str, county: str, report: Report
) -> tuple[list[RegistryRow], int]:
    """Return the valid rows of one registry file and its number of data lines.

    Bad rows go to `report`. Raises FileRejected, before reporting any row, for
    a missing column or a count of data lines other than the manifest's.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise FileRejected(
            "missing_columns",
            f"file {entry.name!r} has columns {header}, but needs {list(COLUMNS)} "
            f"(and optionally {list(OPTIONAL_COLUMNS)}); the first line must be the header",
        )
    rows: list[RegistryRow] = []
    rejections: list[tuple[int, str, str]] = []
    data_rows = 0
    for fields in reader:
        line = reader.line_num
        if not any(field.strip() for field in fields):
            continue
        data_rows += 1
        if len(fields) != len(header):
            rejections.append(
                (line, "wrong_field_count", f"the line has {len(fields)} fields, the header {len(header)}")
            )
            continue
        try:
            rows.append(
                validate_registry_row(
                    dict(zip(header, fields, strict=True)), utility, county, entry.name, line
                )
            )
        except RowRejected as rejection:
            rejections.append((line, rejection.code, str(rejection)))
    if data_rows != entry.rows:
        raise FileRejected(
            "row_count_mismatch",
            f"file {entry.name!r} has {data_rows} data lines, but the manifest lists {entry.rows}; "
            "the whole file is rejected. Count data lines without the header and without blank lines",
        )
    for line, code, reason in rejections:
        report.reject(entry.name, line, code, reason)
    return rows, data_rows


def drop_duplicates(
    rows: list[RegistryRow], report: Report
) -> tuple[list[RegistryRow], dict[str, int], dict[str, int]]:
    """Keep one row per meter: identical repeats are dropped and counted, conflicting ones all rejected.

    Returns the kept rows and, per file, the rows rejected and the rows dropped here.
    """
    by_meter: dict[str, list[RegistryRow]] = defaultdict(list)
    for row in rows:
        by_meter[row.meter_number].append(row)
    kept: list[RegistryRow] = []
    rejected: dict[str, int] = defaultdict(int)
    dropped: dict[str, int] = defaultdict(int)
    for meter_number, group in by_meter.items():
        if len({row.content() for row in group}) == 1:
            kept.append(group[0])
            for row in group[1:]:
                dropped[row.file] += 1
            continue
        places = ", ".join(f"{row.file} line {row.line}" for row in group)
        for row in group:
            rejected[row.file] += 1
            report.reject(
                row.file,
                row.line,
                "conflicting_duplicate",
                f"meter {meter_number} has {len(group)} rows that differ ({places}); "
                "all of them are rejected",
            )
    kept.sort(key=lambda row: (row.file, row.line))
    return kept, dict(rejected), dict(dropped)


def _update_slot_map(
    s3_client: Any, bucket: str, utility: str, county: str, change: Any, upload_key: str, now: datetime
) -> SlotMap:
    """Apply `change` (SlotMap -> SlotMap) to the county's slot map, retrying on a concurrent update."""
    for _attempt in range(_SLOT_MAP_ATTEMPTS):
        pointer = publications.get_slot_map_pointer(utility, county)
        current = (
            read_slot_map(s3_client, bucket, pointer.object_key, pointer.checksum)
            if pointer
            else empty_slot_map(utility, county)
        )
        updated = change(current)
        if updated is current:
            return current
        written = put_slot_map(s3_client, bucket, updated)
        try:
            publications.set_slot_map_pointer(
                utility,
                county,
                object_key=written.key,
                slots=written.slots,
                checksum=written.checksum,
                upload_key=upload_key,
                previous=pointer,
                now=now,
            )
        except publications.VersionConflict:
            logger.info("slot map changed concurrently, retrying", utility=utility, county=county)
            continue
        return updated
    raise publications.VersionConflict(f"slot map of {utility} {county} kept changing; giving up")


def _meter_item(row: RegistryRow, slot: int, upload_key: str, now: datetime) -> Meter:
    return Meter(
        row.meter_number,
        utility=row.utility,
        household_id=row.household_id,
        area_code=row.area_code,
        county=row.county,
        customer_type=row.customer_type,
        status=row.status,
        slot=slot,
        connected_on=row.connected_on,
        updated_at=now,
        upload_key=upload_key,
    )


def _unchanged(existing: Meter, row: RegistryRow, slot: int) -> bool:
    return (
        existing.utility == row.utility
        and existing.household_id == row.household_id
        and existing.area_code == row.area_code
        and existing.county == row.county
        and existing.customer_type == row.customer_type
        and existing.status == row.status
        and int(existing.slot) == slot
        and (existing.connected_on or None) == row.connected_on
    )


def _read_rows(s3_client: Any, bucket: str, manifest: Manifest, report: Report) -> list[RegistryRow]:
    rows: list[RegistryRow] = []
    for entry in manifest.files:
        result = FileResult(entry.name, rows=entry.rows)
        report.files.append(result)
        try:
            data = read_verified(
                read_upload_file(s3_client, bucket, manifest.file_key(entry.name)),
                entry,
                manifest.gzip,
                manifest.encoding,
            )
            before = report.rejected_total
            file_rows, data_rows = parse_registry_csv(
                data.decode("utf-8"), entry, manifest.utility, manifest.region, report
            )
        except FileRejected as rejection:
            result.status = outcomes.REJECTED
            result.code = rejection.code
            result.reason = str(rejection)
            logger.warning("upload file rejected", file=entry.name, code=rejection.code)
            continue
        result.rows = data_rows
        result.rejected_rows = report.rejected_total - before
        rows.extend(file_rows)
    return rows


def ingest_registry(s3_client: Any, bucket: str, manifest: Manifest, report: Report, now: datetime) -> None:
    """Validate a registry upload, assign slots to new meters and write the registry entries."""
    rows = _read_rows(s3_client, bucket, manifest, report)
    rows, rejected, dropped = drop_duplicates(rows, report)
    report.settle_files(rejected, dropped)

    county, utility = manifest.region, manifest.utility
    existing = meter_store.get_meters(row.meter_number for row in rows)
    numbers = [row.meter_number for row in rows]
    slot_map = _update_slot_map(
        s3_client, bucket, utility, county, lambda current: current.with_meters(numbers), manifest.key, now
    )
    slots = slot_map.slot_of()

    # A meter that moved here from another county leaves its old slot empty there,
    # before its entry names the new county.
    moved: dict[str, list[str]] = defaultdict(list)
    for number, item in existing.items():
        if item.county != county:
            moved[item.county].append(number)
    for old_county, numbers_moved in sorted(moved.items()):
        _update_slot_map(
            s3_client,
            bucket,
            utility,
            old_county,
            lambda current, gone=tuple(numbers_moved): current.without_meters(gone),
            manifest.key,
            now,
        )

    changed: list[Meter] = []
    new = updated = 0
    for row in rows:
        slot = slots[row.meter_number]
        previous = existing.get(row.meter_number)
        if previous is not None and _unchanged(previous, row, slot):
            continue
        if previous is None:
            new += 1
        else:
            updated += 1
        changed.append(_meter_item(row, slot, manifest.key, now))
    meter_store.write_meters(changed)

    report.counts = {
        "rows": sum(result.rows for result in report.files if result.status != outcomes.REJECTED),
        "accepted_rows": len(rows),
        "rejected_rows": report.rejected_total,
        "duplicate_rows_dropped": sum(dropped.values()),
        "files_rejected": sum(result.status == outcomes.REJECTED for result in report.files),
        "new_meters": new,
        "updated_meters": updated,
        "unchanged_meters": len(rows) - new - updated,
        "moved_meters": sum(len(numbers_moved) for numbers_moved in moved.values()),
        "county_slots": slot_map.slots,
    }
    report.outcome = outcomes.APPLIED if rows else outcomes.NOTHING_APPLIED
