"""Validation of consumption rows and their assembly into one county day, without AWS."""

from __future__ import annotations

import gzip
import hashlib
from datetime import UTC, date, datetime

import numpy as np
import pytest

from census.ingest.consumption_rows import (
    DaySpec,
    MeterLookup,
    assemble_day,
    parse_consumption_csv,
    validate_file,
)
from census.ingest.files import FileRejected, read_verified, to_utf8
from census.ingest.manifest import ManifestFile
from census.ingest.report import Report
from census.storage.partitions import SlotMap
from census.storage.uploads import DownloadedFile
from local.demo_data import electricity_meter_number, water_meter_number

DAY = date(2026, 11, 1)
HEADER = "meter_number,timestamp,value\n"
METERS = tuple(electricity_meter_number("430102", sequence) for sequence in range(1, 4))
LEADING_ZERO = "0430001430102000000057"
SPEC = DaySpec("electricity", "430102", DAY, "interval", "kWh", 1.0)


def hour(h: int, day: date = DAY) -> str:
    return f"{day.isoformat()}T{h:02d}:00:00+08:00"


def hourly_lines(meter: str, values: list[float], start: int = 0) -> str:
    return "".join(f"{meter},{hour(start + index)},{value}\n" for index, value in enumerate(values))


def run(
    files: list[tuple[str, int]],
    spec: DaySpec = SPEC,
    meters: tuple[str, ...] = (*METERS, LEADING_ZERO),
    expected_rows: int | None = None,
):
    """Validate (text, interval) files and assemble the day; returns (report, day)."""
    lookup = MeterLookup(SlotMap(spec.utility, spec.county, meters), spec.utility, spec.county)
    report = Report("uploads/utility/x/manifest.json", datetime.now(UTC))
    parts = []
    for index, (text, minutes) in enumerate(files):
        parsed = parse_consumption_csv((HEADER + text).encode(), f"file{index}.csv")
        parts.append(validate_file(parsed, spec, lookup, minutes, report, expected_rows))
    return report, assemble_day(parts, spec, lookup.slots, report)


def codes(report: Report) -> list[str]:
    return [rejection["code"] for rejection in report.rejected]


# ------------------------------------------------------------------ good rows


def test_hourly_rows_fill_hours_and_total():
    report, day = run([(hourly_lines(METERS[1], [0.5] * 24), 60)])
    assert report.rejected == []
    assert day.records["hours"][1].tolist() == [0.5] * 24
    assert day.records["total"][1] == pytest.approx(12.0)
    assert np.isnan(day.records["total"][0])
    assert day.accepted_rows == 24
    assert day.meters_with_data == 1


def test_missing_hour_leaves_total_missing():
    _report, day = run([(hourly_lines(METERS[0], [1.0] * 23), 60)])
    assert np.isnan(day.records["hours"][0][23])
    assert np.isnan(day.records["total"][0])


def test_quarter_hours_summed_when_all_four_present():
    lines = "".join(f"{METERS[0]},2026-11-01T05:{minute:02d}:00+08:00,0.25\n" for minute in (0, 15, 30, 45))
    _report, day = run([(lines, 15)])
    assert day.records["hours"][0][5] == pytest.approx(1.0)


def test_quarter_hour_missing_makes_hour_missing():
    lines = "".join(f"{METERS[0]},2026-11-01T05:{minute:02d}:00+08:00,0.25\n" for minute in (0, 15, 45))
    _report, day = run([(lines, 15)])
    assert np.isnan(day.records["hours"][0][5])


def test_half_hours_summed_to_hours():
    lines = "".join(
        f"{METERS[0]},2026-11-01T{h // 2:02d}:{30 * (h % 2):02d}:00+08:00,0.1\n" for h in range(48)
    )
    _report, day = run([(lines, 30)])
    assert day.records["total"][0] == pytest.approx(4.8, abs=1e-5)


def test_daily_row_used_when_hours_incomplete():
    daily = f"{METERS[0]},2026-11-01,7.5\n"
    _report, day = run([(daily, 1440), (hourly_lines(METERS[0], [0.2] * 20), 60)])
    assert day.records["total"][0] == pytest.approx(7.5)
    assert day.records["hours"][0][0] == pytest.approx(0.2)


def test_sum_of_hours_preferred_over_daily_row():
    daily = f"{METERS[0]},2026-11-01T00:00:00+08:00,7.5\n"
    _report, day = run([(daily, 1440), (hourly_lines(METERS[0], [0.25] * 24), 60)])
    assert day.records["total"][0] == pytest.approx(6.0)


