"""Demo uploads of the utility, built from the real meter traces in data/.

Every consumption value comes from a real meter (see data/README.md for the
sources and licences); only the meter numbers, areas and households are made
up here. Each trace keeps its local wall-clock time, relabelled as Beijing
time (UTC+8), so that a home's daily rhythm stays where it was. The traces do
not cross a daylight-saving change, so no hour is doubled or lost.

| county | traces | files per day |
|---|---|---|
| 430102 | Low Carbon London: 150 homes daily, 9 homes hourly | daily.csv (UTF-8 with BOM), hourly.csv |
| 430103 | Smart Grid Smart City (Sydney): 55 homes hourly | hourly.csv.gz |
| 430104 | ECO house 2 (Switzerland): 15-minute mains | quarter-hourly.csv |
| 430105 | DAIAD (Alicante): 58 homes, hourly litres | hourly.csv |

The registry uploads come first (one per utility and county), then one
consumption upload per county and day.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
PROVINCE, CITY = "43", "4301"
ELECTRICITY, WATER = "electricity", "water"

# Villages and communities of each county, 12-digit statistical division codes.
VILLAGES: dict[str, tuple[str, ...]] = {
    "430102": ("430102001001", "430102001002", "430102002001"),
    "430103": ("430103001001", "430103001002"),
    "430104": ("430104001001",),
    "430105": ("430105001001", "430105001002"),
}

# Electricity asset numbers: owner unit, 2 reserved digits, asset type, 14-digit serial, check digit.
_OWNER_UNIT, _RESERVED, _ASSET_TYPE = "143", "00", "01"


@dataclass(frozen=True)
class Source:
    county: str
    path: str
    utility: str
    interval_minutes: int
    file_name: str
    unit: str = "kWh"
    gzip: bool = False
    bom: bool = False


SOURCES: tuple[Source, ...] = (
    Source("430102", "electricity/lcl_daily_fixture.csv", ELECTRICITY, 1440, "daily.csv", bom=True),
    Source("430102", "electricity/lcl_hourly_9hh_2013-06-01_09-28.csv", ELECTRICITY, 60, "hourly.csv"),
    Source("430103", "electricity/sgsc_hourly_fixture55.csv", ELECTRICITY, 60, "hourly.csv.gz", gzip=True),
    Source("430104", "electricity/eco_h02_elec_15min_2012-06.csv", ELECTRICITY, 15, "quarter-hourly.csv"),
    Source("430105", "water/daiad_water_hourly_fixture58.csv", WATER, 60, "hourly.csv", unit="L"),
)


class DemoMeter(NamedTuple):
    """A registry row of the demo, with the id of the real trace behind it."""

    meter_number: str
    utility: str
    household_id: str
    area_code: str
    customer_type: str
    status: str
    source_meter_id: str


@dataclass(frozen=True)
class DemoUpload:
    """One upload: the folder key (ending in '/') and its objects, manifest.json last."""

    folder: str
    files: tuple[tuple[str, bytes], ...]

    @property
    def manifest_key(self) -> str:
        return self.folder + "manifest.json"


# ------------------------------------------------------------------ generic upload building


def csv_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    encoding: str = "utf-8",
    bom: bool = False,
    compress: bool = False,
) -> tuple[bytes, int]:
    """Return a CSV file's bytes and its number of data lines."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    data = buffer.getvalue().encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    if compress:
        data = gzip.compress(data, mtime=0)
    return data, count


def upload_folder(kind: str, utility: str, county: str, day: date, batch: str | None = None) -> str:
    folder = f"uploads/utility/{kind}/{utility}/{county}/{day.isoformat()}/"
    return folder + (f"{batch}/" if batch else "")


