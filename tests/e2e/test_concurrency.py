"""The query limits under many simultaneous queries, end to end through the local HTTP API.

Each burst test fires queries at one limit's edge from a thread pool and then
reads the QuotaTable and the AuditTable themselves. Each counter must equal
the limit exactly and equal the number of its grant items and of granted
responses. The audit trail must contain one record per response, with the
same outcome. Counters only grow, so a final count at or below its limit
means that it never went above it.

The tests use a county of their own (430199, see concurrency_support), so
they share nothing with the demo data or other tests.

NOTE: the local service runs one Lambda invocation at a time in its process.
The bursts overlap in the HTTP server, the authorizer and moto's queue but
not inside the query handler, so they cannot catch a race between two
handlers. The tests at the end of this file call the quota code from many
threads directly for that.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from census import config
from census.dal import quota
from census.dal.quota import LimitReached
from local.server import LocalService
from tests.e2e import concurrency_support as support
from tests.e2e.concurrency_support import (
    CODES,
    HOME_PEOPLE_LIMIT,
    METER_DAILY_LIMIT,
    PERSON_HOMES_LIMIT,
    QUOTA_EXHAUSTED,
    Deadline,
    QueryCall,
    QueryResult,
    World,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

OVERALL_DEADLINE_SECONDS = 600.0

PERSON_SCENARIO_HOMES = 230
PERSON_SCENARIO_REPEAT_EVERY = 12
PERSON_SCENARIO_THREADS = 16
HOME_SCENARIO_METER_INDEX = 230
HOME_RACE_PEOPLE = 14
METER_SCENARIO_METER_INDEX = 231
METER_SCENARIO_HOLDERS = ("C199E02", "C199E03", "C199E04", "C199E05", "C199E06")
METER_SCENARIO_NEWCOMERS = ("C199E07", "C199E08", "C199E09", "C199E10", "C199E11")
METER_SCENARIO_QUERIES_PER_HOLDER = 6
METER_SCENARIO_QUERIES_PER_NEWCOMER = 2
METER_SCENARIO_THREADS = 16


@pytest.fixture(scope="module")
def deadline(local_service: LocalService) -> Deadline:
    """Return the deadline of every test in this module, counted from after the service's start."""
    return Deadline(OVERALL_DEADLINE_SECONDS)


@pytest.fixture(scope="module")
def world(local_service: LocalService, deadline: Deadline) -> Iterator[World]:
    local_service.activate()
    world = support.build_world(local_service, deadline)
    print(
        f"\nconcurrency world: {len(world.meters)} meters, {support.DAY_COUNT} days,"
        f" {len(world.people)} people ready in {world.setup_seconds:.1f} s"
    )
    yield world


def _household_of(world: World) -> dict[str, str]:
    return {meter.meter_number: meter.household_id for meter in world.meters}


def _timed_burst(
    local_service: LocalService, world: World, calls: list[QueryCall], *, threads: int, label: str
) -> tuple[list[QueryResult], set[date]]:
    """Fire the calls at once; return the responses and the Beijing days the burst spanned."""
    first_day = support.beijing_today()
    started = time.perf_counter()
    results = support.fire_at_once(
        local_service.api_url, world.tokens, calls, threads=threads, deadline=world.deadline
    )
    seconds = time.perf_counter() - started
    print(
        f"\nconcurrency {label}: {len(calls)} queries from {threads} threads in {seconds:.1f} s"
        f" ({len(calls) / seconds:.1f} per s), {sum(result.granted for result in results)} granted"
    )
    return results, {first_day, support.beijing_today()}


def _unexpected(results: list[QueryResult], limit_name: str) -> list[tuple[int, Any]]:
    """Return the responses that are neither a grant nor a rejection by `limit_name`."""
    return [
        (result.status, result.body)
        for result in results
        if not result.granted
        and not (
            result.status == 429
            and result.error_code == QUOTA_EXHAUSTED
            and result.details.get("limit_name") == limit_name
        )
    ]


