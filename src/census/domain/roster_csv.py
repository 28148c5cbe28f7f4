"""Roster CSV files exported from the census enumerator management system.

`parse_roster` decodes the file, maps the header to the roster's columns, checks
every row and returns the good rows and one reject per bad row. The clear ID number
is hashed here and never leaves this module. Reject reasons name the column and
the bad value, except that ID numbers and phone numbers are never repeated.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from census.domain.areas import InvalidAreaCode, validate_area_code
from census.domain.idnumber import hash_id_number, normalize_id_number, validate_id_number
from census.domain.names import normalize_name
from census.domain.phones import InvalidPhone, normalize_phone
from census.errors import InvalidIdNumber

ENUMERATOR = "enumerator"
SUPERVISOR = "supervisor"

# Header names, compared after NFKC, case folding and spaces or hyphens to "_". The
# first name is the column's name in code and the second its usual Chinese name.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "person_id": ("person_id", "人员编号"),
    "name": ("name", "姓名"),
    "phone": ("phone", "手机号码", "手机号", "mobile"),
    "id_number": ("id_number", "身份证号", "公民身份号码", "身份证号码"),
    "role": ("role", "角色"),
    "supervisor_id": ("supervisor_id", "指导员编号"),
    "area_codes": ("area_codes", "管辖区域"),
    "active_from": ("active_from", "开始日期"),
    "active_to": ("active_to", "结束日期"),
}
_COLUMN_BY_ALIAS = {alias: column for column, aliases in COLUMN_ALIASES.items() for alias in aliases}

_ROLES = {
    "enumerator": ENUMERATOR,
    "普查员": ENUMERATOR,
    "supervisor": SUPERVISOR,
    "普查指导员": SUPERVISOR,
    "指导员": SUPERVISOR,
}

_PERSON_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Separators between area codes in one cell, after NFKC has turned "；" and "，" into ASCII.
_AREA_SEPARATORS = re.compile(r"[;|、,]")
_DATE_FORMATS = (
    re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"),
    re.compile(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})"),
    re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日"),
)
_SCIENTIFIC = re.compile(r"[0-9.]+[eE]\+?[0-9]+")

_ID_PROBLEMS = {
    "characters": "it has characters other than 17 digits followed by a digit or X",
    "check_digit": "its check digit does not match the other digits",
    "birth_date": "its birth date does not exist or lies in the future",
}
_SPREADSHEET_HINT = (
    " A spreadsheet converted it to scientific notation, which loses digits: export the column as text."
)


@dataclass(frozen=True)
class RosterRow:
    """One person of the roster, checked and normalised, with the ID number hashed."""

    person_id: str
    name: str
    name_key: str
    phone: str
    id_hash: str
    role: str
    supervisor_id: str | None
    area_codes: tuple[str, ...]
    active_from: date
    active_to: date


@dataclass(frozen=True)
class RowReject:
    """A rejected row: its physical line in the file (header = 1, 0 = whole file) and why."""

    line: int
    reason: str


@dataclass
class RosterParseResult:
    """The good rows, the rejects in line order, and the encoding the file was read with."""

    rows: list[RosterRow] = field(default_factory=list)
    rejects: list[RowReject] = field(default_factory=list)
    encoding: str | None = None


def parse_roster(data: bytes, *, id_hash_key: bytes, today: date | None = None) -> RosterParseResult:
    """Decode and check a roster CSV file.

    The file is UTF-8, with or without BOM, or else GB18030 (a superset of GBK).
    A missing or repeated column rejects the whole file at the header's line. Every
    other problem rejects only its row, and the good rows are kept. Later rows that
    repeat a person ID, phone or ID number are rejected, naming the first row's line.
    An enumerator must name a supervisor whose row in the same file is accepted.
    ID birth dates after `today` (default: the local date) are invalid.
    Raises ValueError on an empty `id_hash_key`.
    """
    if not id_hash_key:
        raise ValueError("the ID number hash key is empty")
    result = RosterParseResult()

    decoded = _decode(data)
    if decoded is None:
        reason = "The file is neither UTF-8 nor GB18030/GBK text. Save it as UTF-8 CSV and import it again."
        result.rejects.append(RowReject(0, reason))
        return result
    text, result.encoding = decoded

    records = _records(text, result.rejects)
    header = next(records, None)
    if header is None:
        result.rejects.append(
            RowReject(1, "The file is empty. Export the roster with its header row and import it again.")
        )
        return result
    header_line, header_cells = header
    columns, header_problem = _map_header(header_cells)
    if header_problem:
        result.rejects.append(RowReject(header_line, header_problem))
        return result

    checker = _RowChecker(columns, id_hash_key=id_hash_key, today=today or date.today())
    accepted: list[tuple[int, RosterRow]] = []
    for line, cells in records:
        row, problems = checker.check(line, cells)
        if row is None:
            result.rejects.append(RowReject(line, " ".join(problems)))
        else:
            accepted.append((line, row))

    supervisors = {row.person_id for _, row in accepted if row.role == SUPERVISOR}
    for line, row in accepted:
        problem = checker.supervisor_problem(row, supervisors)
        if problem:
            result.rejects.append(RowReject(line, problem))
        else:
            result.rows.append(row)
    result.rejects.sort(key=lambda reject: reject.line)
    return result


def _decode(data: bytes) -> tuple[str, str] | None:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    # GB18030 has a BOM of its own (84 31 95 33), which decodes to U+FEFF.
    return text.removeprefix("\ufeff"), "gb18030"


def _records(text: str, rejects: list[RowReject]) -> Iterator[tuple[int, list[str]]]:
    """Yield each non-blank CSV record with the physical line it starts on.

    A cell in quotes may span lines, so a record's line is counted from the end of
    the record before it. A CSV syntax error rejects the rest of the file.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            rejects.append(
                RowReject(start, f"The file is not valid CSV from this line on ({error}). Fix the quoting.")
            )
            return
        end = reader.line_num
        if any(cell.strip() for cell in cells):
            yield start, cells