def test_daily_only_meter_has_missing_hours():
    _report, day = run([(f"{METERS[2]},2026-11-01,3.25\n", 1440)])
    assert day.records["total"][2] == pytest.approx(3.25)
    assert np.isnan(day.records["hours"][2]).all()


def test_utc_timestamp_inside_beijing_day_accepted():
    _report, day = run([(f"{METERS[0]},2026-10-31T16:00:00Z,0.4\n", 60)])
    assert day.records["hours"][0][0] == pytest.approx(0.4)


def test_timestamp_without_offset_is_beijing_time():
    _report, day = run([(f"{METERS[0]},2026-11-01 13:00,0.4\n", 60)])
    assert day.records["hours"][0][13] == pytest.approx(0.4)


def test_full_width_meter_number_found():
    full_width = METERS[1].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    report, day = run([(f"{full_width},{hour(3)},0.7\n", 60)])
    assert report.rejected == []
    assert day.records["hours"][1][3] == pytest.approx(0.7)


def test_water_cubic_metres_published_as_litres():
    meter = water_meter_number("430105", 1)
    spec = DaySpec("water", "430105", DAY, "interval", "m3", 1000.0)
    _report, day = run([(f"{meter},{hour(7)},0.035\n", 60)], spec=spec, meters=(meter,))
    assert day.records["hours"][0][7] == pytest.approx(35.0)


# ------------------------------------------------------------------ bad rows


def test_scientific_notation_meter_rejected():
    report, _day = run([(f"1.43000143E+21,{hour(1)},0.5\n", 60)])
    assert codes(report) == ["damaged_meter_number"]
    assert "scientific notation" in report.rejected[0]["reason"]
    assert report.rejected[0]["line"] == 2


def test_stripped_leading_zeros_rejected():
    report, day = run([(f"{LEADING_ZERO.lstrip('0')},{hour(1)},0.5\n", 60)])
    assert codes(report) == ["damaged_meter_number"]
    assert "leading zeros" in report.rejected[0]["reason"]
    assert day.accepted_rows == 0


def test_unknown_meter_rejected():
    unknown = electricity_meter_number("430102", 99)
    report, _day = run([(f"{unknown},{hour(1)},0.5\n", 60)])
    assert codes(report) == ["unknown_meter"]
    assert unknown in report.rejected[0]["reason"]


def test_identical_duplicate_dropped_and_counted():
    line = f"{METERS[0]},{hour(4)},0.9\n"
    report, day = run([(line + line, 60)])
    assert report.rejected == []
    assert day.duplicate_rows_dropped == 1
    assert day.accepted_rows == 1
    assert day.records["hours"][0][4] == pytest.approx(0.9)


def test_conflicting_duplicates_all_rejected():
    text = f"{METERS[0]},{hour(4)},0.9\n{METERS[0]},{hour(5)},0.1\n{METERS[0]},{hour(4)},1.9\n"
    report, day = run([(text, 60)])
    assert codes(report) == ["conflicting_duplicate", "conflicting_duplicate"]
    assert [rejection["line"] for rejection in report.rejected] == [2, 4]
    assert "line 4" in report.rejected[0]["reason"]
    assert np.isnan(day.records["hours"][0][4])
    assert day.records["hours"][0][5] == pytest.approx(0.1)


def test_duplicates_across_files_found():
    report, _day = run([(f"{METERS[0]},{hour(4)},0.9\n", 60), (f"{METERS[0]},{hour(4)},1.0\n", 60)])
    assert sorted(rejection["file"] for rejection in report.rejected) == ["file0.csv", "file1.csv"]


def test_negative_value_rejected():
    report, _day = run([(f"{METERS[0]},{hour(1)},-0.2\n", 60)])
    assert codes(report) == ["negative_value"]


def test_value_above_maximum_rejected_with_limit():
    report, _day = run([(f"{METERS[0]},{hour(1)},70\n", 60)])
    assert codes(report) == ["value_too_large"]
    assert "66 kWh" in report.rejected[0]["reason"]


def test_value_at_maximum_accepted():
    report, _day = run([(f"{METERS[0]},{hour(1)},66\n", 60)])
    assert report.rejected == []