def _audit_of(local_service: LocalService, results: list[QueryResult], days: set[date]) -> list[Any]:
    """Return the audit record of each response, matched by request id, or None where there is none."""
    records = support.audit_records(local_service, days)
    by_request = {str(record["request_id"]): record for record in records}
    return [by_request.get(result.request_id) for result in results]


def _check_audit(
    local_service: LocalService,
    results: list[QueryResult],
    days: set[date],
    granted: list[QueryResult],
    rejected: list[QueryResult],
    meter_number: str,
) -> list[Any]:
    """Assert one audit record per response, with its outcome; return the meter's audit records."""
    audited = _audit_of(local_service, results, days)
    assert sum(record is None for record in audited) == 0
    outcomes = Counter(record["outcome"] for record in audited if record is not None)
    assert sum(outcomes[code] for code in CODES) == len(granted)
    assert outcomes[QUOTA_EXHAUSTED] == len(rejected)
    mismatched = [
        result.request_id
        for result, record in zip(results, audited, strict=True)
        if record is not None and record["outcome"] != (result.code or result.error_code)
    ]
    assert mismatched == []
    return [
        record
        for record in support.audit_records(local_service, days)
        if record.get("meter_number") == meter_number
    ]


def _meter_day_count(items: dict[str, Any], meter_number: str, days: set[date]) -> int:
    return sum(support.counter(items, f"meterday#{meter_number}#{day.isoformat()}") for day in days)


def _world_counter_mismatches(items: dict[str, Any], world: World) -> dict[str, tuple[int, int]]:
    """Return the world's person and home counters that differ from their number of grant items."""
    grants = support.grant_keys(items)
    per_person = Counter(person_id for person_id, _ in grants)
    per_home = Counter(household_id for _, household_id in grants)
    mismatches = {}
    for person in world.people:
        key = f"person#{person.person_id}"
        if support.counter(items, key) != per_person[person.person_id]:
            mismatches[key] = (support.counter(items, key), per_person[person.person_id])
    for meter in world.meters:
        key = f"home#{meter.household_id}"
        if support.counter(items, key) != per_home[meter.household_id]:
            mismatches[key] = (support.counter(items, key), per_home[meter.household_id])
    return mismatches


# ---------------------------------------------------------------- distinct homes per person


def test_person_homes_limit_exact_under_burst(local_service: LocalService, world: World) -> None:
    person_id = "C199E01"
    homes = world.meters[:PERSON_SCENARIO_HOMES]
    household_of = _household_of(world)
    calls = [QueryCall(person_id, meter.meter_number) for meter in homes]
    calls += [QueryCall(person_id, meter.meter_number) for meter in homes[::PERSON_SCENARIO_REPEAT_EVERY]]
    random.Random(1).shuffle(calls)

    results, days = _timed_burst(
        local_service, world, calls, threads=PERSON_SCENARIO_THREADS, label="person_homes"
    )

    granted = [result for result in results if result.granted]
    rejected = [result for result in results if not result.granted]
    granted_homes = {household_of[result.meter_number] for result in granted}
    assert _unexpected(results, "person_homes") == []
    assert len(granted_homes) == PERSON_HOMES_LIMIT
    assert sum(result.body["first_query"] for result in granted) == PERSON_HOMES_LIMIT
    assert {result.code for result in granted} == {"GREEN"}
    assert {result.details["used"] for result in rejected} == {PERSON_HOMES_LIMIT}
    assert {result.details["resets_at"] for result in rejected} == {None}
    # A home is granted for every query of it or for none: a repeat of a held home is free.
    split_homes = {household_of[result.meter_number] for result in rejected} & granted_homes
    assert split_homes == set()

    items = support.quota_items(local_service)
    person_grants = {household for holder, household in support.grant_keys(items) if holder == person_id}
    assert support.counter(items, f"person#{person_id}") == PERSON_HOMES_LIMIT
    assert len(person_grants) == PERSON_HOMES_LIMIT
    assert person_grants == granted_homes
    wrong_home_counts = {
        meter.household_id: support.counter(items, f"home#{meter.household_id}")
        for meter in homes
        if support.counter(items, f"home#{meter.household_id}") != int(meter.household_id in granted_homes)
    }
    assert wrong_home_counts == {}
    granted_per_meter = Counter(result.meter_number for result in granted)
    wrong_meter_counts = {
        meter.meter_number: _meter_day_count(items, meter.meter_number, days)
        for meter in homes
        if _meter_day_count(items, meter.meter_number, days) != granted_per_meter[meter.meter_number]
    }
    assert wrong_meter_counts == {}
    assert support.counters_above_limit(items) == {}
    assert _world_counter_mismatches(items, world) == {}

    audited = _audit_of(local_service, results, days)
    assert sum(record is None for record in audited) == 0
    outcomes = Counter(record["outcome"] for record in audited if record is not None)
    assert sum(outcomes[code] for code in CODES) == len(granted)
    assert outcomes[QUOTA_EXHAUSTED] == len(rejected)
    mismatched = [
        result.request_id
        for result, record in zip(results, audited, strict=True)
        if record is not None and record["outcome"] != (result.code or result.error_code)
    ]
    assert mismatched == []
    person_records = [
        record
        for record in support.audit_records(local_service, days)
        if record["actor"] == person_id and record["action"] == "query"
    ]
    assert len(person_records) == len(calls)