def build_upload(
    kind: str,
    utility: str,
    county: str,
    day: date,
    files: Sequence[tuple[str, bytes, int] | tuple[str, bytes, int, int | None]],
    *,
    batch: str | None = None,
    **manifest_fields: Any,
) -> DemoUpload:
    """Build an upload of (name, bytes, rows[, interval_minutes]) files with a matching manifest."""
    entries = []
    for file in files:
        name, data, rows = file[0], file[1], file[2]
        entry: dict[str, Any] = {"name": name, "rows": rows, "sha256": hashlib.sha256(data).hexdigest()}
        if len(file) > 3 and file[3] is not None:
            entry["interval_minutes"] = file[3]
        entries.append(entry)
    manifest = {
        "kind": kind,
        "utility": utility,
        "region": county,
        "date": day.isoformat(),
        **manifest_fields,
    }
    manifest["files"] = entries
    body = json.dumps(manifest, indent=2).encode("utf-8")
    objects = (*((file[0], file[1]) for file in files), ("manifest.json", body))
    return DemoUpload(folder=upload_folder(kind, utility, county, day, batch), files=objects)


def put_upload(s3_client: Any, bucket: str, upload: DemoUpload) -> str:
    """Write an upload's objects in order, manifest last, and return the manifest's key."""
    for name, data in upload.files:
        s3_client.put_object(Bucket=bucket, Key=upload.folder + name, Body=data)
    return upload.manifest_key


# ------------------------------------------------------------------ the demo registry


def _luhn_digit(digits: str) -> str:
    # A stand-in check digit: State Grid does not publish the algorithm of its asset numbers.
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def electricity_meter_number(county: str, sequence: int) -> str:
    serial = f"{county}{sequence:08d}"
    body = f"{_OWNER_UNIT}{_RESERVED}{_ASSET_TYPE}{serial}"
    return body + _luhn_digit(body)


def water_meter_number(county: str, sequence: int) -> str:
    """Return a 14-digit CJ/T 188 style address: the county code and a sequence number."""
    return f"{county}{sequence:08d}"


def _read_trace(data_dir: Path, source: Source) -> list[tuple[str, str, str]]:
    with (data_dir / source.path).open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        return [(row[0], row[1], row[2]) for row in reader if row]


@lru_cache(maxsize=4)
def _traces(data_dir: Path) -> dict[Source, list[tuple[str, str, str]]]:
    return {source: _read_trace(data_dir, source) for source in SOURCES}


def _source_ids(data_dir: Path) -> dict[str, list[tuple[Source, str]]]:
    """Return, per county, (source, trace id) pairs in a fixed order."""
    by_county: dict[str, list[tuple[Source, str]]] = defaultdict(list)
    for source, rows in _traces(data_dir).items():
        for meter_id in sorted({row[0] for row in rows}):
            by_county[source.county].append((source, meter_id))
    return by_county


# Registry rows that are not queryable, each on a real trace of county 430102.
_SPECIAL_STATUS = {
    -1: ("business", "in_service"),
    -2: ("residential", "removed"),
    -3: ("residential", "terminated"),
}


def demo_registry(data_dir: Path = DEFAULT_DATA_DIR) -> list[DemoMeter]:
    """Return the demo registry: one row per trace, with meter number, household and area.

    County 430102's last three daily traces are a business customer, a removed
    meter and a terminated supply. The first two hourly homes of 430102, and the
    first two homes of 430103, are each one household with two electricity meters.
    """
    rows: list[DemoMeter] = []
    for county, sources in sorted(_source_ids(Path(data_dir)).items()):
        villages = VILLAGES[county]
        household = 0
        paired: dict[str, str] = {}
        hourly_ids = [meter_id for source, meter_id in sources if source.interval_minutes < 1440]
        if county in ("430102", "430103") and len(hourly_ids) >= 2:
            paired[hourly_ids[1]] = hourly_ids[0]
        daily_ids = [meter_id for source, meter_id in sources if source.interval_minutes == 1440]
        special = {daily_ids[index]: _SPECIAL_STATUS[index] for index in _SPECIAL_STATUS} if daily_ids else {}
        households: dict[str, tuple[str, str]] = {}
        for sequence, (source, meter_id) in enumerate(sources, start=1):
            if source.utility == ELECTRICITY:
                number = electricity_meter_number(county, sequence)
            else:
                number = water_meter_number(county, sequence)
            if meter_id in paired:
                household_id, area = households[paired[meter_id]]
            else:
                household += 1
                household_id = f"HH{county}{household:05d}"
                area = villages[(household - 1) % len(villages)]
            households[meter_id] = (household_id, area)
            customer_type, status = special.get(meter_id, ("residential", "in_service"))
            rows.append(
                DemoMeter(number, source.utility, household_id, area, customer_type, status, meter_id)
            )
    return rows