def test_water_maximum_applies_in_litres():
    meter = water_meter_number("430105", 1)
    spec = DaySpec("water", "430105", DAY, "interval", "L", 1.0)
    report, _day = run([(f"{meter},{hour(1)},9000\n", 60)], spec=spec, meters=(meter,))
    assert codes(report) == ["value_too_large"]


def test_timestamp_next_day_in_beijing_rejected():
    report, _day = run([(f"{METERS[0]},2026-11-01T16:00:00Z,0.4\n", 60)])
    assert codes(report) == ["outside_date"]
    assert "2026-11-02 00:00:00" in report.rejected[0]["reason"]


def test_timestamp_previous_day_rejected():
    report, _day = run([(f"{METERS[0]},2026-10-31T23:00:00+08:00,0.4\n", 60)])
    assert codes(report) == ["outside_date"]


def test_off_grid_timestamp_rejected():
    report, _day = run([(f"{METERS[0]},2026-11-01T10:30:00+08:00,0.4\n", 60)])
    assert codes(report) == ["off_grid"]


def test_daily_row_not_at_midnight_off_grid():
    report, _day = run([(f"{METERS[0]},2026-11-01T05:00:00+08:00,3.0\n", 1440)])
    assert codes(report) == ["off_grid"]


def test_header_only_file_has_no_rows():
    parsed = parse_consumption_csv(b"meter_number,timestamp,value", "empty.csv")
    assert parsed.rows == 0


def test_invalid_timestamp_rejected():
    report, _day = run([(f"{METERS[0]},01/11/2026 10:00,0.4\n", 60)])
    assert codes(report) == ["invalid_timestamp"]


def test_invalid_and_missing_values_rejected():
    report, day = run(
        [(f"{METERS[0]},{hour(1)},abc\n{METERS[0]},{hour(2)},\n{METERS[0]},{hour(3)}, 0.5\n", 60)]
    )
    assert codes(report) == ["invalid_value", "missing_value"]
    assert day.records["hours"][0][3] == pytest.approx(0.5)


def test_nan_text_value_rejected():
    report, _day = run([(f"{METERS[0]},{hour(1)},NaN\n", 60)])
    assert codes(report) == ["invalid_value"]


def test_first_failing_check_names_row():
    report, _day = run([("3.3E+21,not a time,-1\n", 60)])
    assert codes(report) == ["damaged_meter_number"]


def test_wrong_field_count_reported_and_later_lines_counted():
    text = f"{METERS[0]},{hour(1)}\n{METERS[0]},{hour(2)},0.1,extra\n{METERS[0]},{hour(3)},-1\n"
    report, _day = run([(text, 60)])
    assert codes(report) == ["wrong_field_count", "wrong_field_count", "negative_value"]
    assert [rejection["line"] for rejection in report.rejected] == [2, 3, 4]


def test_blank_lines_neither_rows_nor_rejected():
    text = f"\n{METERS[0]},{hour(1)},0.1\n\n{METERS[0]},{hour(2)},-1\n"
    report, _day = run([(text, 60)], expected_rows=2)
    assert codes(report) == ["negative_value"]
    assert report.rejected[0]["line"] == 5


def test_row_count_mismatch_rejects_file():
    with pytest.raises(FileRejected, match="manifest lists 5") as caught:
        run([(hourly_lines(METERS[0], [0.1] * 3), 60)], expected_rows=5)
    assert caught.value.code == "row_count_mismatch"


def test_missing_column_rejects_file():
    with pytest.raises(FileRejected) as caught:
        parse_consumption_csv(b"meter,timestamp,value\n1,2,3\n", "bad.csv")
    assert caught.value.code == "missing_columns"


def test_header_names_matched_without_case_or_spaces():
    parsed = parse_consumption_csv(b"Meter_Number , TIMESTAMP,value,extra\na,b,c,d\n", "ok.csv")
    assert parsed.table.column_names == ["meter_number", "timestamp", "value"]


# ------------------------------------------------------------------ register readings

REGISTER_SPEC = DaySpec("electricity", "430102", DAY, "register", "kWh", 1.0)


def register_lines(meter: str, readings: list[float]) -> str:
    stamps = [hour(h) for h in range(24)] + ["2026-11-02T00:00:00+08:00"]
    return "".join(f"{meter},{stamp},{reading}\n" for stamp, reading in zip(stamps, readings, strict=False))


def test_register_readings_become_hours():
    readings = [1000.0 + 0.5 * index for index in range(25)]
    report, day = run([(register_lines(METERS[0], readings), 60)], spec=REGISTER_SPEC)
    assert report.rejected == []
    assert np.allclose(day.records["hours"][0], 0.5)
    assert day.records["total"][0] == pytest.approx(12.0)