# ---------------------------------------------------------------- distinct people per home


def test_home_people_limit_exact_under_burst(local_service: LocalService, world: World) -> None:
    meter = world.meters[HOME_SCENARIO_METER_INDEX]
    people = [person.person_id for person in world.people if person.person_id != "C199E01"]
    calls = [QueryCall(person_id, meter.meter_number) for person_id in people]

    results, days = _timed_burst(local_service, world, calls, threads=len(calls), label="home_people")

    granted = [result for result in results if result.granted]
    rejected = [result for result in results if not result.granted]
    assert _unexpected(results, "home_people") == []
    assert len(granted) == HOME_PEOPLE_LIMIT
    assert len(rejected) == len(calls) - HOME_PEOPLE_LIMIT
    assert all(result.body["first_query"] for result in granted)
    assert {result.code for result in granted} == {"GREEN"}
    assert {result.details["used"] for result in rejected} == {HOME_PEOPLE_LIMIT}
    assert {result.details["resets_at"] for result in rejected} == {None}

    items = support.quota_items(local_service)
    home_grants = {
        holder for holder, household in support.grant_keys(items) if household == meter.household_id
    }
    assert support.counter(items, f"home#{meter.household_id}") == HOME_PEOPLE_LIMIT
    assert len(home_grants) == HOME_PEOPLE_LIMIT
    assert home_grants == {result.person_id for result in granted}
    assert _meter_day_count(items, meter.meter_number, days) == HOME_PEOPLE_LIMIT
    assert support.counters_above_limit(items) == {}
    assert _world_counter_mismatches(items, world) == {}

    meter_records = _check_audit(local_service, results, days, granted, rejected, meter.meter_number)
    assert len(meter_records) == len(calls)


# ---------------------------------------------------------------- queries per meter per day


