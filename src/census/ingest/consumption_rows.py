"""Validation of consumption CSV rows and their assembly into one county-day array.

The good path is vectorised with pyarrow and numpy. Each distinct meter number
and each distinct timestamp of a file is checked once, and a county-day file of
200,000 hourly meters has 200,000 meter numbers and 24 timestamps in its 4.8
million rows. Values are checked as whole columns. Python loops run only over
the distinct timestamps, the meter numbers that a hash lookup does not find,
and the rejected rows.

A file row is `meter_number,timestamp,value`:
- interval readings: `timestamp` is the start of the interval and `value` the
  consumption during it;
- register readings: `timestamp` is the instant of the reading and `value` the
  register's cumulative reading. A day's file holds readings from 00:00 of the
  day up to and including 00:00 of the next day, the closing reading.
Timestamps are ISO 8601; one without an offset is Beijing time (UTC+8).
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from census.domain.beijing import BEIJING
from census.domain.meters import ELECTRICITY, GAS, WATER, MeterNumberDamaged, meter_number_from_utility_file
from census.ingest.files import FileRejected
from census.ingest.manifest import DAILY, PUBLISHED_UNIT, REGISTER
from census.ingest.report import Report
from census.storage.partitions import HOURS, RECORD_DTYPE, SlotMap, new_county_day

COLUMNS = ("meter_number", "timestamp", "value")
MINUTES_PER_DAY = 24 * 60

# The largest rate a residential connection can sustain, in the published unit per hour.
# A larger interval value is a meter or export error, never consumption:
# - electricity 66 kWh per hour: a three-phase 380 V meter connected directly (without
#   current transformers) carries at most 100 A, sqrt(3) x 380 V x 100 A = 65.8 kW; a
#   single-phase 220 V home meter (60 A maximum) stays below 13.2 kW;
# - water 8,000 L per hour: the overload flow Q4 of a DN25 meter (Q3 = 6.3 m3/h,
#   Q4 = 1.25 x Q3 = 7.9 m3/h, ISO 4064), the largest size fitted to homes;
# - gas 10 m3 per hour: the maximum flow of a G6 diaphragm meter, the largest household size.
MAX_RATE_PER_HOUR: dict[str, float] = {ELECTRICITY: 66.0, WATER: 8000.0, GAS: 10.0}

# A drop of a register reading counts as a roll-over when the reading before it was at
# least this share of the register's capacity and the rolled-over increase is possible.
ROLLOVER_SHARE = 0.9

# Row problems; 0 is a good row. Codes are ordered by the order of the checks.
OK = 0
MISSING_METER_NUMBER = 1
DAMAGED_METER_NUMBER = 2
UNKNOWN_METER = 3
MISSING_TIMESTAMP = 4
INVALID_TIMESTAMP = 5
OUTSIDE_DATE = 6
OFF_GRID = 7
MISSING_VALUE = 8
INVALID_VALUE = 9
NEGATIVE_VALUE = 10
VALUE_TOO_LARGE = 11
READING_TOO_LARGE = 12
PROBLEM_CODES = {
    MISSING_METER_NUMBER: "missing_meter_number",
    DAMAGED_METER_NUMBER: "damaged_meter_number",
    UNKNOWN_METER: "unknown_meter",
    MISSING_TIMESTAMP: "missing_timestamp",
    INVALID_TIMESTAMP: "invalid_timestamp",
    OUTSIDE_DATE: "outside_date",
    OFF_GRID: "off_grid",
    MISSING_VALUE: "missing_value",
    INVALID_VALUE: "invalid_value",
    NEGATIVE_VALUE: "negative_value",
    VALUE_TOO_LARGE: "value_too_large",
    READING_TOO_LARGE: "reading_too_large",
}
WRONG_FIELD_COUNT = "wrong_field_count"
CONFLICTING_DUPLICATE = "conflicting_duplicate"

_NON_SPACE = re.compile(rb"\S")
_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_BLOCK_SIZE = 1 << 22
# Meter numbers and timestamps repeat, so the reader builds a dictionary per block
# instead of a string per row.
_DICTIONARY = pa.dictionary(pa.int32(), pa.string())
_COLUMN_TYPES = {"meter_number": _DICTIONARY, "timestamp": _DICTIONARY, "value": pa.string()}


def max_per_interval(utility: str, minutes: int) -> float:
    """Return the largest possible consumption of one interval, in the published unit."""
    return MAX_RATE_PER_HOUR[utility] * minutes / 60


@dataclass(frozen=True)
class DaySpec:
    """Fields of a consumption manifest that describe its rows."""

    utility: str
    county: str
    day: date
    reading_type: str
    unit: str
    unit_factor: float
    register_digits: int | None = None


# ------------------------------------------------------------------ parsing


@dataclass
class ParsedCsv:
    """The columns of one consumption file, and the lines that were not rows.

    `meter_number` and `timestamp` are dictionary-encoded strings, `value` plain strings.
    """

    name: str
    table: pa.Table
    # 1-based line numbers of lines pyarrow skipped (wrong number of fields), ascending.
    skipped_lines: np.ndarray
    # (line, number of fields) of the skipped lines that were not blank.
    wrong_field_counts: list[tuple[int, int]]

    @property
    def rows(self) -> int:
        return self.table.num_rows

    def line_numbers(self, rows: np.ndarray) -> np.ndarray:
        """Return the 1-based file line of each table row; the header is line 1."""
        rows = np.asarray(rows, dtype=np.int64)
        if not self.skipped_lines.size:
            return rows + 2
        # The k-th skipped line (0-based) shifts every row whose line would otherwise be at or after it.
        shifted = self.skipped_lines - np.arange(self.skipped_lines.size)
        return rows + 2 + np.searchsorted(shifted, rows + 2, side="right")


def _header(data: bytes, name: str) -> list[str]:
    end = data.find(b"\n")
    first_line = (data if end < 0 else data[:end]).decode("utf-8", errors="replace")
    first_line = first_line.removeprefix("\ufeff")
    names = [column.strip().lower() for column in next(csv.reader(io.StringIO(first_line)), [])]
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        raise FileRejected(
            "missing_columns",
            f"file {name!r} has columns {names}, but needs {list(COLUMNS)}; "
            "the first line must be the header",
        )
    if len(set(names)) != len(names):
        raise FileRejected("duplicate_columns", f"file {name!r} names a column twice: {names}")
    return names


def parse_consumption_csv(data: bytes, name: str) -> ParsedCsv:
    """Parse UTF-8 CSV bytes into string columns; raises FileRejected when there is no usable header.

    Lines with the wrong number of fields are skipped and listed; a blank line
    becomes a row of empty strings, which the validation skips.
    """
    header = _header(data, name)
    header_end = data.find(b"\n")
    if header_end < 0 or _NON_SPACE.search(data, header_end + 1) is None:
        # A header alone: pyarrow cannot skip the header line of a file without rows.
        empty = pa.table({column: pa.chunked_array([], type=_COLUMN_TYPES[column]) for column in COLUMNS})
        return ParsedCsv(
            name=name, table=empty, skipped_lines=np.zeros(0, dtype=np.int64), wrong_field_counts=[]
        )
    skipped: list[int] = []
    wrong: list[tuple[int, int]] = []

    def on_invalid_row(row: pcsv.InvalidRow) -> str:
        skipped.append(row.number)
        if row.text.strip():
            wrong.append((row.number, row.actual_columns))
        return "skip"

    try:
        table = pcsv.read_csv(
            pa.BufferReader(data),
            read_options=pcsv.ReadOptions(
                use_threads=False, block_size=_BLOCK_SIZE, column_names=header, skip_rows=1
            ),
            parse_options=pcsv.ParseOptions(invalid_row_handler=on_invalid_row, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types=_COLUMN_TYPES,
                include_columns=list(COLUMNS),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as error:
        raise FileRejected("unreadable_csv", f"file {name!r} is not readable CSV: {error}") from error
    return ParsedCsv(
        name=name,
        table=table,
        skipped_lines=np.array(sorted(skipped), dtype=np.int64),
        wrong_field_counts=wrong,
    )


# ------------------------------------------------------------------ distinct values


class MeterLookup:
    """Slots of a county's registered meters, looked up for whole columns at once."""

    def __init__(self, slot_map: SlotMap, utility: str, county: str) -> None:
        self.utility = utility
        self.county = county
        self.slots = slot_map.slots
        self._registered = pa.array(slot_map.meters, type=pa.string())
        self._slot_map = slot_map
        self._slot_of: dict[str, int] | None = None

    def resolve(self, numbers: pa.Array) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
        """Return per distinct meter number its slot (-1 if none), problem code and reason.

        Numbers written exactly as registered are found by one hash lookup of the
        whole column. The rest are checked one by one, so that a number with spaces
        or full-width digits still finds its meter and a damaged one gets its reason.
        """
        found = pc.index_in(numbers, value_set=self._registered)
        slots = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        codes = np.zeros(len(numbers), dtype=np.uint8)
        reasons: dict[int, str] = {}
        for index in np.flatnonzero(slots < 0):
            raw = numbers[int(index)].as_py()
            try:
                digits = meter_number_from_utility_file(raw, self.utility)
            except MeterNumberDamaged as error:
                codes[index] = MISSING_METER_NUMBER if error.problem == "missing" else DAMAGED_METER_NUMBER
                reasons[int(index)] = str(error)
                continue
            slot = self._normalised_slots().get(digits)
            if slot is None:
                codes[index] = UNKNOWN_METER
                reasons[int(index)] = (
                    f"meter {digits} is not in the registry of {self.utility} meters "
                    f"of county {self.county}; "
                    "upload its registry row first, or check the number and the county"
                )
            else:
                slots[index] = slot
        return slots, codes, reasons

    def _normalised_slots(self) -> dict[str, int]:
        if self._slot_of is None:
            self._slot_of = self._slot_map.slot_of()
        return self._slot_of