# ------------------------------------------------------------------ the uploads


def _beijing_timestamp(local: str) -> str:
    # "2013-06-01T00:00:00+01:00" -> "2013-06-01T00:00:00+08:00": the same wall-clock time.
    return local[:19] + "+08:00"


_REGISTRY_HEADER = ("meter_number", "utility", "household_id", "area_code", "customer_type", "status")
# The water utility's registry comes in GBK with Chinese customer types and statuses, as exported
# from a Chinese billing system; the ingest accepts both.
_CHINESE = {
    "residential": "居民",
    "business": "非居民",
    "in_service": "在运",
    "removed": "拆除",
    "terminated": "销户",
}


def _registry_uploads(registry: list[DemoMeter], first_days: dict[str, date]) -> list[DemoUpload]:
    uploads = []
    by_county: dict[tuple[str, str], list[DemoMeter]] = defaultdict(list)
    for meter in registry:
        by_county[(meter.utility, meter.area_code[:6])].append(meter)
    for (utility, county), meters in sorted(by_county.items()):
        chinese = utility == WATER
        rows = [
            (
                meter.meter_number,
                meter.utility,
                meter.household_id,
                meter.area_code,
                _CHINESE[meter.customer_type] if chinese else meter.customer_type,
                _CHINESE[meter.status] if chinese else meter.status,
            )
            for meter in meters
        ]
        data, count = csv_bytes(_REGISTRY_HEADER, rows, encoding="gbk" if chinese else "utf-8")
        extra = {"encoding": "gbk"} if chinese else {}
        uploads.append(
            build_upload(
                "registry", utility, county, first_days[county], [("registry.csv", data, count)], **extra
            )
        )
    return uploads


def build_demo_uploads(data_dir: Path | str = DEFAULT_DATA_DIR) -> list[DemoUpload]:
    """Return every demo upload in the order to put them: registries first, then consumption by day."""
    data_dir = Path(data_dir)
    registry = demo_registry(data_dir)
    number_of = {(meter.area_code[:6], meter.source_meter_id): meter.meter_number for meter in registry}

    # (county, day) -> source -> rows of that day
    days: dict[tuple[str, date], dict[Source, list[tuple[str, str, str]]]] = defaultdict(dict)
    for source, rows in _traces(data_dir).items():
        for meter_id, timestamp, value in rows:
            key = (source.county, date.fromisoformat(timestamp[:10]))
            days[key].setdefault(source, []).append(
                (number_of[(source.county, meter_id)], _beijing_timestamp(timestamp), value)
            )
    first_days: dict[str, date] = {}
    for county, day in days:
        first_days[county] = min(day, first_days.get(county, day))

    uploads = _registry_uploads(registry, first_days)
    for county, day in sorted(days, key=lambda key: (key[1], key[0])):
        files = []
        utility = unit = None
        for source in SOURCES:
            rows = days[(county, day)].get(source)
            if not rows:
                continue
            utility, unit = source.utility, source.unit
            data, count = csv_bytes(
                ("meter_number", "timestamp", "value"), rows, bom=source.bom, compress=source.gzip
            )
            files.append((source.file_name, data, count, source.interval_minutes))
        intervals = sorted({file[3] for file in files})
        uploads.append(
            build_upload(
                "consumption",
                str(utility),
                county,
                day,
                files,
                reading_type="interval",
                unit=unit,
                interval_minutes=intervals[0],
            )
        )
    return uploads
