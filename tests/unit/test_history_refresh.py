"""Unit tests of the refresh's pure steps in census.services.refresh: the decision and the home's code."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from census.dal.history import HistoryEntry
from census.dal.models import Meter
from census.domain.occupancy import Classification
from census.services.refresh import Action, decide, home_result

AS_OF = date(2013, 9, 27)
NEXT = date(2013, 9, 28)
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def entry(*, code: str, seen: str, changed: bool = False, as_of: date = AS_OF, tags=()) -> HistoryEntry:
    return HistoryEntry(
        "E001",
        "0" * 22,
        code=code,
        seen_code=seen,
        changed=changed,
        reason=f"r_{code.lower()}",
        tags=list(tags),
        as_of=as_of.isoformat(),
    )


def result(code: str, as_of: date = NEXT, tags=()) -> Classification:
    return Classification(code, f"r_{code.lower()}", as_of, tuple(tags))


def test_decide_new_code_marks():
    decision = decide(entry(code="RED", seen="RED"), result("GREEN"))
    assert decision.action is Action.MARK
    assert decision.changed is True


def test_decide_same_code_new_day_updates_without_mark():
    decision = decide(entry(code="RED", seen="RED"), result("RED"))
    assert decision.action is Action.UPDATE
    assert decision.changed is False


def test_decide_retry_with_same_result_does_nothing():
    decision = decide(entry(code="GREEN", seen="RED", changed=True, as_of=NEXT), result("GREEN"))
    assert decision.action is Action.NONE


def test_decide_marked_entry_changing_again_stays_marked():
    decision = decide(entry(code="GREEN", seen="RED", changed=True), result("YELLOW"))
    assert decision.action is Action.UPDATE
    assert decision.changed is True


def test_decide_code_back_to_seen_clears_mark():
    decision = decide(entry(code="GREEN", seen="RED", changed=True), result("RED"))
    assert decision.action is Action.CLEAR
    assert decision.changed is False


def test_decide_newer_entry_left_alone():
    decision = decide(entry(code="GREEN", seen="GREEN", as_of=NEXT), result("RED", as_of=AS_OF))
    assert decision.action is Action.NONE


def test_decide_new_tags_update():
    decision = decide(entry(code="GREEN", seen="GREEN", as_of=NEXT), result("GREEN", tags=("evening",)))
    assert decision.action is Action.UPDATE


def meter(number: str, *, customer_type: str = "residential") -> Meter:
    return Meter(number, utility="electricity", customer_type=customer_type, county="430102", slot=0)


def test_home_result_single_meter():
    results = {"A": result("GREEN")}
    assert home_result(["A"], {"A": meter("A")}, results) == results["A"]


def test_home_result_combines_household():
    registry = {"A": meter("A"), "B": meter("B")}
    combined = home_result(["A", "B"], registry, {"A": result("RED"), "B": result("YELLOW")})
    assert combined is not None
    assert combined.code == "YELLOW"


def test_home_result_skips_non_residential_other_meter():
    registry = {"A": meter("A"), "B": meter("B", customer_type="business")}
    combined = home_result(["A", "B"], registry, {"A": result("RED"), "B": result("GREEN")})
    assert combined is not None
    assert combined.code == "RED"


def test_home_result_skips_other_meter_without_data():
    registry = {"A": meter("A"), "B": meter("B")}
    assert home_result(["A", "B"], registry, {"A": result("RED")}) == result("RED")


@pytest.mark.parametrize(
    ("registry", "results"),
    [({}, {"A": result("RED")}), ({"A": meter("A")}, {})],
)
def test_home_result_none_without_queried_meter(registry, results):
    assert home_result(["A"], registry, results) is None
