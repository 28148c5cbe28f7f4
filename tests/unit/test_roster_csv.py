"""Unit tests of census.domain.roster_csv."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from census.domain.idnumber import hash_id_number
from census.domain.roster_csv import RosterParseResult, RosterRow, RowReject, parse_roster

KEY = b"roster-test-key"
TODAY = date(2026, 10, 20)

EN_HEADER = [
    "person_id",
    "name",
    "phone",
    "id_number",
    "role",
    "supervisor_id",
    "area_codes",
    "active_from",
    "active_to",
]
ZH_HEADER = [
    "人员编号",
    "姓名",
    "手机号码",
    "身份证号",
    "角色",
    "指导员编号",
    "管辖区域",
    "开始日期",
    "结束日期",
]


def check_digit(first17: str) -> str:
    total = sum(int(digit) * (2 ** (17 - position) % 11) for position, digit in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def make_id(sequence: int, birth: str = "19900101") -> str:
    first17 = f"430102{birth}{sequence:03d}"
    return first17 + check_digit(first17)


def find_id_with_check_x() -> str:
    return next(make_id(sequence) for sequence in range(1000) if make_id(sequence).endswith("X"))


def person(number: int, **changes: str) -> dict[str, str]:
    """A valid enumerator row under supervisor S001, made unique by `number`."""
    row = {
        "person_id": f"E{number:03d}",
        "name": f"普查员{number}",
        "phone": f"139{number:08d}",
        "id_number": make_id(number),
        "role": "enumerator",
        "supervisor_id": "S001",
        "area_codes": "430102001001",
        "active_from": "2026-10-27",
        "active_to": "2026-11-15",
    }
    row.update(changes)
    return row


def supervisor(number: int = 1, **changes: str) -> dict[str, str]:
    values = {
        "person_id": f"S{number:03d}",
        "name": f"指导员{number}",
        "phone": f"138{number:08d}",
        "id_number": make_id(500 + number),
        "role": "supervisor",
        "supervisor_id": "",
        "area_codes": "430102001000",
    }
    values.update(changes)
    return person(0, **values)


def csv_text(rows: list[dict[str, str]], header: list[str] = EN_HEADER, newline: str = "\n") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    for row in rows:
        writer.writerow(list(row.values()))
    return buffer.getvalue()


def parse(text: str, encoding: str = "utf-8", today: date = TODAY) -> RosterParseResult:
    return parse_roster(text.encode(encoding), id_hash_key=KEY, today=today)


def only_reject(result: RosterParseResult) -> RowReject:
    assert len(result.rejects) == 1, result.rejects
    return result.rejects[0]


def reject_of(bad_row: dict[str, str]) -> RowReject:
    """Parse a good supervisor (line 2), a good enumerator (line 3) and `bad_row` (line 4)."""
    result = parse(csv_text([supervisor(), person(1), bad_row]))
    assert [row.person_id for row in result.rows] == ["S001", "E001"]
    reject = only_reject(result)
    assert reject.line == 4
    return reject


# Decoding


def test_parse_utf8_rows() -> None:
    result = parse(csv_text([supervisor(), person(1), person(2)]))
    assert result.rejects == []
    assert [row.person_id for row in result.rows] == ["S001", "E001", "E002"]
    assert result.encoding == "utf-8"


def test_parse_utf8_row_fields() -> None:
    id_number = make_id(1)
    result = parse(csv_text([supervisor(), person(1, name=" 阿卜杜拉 • 艾力 ", area_codes="430102001001")]))
    assert result.rows[1] == RosterRow(
        person_id="E001",
        name="阿卜杜拉 • 艾力",
        name_key="阿卜杜拉·艾力",
        phone="+8613900000001",
        id_hash=hash_id_number(id_number, KEY),
        role="enumerator",
        supervisor_id="S001",
        area_codes=("430102001001",),
        active_from=date(2026, 10, 27),
        active_to=date(2026, 11, 15),
    )


def test_parse_supervisor_has_no_supervisor_id() -> None:
    result = parse(csv_text([supervisor(supervisor_id="S999")]))
    assert result.rows[0].supervisor_id is None
    assert result.rows[0].role == "supervisor"


def test_parse_utf8_with_bom() -> None:
    data = b"\xef\xbb\xbf" + csv_text([supervisor(), person(1)]).encode("utf-8")
    result = parse_roster(data, id_hash_key=KEY, today=TODAY)
    assert result.rejects == []
    assert len(result.rows) == 2
    assert result.encoding == "utf-8"


def test_parse_utf8_with_bom_chinese_header() -> None:
    data = b"\xef\xbb\xbf" + csv_text([supervisor(), person(1)], header=ZH_HEADER).encode("utf-8")
    result = parse_roster(data, id_hash_key=KEY, today=TODAY)
    assert result.rejects == []
    assert len(result.rows) == 2


def test_parse_gbk_chinese_header_and_values() -> None:
    rows = [
        supervisor(role="普查指导员", active_from="2026年10月27日", active_to="2026年11月15日"),
        person(1, role="普查员", name="买买提·吐尔逊", area_codes="430102001001、430102001002"),
    ]
    result = parse(csv_text(rows, header=ZH_HEADER), encoding="gbk")
    assert result.rejects == []
    assert result.encoding == "gb18030"
    assert result.rows[0].role == "supervisor"
    assert result.rows[0].active_from == date(2026, 10, 27)
    assert result.rows[1].name == "买买提·吐尔逊"
    assert result.rows[1].area_codes == ("430102001001", "430102001002")


def test_parse_gb18030_with_bom() -> None:
    data = "\ufeff".encode("gb18030") + csv_text([supervisor()], header=ZH_HEADER).encode("gb18030")
    result = parse_roster(data, id_hash_key=KEY, today=TODAY)
    assert result.rejects == []
    assert len(result.rows) == 1


def test_parse_utf16_rejected_at_line_0() -> None:
    result = parse(csv_text([supervisor()]), encoding="utf-16")
    reject = only_reject(result)
    assert reject.line == 0
    assert "neither UTF-8 nor GB18030/GBK" in reject.reason
    assert "Save it as UTF-8" in reject.reason
    assert result.rows == []


def test_parse_undecodable_bytes_rejected_at_line_0() -> None:
    data = csv_text([supervisor()]).encode("utf-8") + b"\xff\xfe\x80"
    result = parse_roster(data, id_hash_key=KEY, today=TODAY)
    assert only_reject(result).line == 0
    assert result.rows == []


def test_parse_empty_file() -> None:
    reject = only_reject(parse(""))
    assert reject.line == 1
    assert "empty" in reject.reason


def test_parse_header_only() -> None:
    result = parse(csv_text([]))
    assert result.rows == []
    assert result.rejects == []


def test_parse_rejects_empty_hash_key() -> None:
    with pytest.raises(ValueError, match="key is empty"):
        parse_roster(csv_text([supervisor()]).encode(), id_hash_key=b"")


# Header


def test_header_missing_columns_rejects_file() -> None:
    header = [name for name in EN_HEADER if name not in ("phone", "active_to")]
    rows = [{k: v for k, v in row.items() if k in header} for row in (supervisor(), person(1))]
    result = parse(csv_text(rows, header=header))
    reject = only_reject(result)
    assert reject.line == 1
    assert "phone" in reject.reason
    assert "active_to" in reject.reason
    assert "id_number" not in reject.reason
    assert result.rows == []


def test_header_is_case_insensitive() -> None:
    header = [name.upper() for name in EN_HEADER]
    result = parse(csv_text([supervisor()], header=header))
    assert result.rejects == []
    assert len(result.rows) == 1


def test_header_accepts_spaces_for_underscores() -> None:
    header = [name.replace("_", " ").title() for name in EN_HEADER]
    result = parse(csv_text([supervisor()], header=header))
    assert result.rejects == []


def test_header_accepts_chinese_aliases() -> None:
    header = [
        "人员编号",
        "姓名",
        "手机号",
        "公民身份号码",
        "角色",
        "指导员编号",
        "管辖区域",
        "开始日期",
        "结束日期",
    ]
    result = parse(csv_text([supervisor(), person(1)], header=header))
    assert result.rejects == []
    assert len(result.rows) == 2


def test_header_ignores_unknown_columns() -> None:
    header = [*EN_HEADER, "remark"]
    rows = [{**supervisor(), "remark": "note"}]
    result = parse(csv_text(rows, header=header))
    assert result.rejects == []
    assert len(result.rows) == 1


def test_header_columns_in_other_order() -> None:
    header = list(reversed(EN_HEADER))
    rows = [dict(reversed(list(supervisor().items())))]
    result = parse(csv_text(rows, header=header))
    assert result.rejects == []
    assert result.rows[0].person_id == "S001"


def test_header_repeated_column_rejects_file() -> None:
    header = [*EN_HEADER, "手机号码"]
    rows = [{**supervisor(), "phone2": "13800000009"}]
    result = parse(csv_text(rows, header=header))
    reject = only_reject(result)
    assert reject.line == 1
    assert "手机号码" in reject.reason
    assert result.rows == []


def test_header_missing_columns_gives_chinese_names() -> None:
    reject = only_reject(parse(csv_text([], header=ZH_HEADER[:2])))
    assert "phone (手机号码)" in reject.reason
    assert "id_number (身份证号)" in reject.reason


def test_parse_csv_error_rejects_rest_of_file() -> None:
    text = csv_text([supervisor(), person(1)]) + "E002," + "x" * 200_000 + "\n" + ",".join(person(3).values())
    result = parse(text)
    reject = only_reject(result)
    assert reject.line == 4
    assert "not valid CSV" in reject.reason
    assert [row.person_id for row in result.rows] == ["S001", "E001"]


# Line numbers


def test_line_numbers_count_blank_lines() -> None:
    lines = [
        ",".join(EN_HEADER),
        ",".join(supervisor().values()),
        "",
        " ",
        ",".join(person(1, phone="bad").values()),
    ]
    assert only_reject(parse("\n".join(lines) + "\n")).line == 5


def test_line_numbers_count_newlines_in_quoted_cells() -> None:
    rows = [supervisor(area_codes="430102001000;\n430102002000"), person(1, phone="bad")]
    result = parse(csv_text(rows))
    assert result.rows[0].area_codes == ("430102001000", "430102002000")
    assert only_reject(result).line == 4


def test_line_numbers_with_crlf() -> None:
    result = parse(csv_text([supervisor(), person(1), person(2, phone="bad")], newline="\r\n"))
    assert only_reject(result).line == 4


def test_rejects_sorted_by_line() -> None:
    rows = [supervisor(), person(1, supervisor_id="S404"), person(2, phone="bad")]
    result = parse(csv_text(rows))
    assert [reject.line for reject in result.rejects] == [3, 4]


# Row rejects


@pytest.mark.parametrize("column", ["person_id", "phone", "id_number", "role", "area_codes", "active_to"])
def test_reject_missing_value(column: str) -> None:
    reject = reject_of(person(2, **{column: ""}))
    assert f'Column "{column}" is empty' in reject.reason


def test_reject_missing_name() -> None:
    reject = reject_of(person(2, name=" \u3000"))
    assert 'Column "name" is empty' in reject.reason


def test_reject_missing_active_from() -> None:
    reject = reject_of(person(2, active_from=""))
    assert 'Column "active_from" is empty' in reject.reason


def test_reject_missing_value_names_chinese_column() -> None:
    result = parse(csv_text([supervisor(), person(1, phone="")], header=ZH_HEADER))
    assert 'Column "手机号码" is empty' in only_reject(result).reason


def test_reject_enumerator_without_supervisor_id() -> None:
    reject = reject_of(person(2, supervisor_id=""))
    assert 'Column "supervisor_id" is empty' in reject.reason
    assert "enumerator" in reject.reason


def test_reject_short_row_as_missing_values() -> None:
    text = csv_text([supervisor()]) + "E002,张三,13900000002\n"
    reject = only_reject(parse(text))
    assert reject.line == 3
    assert 'Column "id_number" is empty' in reject.reason


def test_reject_row_with_extra_cells() -> None:
    text = csv_text([supervisor()]) + ",".join(person(2).values()) + ",extra\n"
    reject = only_reject(parse(text))
    assert reject.line == 3
    assert "10 cells" in reject.reason
    assert "header has 9" in reject.reason


def test_accept_row_with_empty_trailing_cells() -> None:
    text = csv_text([supervisor()]) + ",".join(supervisor(2).values()) + ",,\n"
    result = parse(text)
    assert result.rejects == []
    assert len(result.rows) == 2


@pytest.mark.parametrize(
    ("id_number", "expected"),
    [
        (make_id(2)[:17], "it has 17 characters, expected 18"),
        (make_id(2)[:16] + "A" + make_id(2)[17], "characters other than 17 digits"),
        (make_id(2)[:17] + ("1" if make_id(2).endswith("0") else "0"), "check digit"),
        (make_id(2, birth="19990229"), "birth date"),
        (make_id(2, birth="20261021"), "birth date"),
    ],
)
def test_reject_bad_id_number(id_number: str, expected: str) -> None:
    reject = reject_of(person(2, id_number=id_number))
    assert 'Column "id_number" has an invalid ID number' in reject.reason
    assert expected in reject.reason
    assert id_number not in reject.reason


def test_accept_id_number_birth_today() -> None:
    result = parse(csv_text([supervisor(id_number=make_id(2, birth="20261020"))]))
    assert result.rejects == []


def test_accept_id_number_feb_29_leap_year() -> None:
    result = parse(csv_text([supervisor(id_number=make_id(2, birth="20000229"))]))
    assert result.rejects == []


def test_reject_id_number_in_scientific_notation_with_hint() -> None:
    reject = reject_of(person(2, id_number="4.30102E+17"))
    assert "scientific notation" in reject.reason
    assert "4.30102E+17" not in reject.reason


def test_accept_id_number_lower_case_x() -> None:
    number = find_id_with_check_x()
    result = parse(csv_text([supervisor(id_number=number.lower())]))
    assert result.rows[0].id_hash == hash_id_number(number, KEY)


@pytest.mark.parametrize(
    ("phone", "problem"), [("1390000002", "10 digits"), ("12900000002", "not a mainland")]
)
def test_reject_bad_phone(phone: str, problem: str) -> None:
    reject = reject_of(person(2, phone=phone))
    assert 'Column "phone" has an invalid mobile number' in reject.reason
    assert problem in reject.reason
    assert phone not in reject.reason


def test_reject_unknown_role() -> None:
    reject = reject_of(person(2, role="manager"))
    assert 'Column "role" has unknown role "manager"' in reject.reason
    assert "普查指导员" in reject.reason


@pytest.mark.parametrize("role", ["Enumerator", "ENUMERATOR", " enumerator ", "普查员"])
def test_accept_enumerator_role_spelling(role: str) -> None:
    result = parse(csv_text([supervisor(), person(1, role=role)]))
    assert result.rows[1].role == "enumerator"


@pytest.mark.parametrize("role", ["Supervisor", "普查指导员", "指导员"])
def test_accept_supervisor_role_spelling(role: str) -> None:
    result = parse(csv_text([supervisor(role=role)]))
    assert result.rows[0].role == "supervisor"


def test_reject_bad_area_code_names_value() -> None:
    reject = reject_of(person(2, area_codes="430102001001;4301"))
    assert 'Column "area_codes" has an invalid area code' in reject.reason
    assert "'4301'" in reject.reason
    assert "12-digit" in reject.reason


def test_reject_area_code_hierarchy() -> None:
    reject = reject_of(person(2, area_codes="430102000001"))
    assert "430102000001" in reject.reason


def test_reject_area_codes_only_separators() -> None:
    reject = reject_of(person(2, area_codes=" ; ;"))
    assert 'Column "area_codes" is empty' in reject.reason


@pytest.mark.parametrize("separator", [";", "|", "；", "、", ",", "，", " ; "])
def test_accept_area_code_separator(separator: str) -> None:
    row = person(1, area_codes=f"430102001001{separator}430102001002")
    result = parse(csv_text([supervisor(), row]))
    assert result.rows[1].area_codes == ("430102001001", "430102001002")


def test_accept_area_codes_removes_repeats() -> None:
    row = person(1, area_codes="430102001001;430102001001;430102001002")
    result = parse(csv_text([supervisor(), row]))
    assert result.rows[1].area_codes == ("430102001001", "430102001002")


@pytest.mark.parametrize(
    "written",
    ["2026-10-27", "2026/10/27", "2026年10月27日", "2026-10-27 ", "２０２６－１０－２７", "2026/1/5"],
)
def test_accept_date_format(written: str) -> None:
    result = parse(csv_text([supervisor(active_from=written)]))
    assert result.rejects == []
    assert result.rows[0].active_from in (date(2026, 10, 27), date(2026, 1, 5))


@pytest.mark.parametrize(
    "written", ["2026-13-01", "2026-02-30", "27/10/2026", "2026.10.27", "tomorrow", "2026-10"]
)
def test_reject_bad_date(written: str) -> None:
    reject = reject_of(person(2, active_to=written))
    assert f'Column "active_to" has invalid date "{written}"' in reject.reason
    assert "2026-11-01" in reject.reason


def test_reject_active_from_after_active_to() -> None:
    reject = reject_of(person(2, active_from="2026-11-16", active_to="2026-11-15"))
    assert "2026-11-16" in reject.reason
    assert "after" in reject.reason
    assert '"active_to"' in reject.reason


def test_accept_single_active_day() -> None:
    result = parse(csv_text([supervisor(active_from="2026-11-01", active_to="2026-11-01")]))
    assert result.rejects == []


def test_reject_bad_person_id() -> None:
    reject = reject_of(person(2, person_id="E 002/x"))
    assert 'person ID "E 002/x"' in reject.reason


def test_reject_duplicate_person_id_names_first_line() -> None:
    reject = reject_of(person(2, person_id="E001"))
    assert 'repeats person ID "E001" of line 3' in reject.reason


def test_reject_duplicate_phone_names_first_line() -> None:
    reject = reject_of(person(2, phone="+86 139-0000-0001"))
    assert 'Column "phone" repeats the mobile number of line 3' in reject.reason
    assert "13900000001" not in reject.reason


def test_reject_duplicate_id_number_in_other_spelling() -> None:
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in make_id(1))
    reject = reject_of(person(2, id_number=full_width))
    assert 'Column "id_number" repeats the ID number of line 3' in reject.reason
    assert make_id(1) not in reject.reason


def test_reject_row_with_several_problems_lists_each() -> None:
    reject = reject_of(person(2, phone="", role="boss"))
    assert 'Column "phone" is empty' in reject.reason
    assert 'unknown role "boss"' in reject.reason


def test_reject_supervisor_not_in_file() -> None:
    reject = reject_of(person(2, supervisor_id="S404"))
    assert 'Column "supervisor_id" has "S404", which is not a supervisor in this file' in reject.reason


def test_reject_supervisor_id_of_enumerator() -> None:
    reject = reject_of(person(2, supervisor_id="E001"))
    assert "is an enumerator, not a supervisor" in reject.reason


def test_reject_enumerator_of_rejected_supervisor() -> None:
    rows = [supervisor(), supervisor(2, phone="bad"), person(1, supervisor_id="S002")]
    result = parse(csv_text(rows))
    assert [row.person_id for row in result.rows] == ["S001"]
    assert [reject.line for reject in result.rejects] == [3, 4]
    assert "the supervisor of line 3, whose row was rejected" in result.rejects[1].reason


def test_accept_supervisor_listed_after_enumerator() -> None:
    result = parse(csv_text([person(1), supervisor()]))
    assert result.rejects == []
    assert len(result.rows) == 2


def test_good_rows_kept_around_rejects() -> None:
    rows = [supervisor(), person(1, phone="x"), person(2), person(3, role=""), person(4)]
    result = parse(csv_text(rows))
    assert [row.person_id for row in result.rows] == ["S001", "E002", "E004"]
    assert [reject.line for reject in result.rejects] == [3, 5]


def test_clear_id_number_never_in_result() -> None:
    rows = [supervisor(), person(1), person(2, phone="bad"), person(3, id_number=make_id(1))]
    result = parse(csv_text(rows))
    result_text = repr(result)
    for number in (make_id(501), make_id(1), make_id(2), make_id(3)):
        assert number not in result_text


def test_clear_phone_never_in_reject_reasons() -> None:
    rows = [supervisor(), person(1), person(2, phone="12900000002"), person(3, phone="13900000001")]
    result = parse(csv_text(rows))
    reasons = " ".join(reject.reason for reject in result.rejects)
    assert len(result.rejects) == 2
    assert "12900000002" not in reasons
    assert "13900000001" not in reasons
