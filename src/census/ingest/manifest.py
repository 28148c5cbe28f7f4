"""The manifest of a utility upload: what the upload contains and how to check that it is complete.

An upload is a folder `uploads/utility/<kind>/<utility>/<county>/<YYYY-MM-DD>/`
(optionally with one more folder level of the utility's choosing, such as a
batch id) whose last object is `manifest.json`. The manifest lists every file
of the folder with its row count and SHA-256, so a missing, truncated or
altered file is detected before any of it is used.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from census.domain.areas import InvalidAreaCode, county_of, validate_area_code
from census.domain.meters import ELECTRICITY, GAS, WATER

UTILITY_PREFIX = "uploads/utility/"
MANIFEST_NAME = "manifest.json"
REPORT_NAME = "report.json"

REGISTRY = "registry"
CONSUMPTION = "consumption"
KINDS = (REGISTRY, CONSUMPTION)
UTILITIES = (ELECTRICITY, WATER, GAS)

INTERVAL = "interval"
REGISTER = "register"
READING_TYPES = (INTERVAL, REGISTER)
INTERVAL_MINUTES = (15, 30, 60, 1440)
DAILY = 1440

# Units a utility may upload in, and the factor that turns each into the published unit
# (kWh for electricity, litres for water, m3 for gas).
UNITS: dict[str, dict[str, float]] = {
    ELECTRICITY: {"kWh": 1.0},
    WATER: {"L": 1.0, "m3": 1000.0},
    GAS: {"m3": 1.0},
}
PUBLISHED_UNIT = {ELECTRICITY: "kWh", WATER: "L", GAS: "m3"}
ENCODINGS = ("utf-8", "gbk")
REGISTER_DIGITS = range(3, 13)

_SHA256 = re.compile(r"[0-9a-f]{64}")
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_KNOWN_FIELDS = {
    "kind",
    "utility",
    "region",
    "date",
    "reading_type",
    "unit",
    "interval_minutes",
    "register_digits",
    "files",
    "gzip",
    "encoding",
    "generated_at",
    "note",
}


class ManifestError(ValueError):
    """A manifest that cannot be used; `problems` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ManifestFile:
    name: str
    rows: int
    sha256: str
    # Consumption only: the interval of this file's rows, when the entry sets its own.
    interval_minutes: int | None = None


@dataclass(frozen=True)
class Manifest:
    key: str
    kind: str
    utility: str
    region: str
    day: date
    files: tuple[ManifestFile, ...]
    reading_type: str | None = None
    unit: str | None = None
    interval_minutes: int | None = None
    register_digits: int | None = None
    gzip: bool | None = None
    encoding: str | None = None

    @property
    def folder(self) -> str:
        return self.key[: -len(MANIFEST_NAME)]

    def file_key(self, name: str) -> str:
        return self.folder + name

    @property
    def report_key(self) -> str:
        return self.folder + REPORT_NAME

    @property
    def unit_factor(self) -> float:
        """Factor from the upload's unit to the published unit."""
        return UNITS[self.utility][self.unit or PUBLISHED_UNIT[self.utility]]


def is_manifest_key(key: str) -> bool:
    return key.startswith(UTILITY_PREFIX) and key.endswith("/" + MANIFEST_NAME)


def report_key_of(manifest_key: str) -> str:
    """Return the key of the report beside a manifest."""
    return manifest_key[: -len(MANIFEST_NAME)] + REPORT_NAME


def folder_fields(key: str) -> dict[str, str]:
    """Return kind, utility, region and date as the manifest's folder names them, or {} if it does not."""
    parts = key[len(UTILITY_PREFIX) :].split("/")
    # kind/utility/county/date/manifest.json, or with one folder of the utility's own below the date.
    if not key.startswith(UTILITY_PREFIX) or len(parts) not in (5, 6) or parts[-1] != MANIFEST_NAME:
        return {}
    return {"kind": parts[0], "utility": parts[1], "region": parts[2], "date": parts[3]}


def _check_region(value: Any, problems: list[str]) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{6}", value):
        problems.append(f"region {value!r} must be a 6-digit county code such as '430102'")
        return ""
    try:
        county = county_of(validate_area_code(value + "000000"))
    except InvalidAreaCode as error:
        problems.append(f"region {value!r} is not a county code: {error}")
        return ""
    return county