def _header_key(cell: str) -> str:
    text = unicodedata.normalize("NFKC", cell).strip().removeprefix("\ufeff").casefold()
    return re.sub(r"[\s-]+", "_", text)


@dataclass(frozen=True)
class _Columns:
    index: dict[str, int]
    label: dict[str, str]
    width: int


def _map_header(cells: list[str]) -> tuple[_Columns, str | None]:
    index: dict[str, int] = {}
    label: dict[str, str] = {}
    repeated: list[str] = []
    for position, cell in enumerate(cells):
        column = _COLUMN_BY_ALIAS.get(_header_key(cell))
        if column is None:
            continue
        if column in index:
            repeated.append(f'"{cell.strip()}"')
            continue
        index[column] = position
        label[column] = cell.strip().removeprefix("\ufeff")

    columns = _Columns(index=index, label=label, width=len(cells))
    missing = [f"{column} ({COLUMN_ALIASES[column][1]})" for column in COLUMN_ALIASES if column not in index]
    if missing:
        return columns, (
            f"The header is missing the columns {', '.join(missing)}. "
            "Export the roster with all columns and import it again."
        )
    if repeated:
        return columns, (
            f"The header repeats the columns {', '.join(repeated)}. "
            "Keep one column of each and import the file again."
        )
    return columns, None


