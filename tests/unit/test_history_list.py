"""Unit tests of the list's filters, order, cursor and retention in census.services.history."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from census.dal.history import HistoryEntry, is_visible
from census.errors import InvalidBody
from census.services.history import (
    ListFilter,
    decode_cursor,
    encode_cursor,
    history_expiry,
    is_conflict,
    paginate,
    parse_filter,
    sort_key,
)

BASE = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def entry(
    number: int,
    *,
    code: str = "GREEN",
    minutes: int = 0,
    changed: bool = False,
    favourite: bool = False,
    finding: str | None = None,
) -> HistoryEntry:
    """An entry in memory only; `minutes` after BASE is its last query time."""
    return HistoryEntry(
        "E001",
        f"{number:022d}",
        utility="electricity",
        area_code="430102001001",
        household_id=f"H{number}",
        household_meters=[f"{number:022d}"],
        series=["electricity#430102"],
        code=code,
        reason="test",
        tags=[],
        seen_code="RED" if changed else code,
        changed=changed,
        first_query_at=BASE,
        last_query_at=BASE + timedelta(minutes=minutes),
        query_count=1,
        favourite=favourite,
        finding=finding,
    )


def numbers(entries: list[HistoryEntry]) -> list[int]:
    return [int(item.meter_number) for item in entries]


# ---------------------------------------------------------------- conflicts


@pytest.mark.parametrize(
    ("code", "finding", "expected"),
    [
        ("GREEN", "vacant", True),
        ("YELLOW", "vacant", True),
        ("RED", "vacant", False),
        ("UNKNOWN", "vacant", False),
        ("GREEN", "occupied", False),
        ("GREEN", "unclear", False),
        ("GREEN", None, False),
    ],
)
def test_is_conflict_vacant_with_use(code, finding, expected):
    assert is_conflict(entry(1, code=code, finding=finding)) is expected


# ---------------------------------------------------------------- filters

LIST = [
    entry(1, code="GREEN", minutes=1, favourite=True),
    entry(2, code="YELLOW", minutes=2, changed=True, finding="vacant"),
    entry(3, code="RED", minutes=3, finding="vacant"),
    entry(4, code="UNKNOWN", minutes=4, favourite=True, finding="unclear"),
    entry(5, code="GREEN", minutes=5, changed=True, finding="occupied"),
    entry(6, code="GREEN", minutes=6, favourite=True, finding="vacant"),
]


def matching(list_filter: ListFilter) -> set[int]:
    return {int(item.meter_number) for item in LIST if list_filter.matches(item)}


def test_filter_none_matches_all():
    assert matching(ListFilter()) == {1, 2, 3, 4, 5, 6}


def test_filter_one_code():
    assert matching(parse_filter(code="GREEN")) == {1, 5, 6}


def test_filter_several_codes_any_case():
    assert matching(parse_filter(code="red, yellow")) == {2, 3}


def test_filter_favourite_true():
    assert matching(parse_filter(favourite=True)) == {1, 4, 6}


def test_filter_favourite_false():
    assert matching(parse_filter(favourite=False)) == {2, 3, 5}


def test_filter_changed_true():
    assert matching(parse_filter(changed=True)) == {2, 5}


def test_filter_changed_false():
    assert matching(parse_filter(changed=False)) == {1, 3, 4, 6}


def test_filter_finding():
    assert matching(parse_filter(finding="vacant")) == {2, 3, 6}


def test_filter_finding_none_selects_entries_without_finding():
    assert matching(parse_filter(finding="none")) == {1}


def test_filter_findings_several():
    assert matching(parse_filter(finding="occupied,unclear")) == {4, 5}


def test_filter_conflict_true():
    assert matching(parse_filter(conflict=True)) == {2, 6}


def test_filter_conflict_false():
    assert matching(parse_filter(conflict=False)) == {1, 3, 4, 5}


def test_filter_code_and_favourite():
    assert matching(parse_filter(code="GREEN", favourite=True)) == {1, 6}


def test_filter_code_and_changed():
    assert matching(parse_filter(code="GREEN,YELLOW", changed=True)) == {2, 5}


def test_filter_finding_and_favourite_and_code():
    assert matching(parse_filter(code="GREEN", favourite=True, finding="vacant")) == {6}


def test_filter_conflict_and_changed():
    assert matching(parse_filter(conflict=True, changed=True)) == {2}


def test_filter_combination_with_no_match():
    assert matching(parse_filter(code="RED", favourite=True)) == set()


def test_filter_unknown_code_rejected():
    with pytest.raises(InvalidBody) as raised:
        parse_filter(code="GREEN,BLUE")
    assert raised.value.details() == {"field": "code", "problem": "unknown_value"}


def test_filter_unknown_finding_rejected():
    with pytest.raises(InvalidBody) as raised:
        parse_filter(finding="empty")
    assert raised.value.details()["field"] == "finding"


def test_filter_blank_code_means_any():
    assert parse_filter(code=" ").codes is None


# ---------------------------------------------------------------- order and pages


def test_order_changed_first_then_newest_query():
    ordered = sorted(LIST, key=sort_key)
    assert numbers(ordered) == [5, 2, 6, 4, 3, 1]


def test_order_same_time_by_meter_number():
    ordered = sorted([entry(9, minutes=1), entry(7, minutes=1), entry(8, minutes=1)], key=sort_key)
    assert numbers(ordered) == [7, 8, 9]


def test_paginate_walks_every_entry_once():
    entries = [entry(number, minutes=number % 7, changed=number % 5 == 0) for number in range(1, 24)]
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = paginate(entries, list_filter=ListFilter(), limit=5, cursor=cursor)
        pages += 1
        assert page.total == 23
        seen.extend(numbers(page.entries))
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 5
    assert sorted(seen) == list(range(1, 24))
    assert seen == numbers(sorted(entries, key=sort_key))


def test_paginate_last_full_page_has_no_cursor():
    page = paginate([entry(1), entry(2)], list_filter=ListFilter(), limit=2, cursor=None)
    assert len(page.entries) == 2
    assert page.next_cursor is None


def test_paginate_filter_applies_before_cut():
    page = paginate(LIST, list_filter=parse_filter(code="GREEN"), limit=2, cursor=None)
    assert numbers(page.entries) == [5, 6]
    assert page.total == 3
    rest = paginate(LIST, list_filter=parse_filter(code="GREEN"), limit=2, cursor=page.next_cursor)
    assert numbers(rest.entries) == [1]
    assert rest.next_cursor is None


def test_paginate_entry_deleted_between_pages_skips_nothing():
    entries = [entry(number, minutes=number) for number in range(1, 7)]
    first = paginate(entries, list_filter=ListFilter(), limit=3, cursor=None)
    assert numbers(first.entries) == [6, 5, 4]
    remaining = [item for item in entries if int(item.meter_number) != 4]
    second = paginate(remaining, list_filter=ListFilter(), limit=3, cursor=first.next_cursor)
    assert numbers(second.entries) == [3, 2, 1]


@pytest.mark.parametrize("limit", [0, 101])
def test_paginate_limit_out_of_range_rejected(limit):
    with pytest.raises(InvalidBody):
        paginate(LIST, list_filter=ListFilter(), limit=limit, cursor=None)


def test_cursor_round_trip():
    key = sort_key(entry(3, minutes=9, changed=True))
    assert decode_cursor(encode_cursor(key)) == key


def test_cursor_holds_no_person_id():
    cursor = encode_cursor(sort_key(entry(3)))
    decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    assert "E001" not in decoded


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 !",
        base64.urlsafe_b64encode(b"{}").decode(),
        base64.urlsafe_b64encode(json.dumps([2, 1, "x"]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps([0, "1", "x"]).encode()).decode(),
        "游标",
    ],
)
def test_cursor_malformed_rejected(cursor):
    with pytest.raises(InvalidBody) as raised:
        decode_cursor(cursor)
    assert raised.value.details() == {"field": "cursor", "problem": "invalid"}


# ---------------------------------------------------------------- retention


def test_expiry_end_of_window_day_plus_retention():
    expires = history_expiry(date(2026, 12, 10), 90)
    # The window's last Beijing day ends at 2026-12-11 00:00 +08:00, that is 2026-12-10 16:00 UTC.
    expected = datetime(2026, 12, 10, 16, 0, tzinfo=UTC) + timedelta(days=90)
    assert expires == int(expected.timestamp())


def test_expiry_without_window_end_is_none():
    assert history_expiry(None, 90) is None


def test_entry_visible_until_expiry():
    item = entry(1)
    item.expires_at = int(BASE.timestamp())
    assert is_visible(item, BASE - timedelta(seconds=1))
    assert not is_visible(item, BASE)


def test_entry_without_expiry_always_visible():
    assert is_visible(entry(1), BASE + timedelta(days=10_000))