def _check_files(value: Any, kind: str, problems: list[str]) -> tuple[ManifestFile, ...]:
    if not isinstance(value, list) or not value:
        problems.append("files must be a non-empty list of {name, rows, sha256}")
        return ()
    files: list[ManifestFile] = []
    names: set[str] = set()
    for position, entry in enumerate(value, start=1):
        if not isinstance(entry, dict):
            problems.append(f"files[{position}] must be an object with name, rows and sha256")
            continue
        name, rows, sha256 = entry.get("name"), entry.get("rows"), entry.get("sha256")
        interval = entry.get("interval_minutes")
        if (
            not isinstance(name, str)
            or not _FILE_NAME.fullmatch(name)
            or name in (MANIFEST_NAME, REPORT_NAME)
        ):
            problems.append(
                f"files[{position}].name {name!r} must be a file name in the manifest's folder "
                "(letters, digits, '.', '_', '-'; no '/')"
            )
            continue
        if name in names:
            problems.append(f"file {name!r} is listed twice")
            continue
        names.add(name)
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
            problems.append(
                f"file {name!r}: rows {rows!r} must be the number of data lines, a whole number >= 0"
            )
            continue
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256.lower()):
            problems.append(f"file {name!r}: sha256 {sha256!r} must be 64 hexadecimal digits")
            continue
        if interval is not None and (kind != CONSUMPTION or interval not in INTERVAL_MINUTES):
            problems.append(f"file {name!r}: interval_minutes {interval!r} must be one of {INTERVAL_MINUTES}")
            continue
        files.append(ManifestFile(name=name, rows=rows, sha256=sha256.lower(), interval_minutes=interval))
    return tuple(files)


def _check_consumption(document: dict[str, Any], utility: str, problems: list[str]) -> dict[str, Any]:
    reading_type = document.get("reading_type")
    unit = document.get("unit")
    interval = document.get("interval_minutes")
    digits = document.get("register_digits")
    if reading_type not in READING_TYPES:
        problems.append(f"reading_type {reading_type!r} must be 'interval' or 'register'")
    if utility in UNITS and unit not in UNITS[utility]:
        problems.append(f"unit {unit!r} is not allowed for {utility}; use one of {sorted(UNITS[utility])}")
    if interval not in INTERVAL_MINUTES or isinstance(interval, bool):
        problems.append(f"interval_minutes {interval!r} must be one of {INTERVAL_MINUTES}")
    if digits is not None and (reading_type != REGISTER or digits not in REGISTER_DIGITS):
        problems.append(
            f"register_digits {digits!r} is only for register readings and must lie between "
            f"{REGISTER_DIGITS.start} and {REGISTER_DIGITS.stop - 1}"
        )
    return {
        "reading_type": reading_type,
        "unit": unit,
        "interval_minutes": interval,
        "register_digits": digits,
    }


def parse_manifest(key: str, data: bytes) -> Manifest:
    """Parse and check a manifest.json; raises ManifestError listing every problem found."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ManifestError([f"manifest.json is not valid UTF-8 JSON: {error}"]) from error
    if not isinstance(document, dict):
        raise ManifestError(["manifest.json must hold one JSON object"])

    problems: list[str] = []
    unknown = sorted(set(document) - _KNOWN_FIELDS)
    if unknown:
        problems.append(f"unknown fields {unknown}; check their spelling")
    kind = document.get("kind")
    utility = document.get("utility")
    if kind not in KINDS:
        problems.append(f"kind {kind!r} must be 'registry' or 'consumption'")
    if utility not in UTILITIES:
        problems.append(f"utility {utility!r} must be one of {list(UTILITIES)}")
    region = _check_region(document.get("region"), problems)
    day: date | None = None
    try:
        day = date.fromisoformat(str(document.get("date")))
    except ValueError:
        problems.append(f"date {document.get('date')!r} must be a date like 2026-11-01")
    files = _check_files(document.get("files"), str(kind), problems)
    consumption = _check_consumption(document, str(utility), problems) if kind == CONSUMPTION else {}
    if consumption and files:
        intervals = {file.interval_minutes or consumption["interval_minutes"] for file in files}
        if len({interval for interval in intervals if interval in INTERVAL_MINUTES and interval < DAILY}) > 1:
            problems.append(
                "one upload may hold files of one interval shorter than a day, plus daily files; "
                f"these files have intervals {sorted(intervals)}"
            )

    gzip = document.get("gzip")
    if gzip is not None and not isinstance(gzip, bool):
        problems.append(f"gzip {gzip!r} must be true or false")
    encoding = document.get("encoding")
    if encoding is not None and str(encoding).lower() not in ENCODINGS:
        problems.append(f"encoding {encoding!r} must be one of {list(ENCODINGS)}, or left out to detect it")

    folder = folder_fields(key)
    if not folder:
        problems.append(
            "the manifest must lie at uploads/utility/<kind>/<utility>/<county>/<YYYY-MM-DD>/manifest.json "
            "(optionally with one more folder below the date)"
        )
    else:
        stated = {
            "kind": kind,
            "utility": utility,
            "region": document.get("region"),
            "date": document.get("date"),
        }
        for field, value in stated.items():
            if folder[field] != value:
                problems.append(f"{field} {value!r} does not match the folder's {folder[field]!r}")

    if problems:
        raise ManifestError(problems)
    assert day is not None
    return Manifest(
        key=key,
        kind=str(kind),
        utility=str(utility),
        region=region,
        day=day,
        files=files,
        gzip=gzip,
        encoding=str(encoding).lower() if encoding is not None else None,
        **consumption,
    )


def interval_of(manifest: Manifest, file: ManifestFile) -> int:
    """Return the interval in minutes of a consumption file's rows."""
    interval = file.interval_minutes or manifest.interval_minutes
    assert interval is not None
    return interval