class _RowChecker:
    """Checks rows one by one and remembers what earlier rows used, to find repeats."""

    def __init__(self, columns: _Columns, *, id_hash_key: bytes, today: date) -> None:
        self._columns = columns
        self._id_hash_key = id_hash_key
        self._today = today
        self._person_lines: dict[str, int] = {}
        self._phone_lines: dict[str, int] = {}
        self._id_hash_lines: dict[str, int] = {}
        # Role and line of every person ID seen first, accepted or not, so that a
        # reference to a rejected supervisor can say which line to fix.
        self._roles: dict[str, tuple[str | None, int]] = {}

    def _label(self, column: str) -> str:
        return self._columns.label[column]

    def check(self, line: int, cells: list[str]) -> tuple[RosterRow | None, list[str]]:
        """Return the row and no problems, or None and the problems as sentences."""
        extra = [cell for cell in cells[self._columns.width :] if cell.strip()]
        if extra:
            return None, [
                f"The row has {len(cells)} cells but the header has {self._columns.width}. "
                "Put cells that contain commas in double quotes and import the file again."
            ]
        values = {
            column: cells[position].strip() if position < len(cells) else ""
            for column, position in self._columns.index.items()
        }
        problems: list[str] = []

        person_id = self._person_id(values["person_id"], line, problems)
        name, name_key = self._name(values["name"], problems)
        phone = self._phone(values["phone"], line, problems)
        id_hash = self._id_number(values["id_number"], line, problems)
        role = self._role(values["role"], problems)
        supervisor_id = self._supervisor_id(values["supervisor_id"], role, problems)
        area_codes = self._area_codes(values["area_codes"], problems)
        active_from = self._date("active_from", values["active_from"], problems)
        active_to = self._date("active_to", values["active_to"], problems)
        if active_from and active_to and active_from > active_to:
            problems.append(
                f'Column "{self._label("active_from")}" has {active_from.isoformat()}, which is after '
                f'{active_to.isoformat()} in column "{self._label("active_to")}". Correct the active dates.'
            )
        if person_id and person_id not in self._roles:
            self._roles[person_id] = (role, line)

        if problems:
            return None, problems
        assert person_id and name and name_key and phone and id_hash and role and area_codes
        assert active_from and active_to
        row = RosterRow(
            person_id=person_id,
            name=name,
            name_key=name_key,
            phone=phone,
            id_hash=id_hash,
            role=role,
            supervisor_id=supervisor_id,
            area_codes=area_codes,
            active_from=active_from,
            active_to=active_to,
        )
        return row, []

    def _missing(self, column: str) -> str:
        return f'Column "{self._label(column)}" is empty. Fill it in and import the file again.'

    def _person_id(self, value: str, line: int, problems: list[str]) -> str | None:
        if not value:
            problems.append(self._missing("person_id"))
            return None
        person_id = unicodedata.normalize("NFKC", value)
        if not _PERSON_ID.fullmatch(person_id):
            problems.append(
                f'Column "{self._label("person_id")}" has person ID "{value}", which is not 1 to 64 letters, '
                'digits, "-" or "_". Use the person ID of the enumerator management system.'
            )
            return None
        first = self._person_lines.setdefault(person_id, line)
        if first != line:
            problems.append(
                f'Column "{self._label("person_id")}" repeats person ID "{person_id}" of line {first}. '
                "Remove the repeated row or correct the person ID."
            )
        return person_id

    def _name(self, value: str, problems: list[str]) -> tuple[str | None, str | None]:
        try:
            return value, normalize_name(value)
        except ValueError:
            problems.append(self._missing("name"))
            return None, None

    def _phone(self, value: str, line: int, problems: list[str]) -> str | None:
        label = self._label("phone")
        if not value:
            problems.append(self._missing("phone"))
            return None
        try:
            phone = normalize_phone(value)
        except InvalidPhone as error:
            hint = _SPREADSHEET_HINT if _SCIENTIFIC.fullmatch(value) else ""
            problems.append(
                f'Column "{label}" has an invalid mobile number: {error}. '
                f"Correct it and import the file again.{hint}"
            )
            return None
        first = self._phone_lines.setdefault(phone, line)
        if first != line:
            problems.append(
                f'Column "{label}" repeats the mobile number of line {first}, but each person signs in with '
                "their own number. Correct one of the two rows."
            )
        return phone

    def _id_number(self, value: str, line: int, problems: list[str]) -> str | None:
        label = self._label("id_number")
        if not value:
            problems.append(self._missing("id_number"))
            return None
        try:
            number = validate_id_number(value, today=self._today)
        except InvalidIdNumber as error:
            problem = error.params["problem"]
            if problem == "length":
                description = f"it has {len(normalize_id_number(value))} characters, expected 18"
            else:
                description = _ID_PROBLEMS[problem]
            hint = _SPREADSHEET_HINT if _SCIENTIFIC.fullmatch(value) else ""
            problems.append(
                f'Column "{label}" has an invalid ID number: {description}. '
                f"Correct it and import the file again.{hint}"
            )
            return None
        id_hash = hash_id_number(number, self._id_hash_key)
        first = self._id_hash_lines.setdefault(id_hash, line)
        if first != line:
            problems.append(
                f'Column "{label}" repeats the ID number of line {first}. '
                "Remove the repeated row or correct the ID number."
            )
        return id_hash

    def _role(self, value: str, problems: list[str]) -> str | None:
        if not value:
            problems.append(self._missing("role"))
            return None
        role = _ROLES.get("".join(unicodedata.normalize("NFKC", value).split()).casefold())
        if role is None:
            problems.append(
                f'Column "{self._label("role")}" has unknown role "{value}". '
                "Use enumerator (普查员) or supervisor (普查指导员)."
            )
        return role

    def _supervisor_id(self, value: str, role: str | None, problems: list[str]) -> str | None:
        # A supervisor's own supervisor is not part of the roster model, so the cell is ignored.
        if role != ENUMERATOR:
            return None
        if not value:
            problems.append(
                f'Column "{self._label("supervisor_id")}" is empty, but an enumerator needs the person ID '
                "of their supervisor. Fill it in and import the file again."
            )
            return None
        return unicodedata.normalize("NFKC", value)

    def _area_codes(self, value: str, problems: list[str]) -> tuple[str, ...]:
        label = self._label("area_codes")
        cell = unicodedata.normalize("NFKC", value)
        parts = [part for part in _AREA_SEPARATORS.split(cell) if part.strip()]
        if not parts:
            problems.append(self._missing("area_codes"))
            return ()
        codes: list[str] = []
        for part in parts:
            try:
                code = validate_area_code(part)
            except InvalidAreaCode as error:
                problems.append(
                    f'Column "{label}" has an invalid area code: {error}. '
                    'Use 12-digit statistical division codes separated by ";".'
                )
                return ()
            if code not in codes:
                codes.append(code)
        return tuple(codes)

    def _date(self, column: str, value: str, problems: list[str]) -> date | None:
        if not value:
            problems.append(self._missing(column))
            return None
        text = "".join(unicodedata.normalize("NFKC", value).split())
        for pattern in _DATE_FORMATS:
            match = pattern.fullmatch(text)
            if match:
                year, month, day = (int(group) for group in match.groups())
                try:
                    return date(year, month, day)
                except ValueError:
                    break
        problems.append(
            f'Column "{self._label(column)}" has invalid date "{value}". '
            "Write dates as 2026-11-01, 2026/11/01 or 2026年11月1日."
        )
        return None

    def supervisor_problem(self, row: RosterRow, supervisors: set[str]) -> str | None:
        """Return why an enumerator's supervisor_id names no accepted supervisor, or None."""
        supervisor_id = row.supervisor_id
        if row.role != ENUMERATOR or supervisor_id is None or supervisor_id in supervisors:
            return None
        label = self._label("supervisor_id")
        role, line = self._roles.get(supervisor_id, (None, 0))
        if role == SUPERVISOR:
            return (
                f'Column "{label}" has "{supervisor_id}", the supervisor of line {line}, '
                "whose row was rejected. Fix that row and import the file again."
            )
        if role == ENUMERATOR:
            return (
                f'Column "{label}" has "{supervisor_id}", who is an enumerator, not a supervisor. '
                "Use the person ID of the supervisor."
            )
        return (
            f'Column "{label}" has "{supervisor_id}", which is not a supervisor in this file. '
            "Add the supervisor's row or correct the person ID."
        )