def test_meter_daily_limit_exact_under_burst(local_service: LocalService, world: World) -> None:
    meter = world.meters[METER_SCENARIO_METER_INDEX]
    day = support.beijing_today()
    # The holders take the home, and one unit of the meter's day each, before the burst.
    for person_id in METER_SCENARIO_HOLDERS:
        status, body = support.post_json(
            f"{local_service.api_url}/v1/queries",
            {"meter_number": meter.meter_number},
            token=world.tokens[person_id],
        )
        assert status == 200, body
        assert body["first_query"] is True
    before = support.counter(support.quota_items(local_service), f"meterday#{meter.meter_number}#{day}")
    calls = [
        QueryCall(person_id, meter.meter_number)
        for person_id in METER_SCENARIO_HOLDERS
        for _ in range(METER_SCENARIO_QUERIES_PER_HOLDER)
    ]
    calls += [
        QueryCall(person_id, meter.meter_number)
        for person_id in METER_SCENARIO_NEWCOMERS
        for _ in range(METER_SCENARIO_QUERIES_PER_NEWCOMER)
    ]
    random.Random(2).shuffle(calls)

    results, days = _timed_burst(
        local_service, world, calls, threads=METER_SCENARIO_THREADS, label="meter_daily"
    )

    if days != {day}:
        pytest.skip("the Beijing day changed during the burst, which resets the daily limit")
    granted = [result for result in results if result.granted]
    rejected = [result for result in results if not result.granted]
    assert before == len(METER_SCENARIO_HOLDERS)
    assert _unexpected(results, "meter_daily") == []
    assert len(granted) + before == METER_DAILY_LIMIT
    assert len(rejected) == len(calls) - (METER_DAILY_LIMIT - before)
    assert {result.code for result in granted} == {"GREEN"}
    assert {result.details["used"] for result in rejected} == {METER_DAILY_LIMIT}
    assert all(result.details["resets_at"] for result in rejected)

    items = support.quota_items(local_service)
    home_grants = {
        holder for holder, household in support.grant_keys(items) if household == meter.household_id
    }
    newcomers_granted = {
        result.person_id for result in granted if result.person_id in METER_SCENARIO_NEWCOMERS
    }
    assert support.counter(items, f"meterday#{meter.meter_number}#{day}") == METER_DAILY_LIMIT
    assert home_grants == set(METER_SCENARIO_HOLDERS) | newcomers_granted
    assert support.counter(items, f"home#{meter.household_id}") == len(home_grants)
    assert support.counters_above_limit(items) == {}
    assert _world_counter_mismatches(items, world) == {}

    meter_records = _check_audit(local_service, results, days, granted, rejected, meter.meter_number)
    assert len(meter_records) == len(METER_SCENARIO_HOLDERS) + len(calls)


# ---------------------------------------------------------------- the quota transactions, overlapping

# The tests below call the quota code of the query handler straight from many
# threads, so the calls overlap inside it as concurrent Lambda invocations
# would. They use the local service's tables. Its moto server runs one
# request at a time, so each write is atomic, as in DynamoDB.

RACE_DAY = date(2026, 11, 1)
RACE_THREADS = 16


def _take_units(person_id: str, household_id: str, meter_number: str) -> bool | LimitReached:
    """Take the units of one query as the query handler does; return a LimitReached instead of raising it."""
    try:
        return quota.take_first_query(
            person_id=person_id,
            household_id=household_id,
            meter_number=meter_number,
            day=RACE_DAY,
            limits=config.settings().limits,
        )
    except LimitReached as reached:
        return reached


def _race(
    argument_lists: list[tuple[str, str, str]], deadline: Deadline, label: str
) -> list[bool | LimitReached]:
    started = time.perf_counter()
    outcomes = support.call_at_once(_take_units, argument_lists, threads=RACE_THREADS, deadline=deadline)
    seconds = time.perf_counter() - started
    print(f"\nquota race {label}: {len(argument_lists)} calls from {RACE_THREADS} threads in {seconds:.1f} s")
    return outcomes