def test_register_closing_reading_stored():
    readings = [1000.0 + 0.5 * index for index in range(25)]
    _report, day = run([(register_lines(METERS[0], readings), 60)], spec=REGISTER_SPEC)
    assert day.records["register"][0] == pytest.approx(1012.0)


def test_register_rollover_counted_as_consumption():
    readings = [99997.5 + 0.5 * index for index in range(5)] + [0.5 * index for index in range(20)]
    report, day = run([(register_lines(METERS[0], readings), 60)], spec=REGISTER_SPEC)
    assert day.records["hours"][0][4] == pytest.approx(0.5)
    assert report.notices_by_kind["register_rollover"] == 1
    assert day.records["total"][0] == pytest.approx(12.0)


def test_register_drop_not_rollover_is_replacement():
    readings = [5000.0 + index for index in range(10)] + [3.0 + index for index in range(15)]
    report, day = run([(register_lines(METERS[0], readings), 60)], spec=REGISTER_SPEC)
    assert np.isnan(day.records["hours"][0][9])
    assert day.records["hours"][0][10] == pytest.approx(1.0)
    assert report.notices_by_kind["meter_replacement"] == 1
    assert np.isnan(day.records["total"][0])


def test_register_digits_from_manifest_decide_rollover():
    spec = DaySpec("electricity", "430102", DAY, "register", "kWh", 1.0, register_digits=6)
    readings = [99998.0 + index for index in range(3)] + [0.5 + index for index in range(22)]
    report, day = run([(register_lines(METERS[0], readings), 60)], spec=spec)
    assert report.notices_by_kind["meter_replacement"] == 1
    assert np.isnan(day.records["hours"][0][2])


def test_register_reading_beyond_next_midnight_rejected():
    text = f"{METERS[0]},2026-11-02T01:00:00+08:00,5\n"
    report, _day = run([(text, 60)], spec=REGISTER_SPEC)
    assert codes(report) == ["outside_date"]


def test_register_jump_beyond_maximum_missing():
    readings = [100.0, 101.0, 500.0] + [500.0 + index for index in range(1, 23)]
    report, day = run([(register_lines(METERS[0], readings), 60)], spec=REGISTER_SPEC)
    assert np.isnan(day.records["hours"][0][1])
    assert report.notices_by_kind["register_jump"] == 1


def test_daily_register_readings_give_day_total():
    text = f"{METERS[0]},2026-11-01T00:00:00+08:00,100.5\n{METERS[0]},2026-11-02T00:00:00+08:00,108.0\n"
    _report, day = run([(text, 1440)], spec=REGISTER_SPEC)
    assert day.records["total"][0] == pytest.approx(7.5)
    assert day.records["register"][0] == pytest.approx(108.0)


# ------------------------------------------------------------------ file bytes


def entry_for(data: bytes, rows: int = 1) -> ManifestFile:
    return ManifestFile("f.csv", rows, hashlib.sha256(data).hexdigest())


def test_gbk_file_turned_into_utf8():
    text = "meter_number,timestamp,value\n# 备注,x,1\n"
    assert to_utf8(text.encode("gbk"), "f.csv", None) == text.encode("utf-8")


def test_utf8_bom_removed():
    assert to_utf8(b"\xef\xbb\xbfmeter_number\n", "f.csv", "utf-8") == b"meter_number\n"


def test_undecodable_file_rejected():
    with pytest.raises(FileRejected) as caught:
        to_utf8("备注".encode("gbk"), "f.csv", "utf-8")
    assert caught.value.code == "undecodable"


def test_gzip_file_decompressed_after_checksum():
    compressed = gzip.compress(b"meter_number,timestamp,value\n", mtime=0)
    assert (
        read_verified(DownloadedFile.of(compressed), entry_for(compressed), True, None)
        == b"meter_number,timestamp,value\n"
    )


def test_checksum_mismatch_rejected():
    with pytest.raises(FileRejected) as caught:
        read_verified(DownloadedFile.of(b"changed"), entry_for(b"original"), None, None)
    assert caught.value.code == "checksum_mismatch"


def test_missing_file_rejected():
    with pytest.raises(FileRejected) as caught:
        read_verified(None, entry_for(b""), None, None)
    assert caught.value.code == "missing_file"