def grid_positions(
    texts: Sequence[str], day: date, minutes: int, register: bool
) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Return per distinct timestamp its position on the day's grid (-1 if none), problem code and reason.

    Interval rows have positions 0 .. 1440/minutes - 1 (the interval's start);
    register readings also position 1440/minutes, the next day's 00:00.
    """
    start = datetime.combine(day, time(0), tzinfo=BEIJING)
    step = minutes * 60
    day_seconds = MINUTES_PER_DAY * 60
    positions = np.full(len(texts), -1, dtype=np.int64)
    codes = np.zeros(len(texts), dtype=np.uint8)
    reasons: dict[int, str] = {}
    for index, text in enumerate(texts):
        stripped = text.strip()
        if not stripped:
            codes[index] = MISSING_TIMESTAMP
            reasons[index] = "the timestamp is missing"
            continue
        try:
            moment = datetime.fromisoformat(stripped)
        except ValueError:
            codes[index] = INVALID_TIMESTAMP
            reasons[index] = f"timestamp {stripped!r} is not ISO 8601, such as 2026-11-01T13:00:00+08:00"
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=BEIJING)
        seconds = (moment - start).total_seconds()
        position, remainder = divmod(seconds, step)
        # Register readings may include 00:00 of the next day, the closing reading.
        if seconds < 0 or seconds > day_seconds or (seconds == day_seconds and not register):
            beijing = moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
            allowed = (
                "or the closing reading at 00:00 of the next day" if register else "in Beijing time (UTC+8)"
            )
            codes[index] = OUTSIDE_DATE
            reasons[index] = (
                f"timestamp {stripped!r} is {beijing} in Beijing time, outside the manifest's date "
                f"{day.isoformat()} {allowed}"
            )
            continue
        if remainder:
            codes[index] = OFF_GRID
            reasons[index] = (
                f"timestamp {stripped!r} is not on the {minutes}-minute grid, which starts at 00:00 "
                "Beijing time; rows must be at whole intervals"
            )
            continue
        positions[index] = int(position)
    return positions, codes, reasons


def _indices(encoded: pa.ChunkedArray) -> np.ndarray:
    # After unify_dictionaries every chunk has the same dictionary.
    if not encoded.num_chunks:
        return np.zeros(0, dtype=np.int32)
    return np.concatenate([chunk.indices.to_numpy(zero_copy_only=False) for chunk in encoded.chunks])


def _dictionary(encoded: pa.ChunkedArray) -> pa.Array:
    if not encoded.num_chunks:
        return pa.array([], type=pa.string())
    return encoded.chunks[-1].dictionary


def parse_values(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Return the column as float64 (NaN where unusable) and a problem code per row."""
    try:
        values = pc.cast(column, pa.float64()).to_numpy()
        codes = np.zeros(len(values), dtype=np.uint8)
    except pa.ArrowInvalid:
        trimmed = pc.utf8_trim_whitespace(column)
        empty = pc.equal(trimmed, "").to_numpy()
        valid = pc.match_substring_regex(trimmed, _NUMBER)
        values = pc.cast(pc.if_else(valid, trimmed, pa.scalar(None, pa.string())), pa.float64())
        values = values.to_numpy().astype(np.float64)
        valid_mask = valid.to_numpy()
        codes = np.where(empty, MISSING_VALUE, np.where(valid_mask, OK, INVALID_VALUE)).astype(np.uint8)
    if values.dtype != np.float64:
        values = values.astype(np.float64)
    codes[(codes == OK) & ~np.isfinite(values)] = INVALID_VALUE
    return values, codes


# ------------------------------------------------------------------ one file


@dataclass
class FileRows:
    """The good rows of one file: slot, grid position and value (published unit) of each."""

    name: str
    minutes: int
    parsed: ParsedCsv
    # Table row of each good row; None when every row of the table is good.
    rows: np.ndarray | None
    slots: np.ndarray
    positions: np.ndarray
    values: np.ndarray
    data_rows: int
    rejected: int
    meter_text: pa.Array = field(repr=False)
    meter_index: np.ndarray = field(repr=False)
    timestamp_text: pa.Array = field(repr=False)
    timestamp_index: np.ndarray = field(repr=False)

    @property
    def count(self) -> int:
        return int(self.values.size)

    def table_rows(self) -> np.ndarray:
        return np.arange(self.count, dtype=np.int64) if self.rows is None else self.rows

    def describe(self, row: int) -> tuple[str, str]:
        """Return the meter number and timestamp text of a table row."""
        meter = self.meter_text[int(self.meter_index[row])].as_py()
        timestamp = self.timestamp_text[int(self.timestamp_index[row])].as_py()
        return meter, timestamp


def _value_reason(code: int, value: float, text: str, spec: DaySpec, minutes: int) -> str:
    unit = spec.unit
    if code == MISSING_VALUE:
        return "the value is missing; leave out the row of a missing reading instead"
    if code == INVALID_VALUE:
        return f"value {text!r} is not a finite decimal number"
    if code == NEGATIVE_VALUE:
        kind = "register reading" if spec.reading_type == REGISTER else "consumption"
        return f"value {text} is negative; a {kind} cannot be negative"
    if code == VALUE_TOO_LARGE:
        limit = max_per_interval(spec.utility, minutes) / spec.unit_factor
        rate = MAX_RATE_PER_HOUR[spec.utility] / spec.unit_factor
        return (
            f"value {text} {unit} exceeds {limit:g} {unit}, the most a home can use in {minutes} minutes "
            f"({rate:g} {unit} per hour); check the unit and the meter"
        )
    digits = spec.register_digits
    return f"reading {text} {unit} does not fit a register of {digits} digits before the decimal point"


def validate_file(
    parsed: ParsedCsv,
    spec: DaySpec,
    lookup: MeterLookup,
    minutes: int,
    report: Report,
    expected_rows: int | None = None,
) -> FileRows:
    """Check every row of one parsed file, report the bad ones and return the good ones.

    Raises FileRejected, before reporting any row, when the file's data lines
    are not `expected_rows` in number.
    """
    table = parsed.table
    register = spec.reading_type == REGISTER

    meters = table["meter_number"].unify_dictionaries()
    meter_text = _dictionary(meters)
    meter_index = _indices(meters)
    meter_slots, meter_codes, meter_reasons = lookup.resolve(meter_text)

    stamps = table["timestamp"].unify_dictionaries()
    stamp_text = _dictionary(stamps)
    stamp_index = _indices(stamps)
    stamp_positions, stamp_codes, stamp_reasons = grid_positions(
        stamp_text.to_pylist(), spec.day, minutes, register
    )

    values, value_codes = parse_values(table["value"])
    if spec.unit_factor != 1.0:
        values = values * spec.unit_factor
    value_codes[(value_codes == OK) & (values < 0)] = NEGATIVE_VALUE
    if register:
        if spec.register_digits is not None:
            capacity = 10.0**spec.register_digits * spec.unit_factor
            value_codes[(value_codes == OK) & (values >= capacity)] = READING_TOO_LARGE
    else:
        value_codes[(value_codes == OK) & (values > max_per_interval(spec.utility, minutes))] = (
            VALUE_TOO_LARGE
        )

    clean = not (meter_codes.any() or stamp_codes.any() or value_codes.any())
    if clean:
        # The usual case: no row has a problem, so no per-row code array is built.
        codes = blank = None
        data_rows = table.num_rows + len(parsed.wrong_field_counts)
    else:
        row_meter_codes = meter_codes[meter_index]
        row_stamp_codes = stamp_codes[stamp_index]
        codes = np.where(row_meter_codes != OK, row_meter_codes, row_stamp_codes)
        codes = np.where(codes != OK, codes, value_codes)
        # A blank line parses as a row of empty fields: it is neither data nor rejected.
        blank = (row_meter_codes == MISSING_METER_NUMBER) & (row_stamp_codes == MISSING_TIMESTAMP)
        blank &= value_codes == MISSING_VALUE
        data_rows = table.num_rows - int(blank.sum()) + len(parsed.wrong_field_counts)
    if expected_rows is not None and data_rows != expected_rows:
        raise FileRejected(
            "row_count_mismatch",
            f"file {parsed.name!r} has {data_rows} data lines, but the manifest lists {expected_rows}; "
            "the whole file is rejected. Count data lines without the header and without blank lines",
        )

    for line, fields in parsed.wrong_field_counts:
        report.reject(
            parsed.name,
            line,
            WRONG_FIELD_COUNT,
            f"the line has {fields} fields; rows need the header's fields",
        )
    rejected = len(parsed.wrong_field_counts)
    if codes is None or blank is None:
        return FileRows(
            name=parsed.name,
            minutes=minutes,
            parsed=parsed,
            rows=None,
            slots=meter_slots[meter_index],
            positions=stamp_positions[stamp_index],
            values=values,
            data_rows=data_rows,
            rejected=rejected,
            meter_text=meter_text,
            meter_index=meter_index,
            timestamp_text=stamp_text,
            timestamp_index=stamp_index,
        )

    bad = np.flatnonzero((codes != OK) & ~blank)
    lines = parsed.line_numbers(bad)
    value_column = table["value"]
    for row, line in zip(bad.tolist(), lines.tolist(), strict=True):
        code = int(codes[row])
        if code <= UNKNOWN_METER:
            reason = meter_reasons[int(meter_index[row])]
        elif code <= OFF_GRID:
            reason = stamp_reasons[int(stamp_index[row])]
        else:
            text = value_column[row].as_py().strip()
            reason = _value_reason(code, float(values[row]), text, spec, minutes)
        report.reject(parsed.name, int(line), PROBLEM_CODES[code], reason)

    good = np.flatnonzero(codes == OK)
    return FileRows(
        name=parsed.name,
        minutes=minutes,
        parsed=parsed,
        rows=good,
        slots=meter_slots[meter_index[good]],
        positions=stamp_positions[stamp_index[good]],
        values=values[good],
        data_rows=data_rows,
        rejected=rejected + int(bad.size),
        meter_text=meter_text,
        meter_index=meter_index,
        timestamp_text=stamp_text,
        timestamp_index=stamp_index,
    )


# ------------------------------------------------------------------ the day


@dataclass
class DayResult:
    records: np.ndarray
    accepted_rows: int
    duplicate_rows_dropped: int
    conflicting_rows: int
    meters_with_data: int
    # Per file: rows rejected as conflicting duplicates, and identical duplicate rows dropped.
    rejected_by_file: dict[str, int]
    dropped_by_file: dict[str, int]


@dataclass
class _Grid:
    """Values of one group of files on a (slots x positions) grid, and where each came from."""

    values: np.ndarray
    keys: np.ndarray
    parts: Sequence[FileRows]
    _owner: np.ndarray | None = None
    _sources: tuple[np.ndarray, np.ndarray] | None = None

    def sources(self) -> tuple[np.ndarray, np.ndarray]:
        """Return (file index, table row) of each merged row, in merge order."""
        if self._sources is None:
            part_of = np.concatenate(
                [np.full(part.count, index, dtype=np.int32) for index, part in enumerate(self.parts)]
            )
            row_of = np.concatenate([part.table_rows() for part in self.parts])
            self._sources = (part_of, row_of)
        return self._sources

    def source(self, slot: int, position: int) -> tuple[int, int]:
        """Return (file index, table row) of the row whose value fills a cell."""
        if self._owner is None:
            # Built only for the rare findings that name a row: the last row written wins a cell.
            owner = np.full(self.values.size, -1, dtype=np.int64)
            owner[self.keys] = np.arange(self.keys.size, dtype=np.int64)
            self._owner = owner
        merged = int(self._owner[slot * self.values.shape[1] + position])
        part_of, row_of = self.sources()
        return int(part_of[merged]), int(row_of[merged])


def _merge_rows(
    parts: Sequence[FileRows],
    slots: int,
    positions: int,
    report: Report,
    rejected: dict[str, int],
    dropped: dict[str, int],
) -> _Grid:
    """Put the good rows of files of one interval on one grid, handling duplicate cells.

    Identical duplicates keep one row and are counted; rows that give different
    values for one cell are all rejected, and the cell stays missing.
    """
    if len(parts) == 1:
        keys = parts[0].slots * positions + parts[0].positions
        values = parts[0].values
    else:
        keys = np.concatenate([part.slots * positions + part.positions for part in parts])
        values = np.concatenate([part.values for part in parts])
    cells = slots * positions
    grid = np.full(cells, np.nan)
    grid[keys] = values
    merged = _Grid(grid.reshape(slots, positions), keys, parts)

    crowded = np.flatnonzero(np.bincount(keys, minlength=cells) > 1)
    if not crowded.size:
        return merged
    part_of, row_of = merged.sources()
    marked = np.zeros(cells, dtype=bool)
    marked[crowded] = True
    groups: dict[int, list[int]] = defaultdict(list)
    for row in np.flatnonzero(marked[keys]).tolist():
        groups[int(keys[row])].append(row)
    for key, rows in groups.items():
        if np.all(values[rows] == values[rows[0]]):
            for row in rows[1:]:
                dropped[parts[part_of[row]].name] += 1
            continue
        grid[key] = np.nan
        meter, timestamp = parts[part_of[rows[0]]].describe(int(row_of[rows[0]]))
        places = []
        for row in rows:
            part = parts[part_of[row]]
            line = int(part.parsed.line_numbers(np.array([row_of[row]]))[0])
            places.append((part.name, line, float(values[row])))
        listed = ", ".join(f"{name} line {line}: {value:g}" for name, line, value in places)
        for name, line, _value in places:
            rejected[name] += 1
            report.reject(
                name,
                line,
                CONFLICTING_DUPLICATE,
                f"meter {meter} at {timestamp} has {len(rows)} rows with different values ({listed}); "
                "all of them are rejected and the interval is missing",
            )
    return merged


def _register_intervals(
    grid: _Grid, parts: Sequence[FileRows], spec: DaySpec, minutes: int, report: Report
) -> np.ndarray:
    """Turn register readings (slots x n+1) into interval consumption (slots x n).

    A drop of the reading is a roll-over when the reading before it is near the
    register's capacity and the rolled-over increase is possible in one interval.
    Any other drop is a meter replacement, so that interval is missing. An
    increase larger than possible is missing too.
    """
    readings = grid.values
    deltas = np.diff(readings, axis=1)
    limit = max_per_interval(spec.utility, minutes)
    drops = np.argwhere(deltas < 0)
    too_large = np.argwhere(deltas > limit)

    def where(slot: int, position: int) -> tuple[str, int, str]:
        # The later of the two readings names the place in the file.
        part_index, row = grid.source(slot, position + 1)
        part = parts[part_index]
        line = int(part.parsed.line_numbers(np.array([row]))[0])
        return part.name, line, part.describe(row)[0]

    for slot, position in drops.tolist():
        before, after = readings[slot, position], readings[slot, position + 1]
        if spec.register_digits is not None:
            capacity = 10.0**spec.register_digits * spec.unit_factor
        else:
            integer_digits = (
                int(np.floor(np.log10(before / spec.unit_factor))) + 1 if before >= spec.unit_factor else 1
            )
            capacity = 10.0**integer_digits * spec.unit_factor
        rolled = after + capacity - before
        name, line, meter = where(slot, position)
        if before >= ROLLOVER_SHARE * capacity and rolled <= limit:
            deltas[slot, position] = rolled
            report.notice(
                name,
                line,
                "register_rollover",
                f"meter {meter}: reading fell from {before:g} to {after:g}, taken as a roll-over of a "
                f"register of capacity {capacity:g}, so the interval's consumption is {rolled:g}",
            )
        else:
            deltas[slot, position] = np.nan
            report.notice(
                name,
                line,
                "meter_replacement",
                f"meter {meter}: reading fell from {before:g} to {after:g}, which is not a roll-over. "
                "It is taken as a meter replacement, so that interval is missing",
            )
    for slot, position in too_large.tolist():
        name, line, meter = where(slot, position)
        increase = deltas[slot, position]
        deltas[slot, position] = np.nan
        report.notice(
            name,
            line,
            "register_jump",
            f"meter {meter}: reading rose by {increase:g} {PUBLISHED_UNIT[spec.utility]} in {minutes} "
            f"minutes, more than the {limit:g} possible, so that interval is missing",
        )
    return deltas


def _hours(intervals: np.ndarray, minutes: int) -> np.ndarray:
    """Sum intervals to hours; an hour with any interval missing is missing (NaN propagates)."""
    per_hour = 60 // minutes
    if per_hour == 1:
        return intervals
    return intervals.reshape(intervals.shape[0], HOURS, per_hour).sum(axis=2)


def assemble_day(files: Sequence[FileRows], spec: DaySpec, slots: int, report: Report) -> DayResult:
    """Build the county-day records from the good rows of every file of one upload.

    Files of one interval share a grid, so duplicates across them are found too.
    A day total is the sum of the 24 hours when all are present, else the daily
    row's value, else missing.
    """
    register = spec.reading_type == REGISTER
    rejected: dict[str, int] = defaultdict(int)
    dropped: dict[str, int] = defaultdict(int)
    missing = np.full(slots, np.nan)
    hours: np.ndarray | None = None
    daily = closing = missing

    by_interval: dict[int, list[FileRows]] = defaultdict(list)
    for part in files:
        by_interval[part.minutes].append(part)
    for minutes in sorted(by_interval, reverse=True):
        parts = by_interval[minutes]
        intervals_per_day = MINUTES_PER_DAY // minutes
        positions = intervals_per_day + 1 if register else intervals_per_day
        grid = _merge_rows(parts, slots, positions, report, rejected, dropped)
        if register:
            closing = np.where(np.isnan(grid.values[:, -1]), closing, grid.values[:, -1])
            intervals = _register_intervals(grid, parts, spec, minutes, report)
        else:
            intervals = grid.values
        if minutes == DAILY:
            daily = intervals[:, 0]
        else:
            hours = _hours(intervals, minutes)

    records = new_county_day(slots) if hours is None else np.empty(slots, dtype=RECORD_DTYPE)
    if hours is None:
        totals = daily
        with_data = np.isfinite(totals) | np.isfinite(closing)
    else:
        records["hours"] = hours
        totals = hours.sum(axis=1)
        totals = np.where(np.isnan(totals), daily, totals)
        with_data = np.isfinite(hours).any(axis=1) | np.isfinite(totals) | np.isfinite(closing)
    records["total"] = totals
    records["register"] = closing
    accepted = sum(part.count for part in files) - sum(dropped.values()) - sum(rejected.values())
    return DayResult(
        records=records,
        accepted_rows=int(accepted),
        duplicate_rows_dropped=sum(dropped.values()),
        conflicting_rows=sum(rejected.values()),
        meters_with_data=int(with_data.sum()),
        rejected_by_file=dict(rejected),
        dropped_by_file=dict(dropped),
    )