def test_person_homes_transactions_exact_when_overlapping(
    local_service: LocalService, deadline: Deadline
) -> None:
    person_id = "C199R01"
    homes = [(f"HH{support.COUNTY}R{index:03d}", f"R{index:03d}") for index in range(PERSON_SCENARIO_HOMES)]
    arguments = [(person_id, household_id, meter_number) for household_id, meter_number in homes]
    arguments += arguments[::PERSON_SCENARIO_REPEAT_EVERY]
    random.Random(3).shuffle(arguments)

    outcomes = _race(arguments, deadline, "person_homes")

    rejected = [outcome for outcome in outcomes if isinstance(outcome, LimitReached)]
    granted_homes = {
        household_id
        for (_, household_id, _), outcome in zip(arguments, outcomes, strict=True)
        if not isinstance(outcome, LimitReached)
    }
    assert sum(outcome is True for outcome in outcomes) == PERSON_HOMES_LIMIT
    assert len(granted_homes) == PERSON_HOMES_LIMIT
    assert {reached.limit_name for reached in rejected} == {"person_homes"}
    items = support.quota_items(local_service)
    person_grants = {household for holder, household in support.grant_keys(items) if holder == person_id}
    assert support.counter(items, f"person#{person_id}") == PERSON_HOMES_LIMIT
    assert person_grants == granted_homes
    wrong_home_counts = {
        household_id: support.counter(items, f"home#{household_id}")
        for household_id, _ in homes
        if support.counter(items, f"home#{household_id}") != int(household_id in granted_homes)
    }
    assert wrong_home_counts == {}
    assert support.counters_above_limit(items) == {}


def test_home_people_transactions_exact_when_overlapping(
    local_service: LocalService, deadline: Deadline
) -> None:
    household_id, meter_number = f"HH{support.COUNTY}RHOME", "RHOME"
    arguments = [(f"C199R2{index:02d}", household_id, meter_number) for index in range(HOME_RACE_PEOPLE)]

    outcomes = _race(arguments, deadline, "home_people")

    rejected = [outcome for outcome in outcomes if isinstance(outcome, LimitReached)]
    granted_people = {
        person_id for (person_id, _, _), outcome in zip(arguments, outcomes, strict=True) if outcome is True
    }
    assert len(granted_people) == HOME_PEOPLE_LIMIT
    assert len(rejected) == len(arguments) - HOME_PEOPLE_LIMIT
    assert {reached.limit_name for reached in rejected} == {"home_people"}
    items = support.quota_items(local_service)
    home_grants = {holder for holder, household in support.grant_keys(items) if household == household_id}
    assert support.counter(items, f"home#{household_id}") == HOME_PEOPLE_LIMIT
    assert home_grants == granted_people
    assert support.counter(items, f"meterday#{meter_number}#{RACE_DAY}") == HOME_PEOPLE_LIMIT
    assert support.counters_above_limit(items) == {}


def test_meter_daily_transactions_exact_when_overlapping(
    local_service: LocalService, deadline: Deadline
) -> None:
    household_id, meter_number = f"HH{support.COUNTY}RMETER", "RMETER"
    holders = [f"C199R3{index:02d}" for index in range(len(METER_SCENARIO_HOLDERS))]
    newcomers = [f"C199R4{index:02d}" for index in range(len(METER_SCENARIO_NEWCOMERS))]
    for person_id in holders:
        assert _take_units(person_id, household_id, meter_number) is True
    arguments = [
        (person_id, household_id, meter_number)
        for person_id in holders
        for _ in range(METER_SCENARIO_QUERIES_PER_HOLDER)
    ]
    arguments += [
        (person_id, household_id, meter_number)
        for person_id in newcomers
        for _ in range(METER_SCENARIO_QUERIES_PER_NEWCOMER)
    ]
    random.Random(4).shuffle(arguments)

    outcomes = _race(arguments, deadline, "meter_daily")

    rejected = [outcome for outcome in outcomes if isinstance(outcome, LimitReached)]
    newcomers_granted = {
        person_id for (person_id, _, _), outcome in zip(arguments, outcomes, strict=True) if outcome is True
    }
    assert len(outcomes) - len(rejected) + len(holders) == METER_DAILY_LIMIT
    assert {reached.limit_name for reached in rejected} == {"meter_daily"}
    assert newcomers_granted <= set(newcomers)
    items = support.quota_items(local_service)
    home_grants = {holder for holder, household in support.grant_keys(items) if household == household_id}
    assert support.counter(items, f"meterday#{meter_number}#{RACE_DAY}") == METER_DAILY_LIMIT
    assert home_grants == set(holders) | newcomers_granted
    assert support.counter(items, f"home#{household_id}") == len(home_grants)
    assert support.counters_above_limit(items) == {}
