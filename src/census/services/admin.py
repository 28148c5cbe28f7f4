"""The census office admin's reads: roster status, usage figures, the audit trail, spot-check samples.

Only members of the Cognito group `admin` reach these; every other caller
gets NOT_ADMIN. Admins need no roster row. Every call is itself audited
(action `admin`), so reading the audit trail leaves a trace in it.
"""

from __future__ import annotations

import base64
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pynamodb.expressions.condition import Condition

from census.api.http import Caller
from census.dal import audit as audit_store
from census.dal import history as history_store
from census.dal import meters, people, quota
from census.dal.audit import AuditRecord
from census.dal.history import HistoryEntry
from census.dal.models import RosterPerson
from census.domain.audit import QUERY, VERIFY
from census.domain.beijing import beijing_date
from census.errors import InvalidBody, NotAdmin, NotFound
from census.services.history import CODES

USAGE_MAX_DAYS = 31
AUDIT_PAGE_MAX = 200
SPOT_CHECK_MAX = 200
# Seeds are shown to people and typed back to draw the same sample again.
SEED_MAX = 2**31 - 1
_AREA_CODE = re.compile(r"[0-9]{2,12}")
# Audit event ids: the ISO time of the event, "#", and a UUID in hex.
_EVENT_ID = re.compile(r"[0-9T:.+\-]{19,40}#[0-9a-f]{32}")


def require_admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise NotAdmin()


# ---------------------------------------------------------------- roster status


@dataclass(frozen=True)
class RosterStatus:
    person: RosterPerson
    quota_used: int
    entries: int


def roster_status(person_id: str, now: datetime) -> RosterStatus:
    """Return a roster person with their verification and use; NotFound when not on the roster."""
    person = people.get_person(person_id)
    if person is None:
        raise NotFound()
    return RosterStatus(
        person=person,
        quota_used=quota.person_homes_used(person.person_id),
        entries=len(history_store.list_entries(person.person_id, now)),
    )


# ---------------------------------------------------------------- usage figures


@dataclass(frozen=True)
class DayUsage:
    day: date
    queries: int
    queries_by_outcome: dict[str, int]
    retries_replayed: int
    people: int
    meters: int
    verifications_by_outcome: dict[str, int]


def _check_range(first: date, last: date) -> None:
    if last < first:
        raise InvalidBody(field="to", problem=f"{last.isoformat()} is before from {first.isoformat()}")
    if (last - first).days + 1 > USAGE_MAX_DAYS:
        raise InvalidBody(
            field="to", problem=f"at most {USAGE_MAX_DAYS} days from {first.isoformat()}; ask for fewer days"
        )


def day_usage(day: date, records: list[AuditRecord]) -> DayUsage:
    """Count one Beijing day's audit events: queries by outcome, people, meters and verifications.

    A replayed retry is counted apart and not as a query, since the person was
    not charged for it. People and meters count successful queries only.
    """
    queries = [record for record in records if record.action == QUERY and not record.replay]
    successful = [record for record in queries if record.outcome in CODES]
    outcomes = Counter(record.outcome for record in queries)
    return DayUsage(
        day=day,
        queries=len(queries),
        queries_by_outcome=dict(sorted(outcomes.items())),
        retries_replayed=sum(1 for record in records if record.action == QUERY and record.replay),
        people=len({record.actor for record in successful}),
        meters=len({record.meter_number for record in successful}),
        verifications_by_outcome=dict(
            sorted(Counter(record.outcome for record in records if record.action == VERIFY).items())
        ),
    )


def usage(first: date, last: date) -> list[DayUsage]:
    """Return the usage figures of each Beijing day from `first` to `last`, at most 31 days."""
    _check_range(first, last)
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    # NOTE: each day's events are read in full; at millions of queries a day a
    # counter table kept by the audit writer would be cheaper.
    return [day_usage(day, audit_store.events_on(day.isoformat())) for day in days]


# ---------------------------------------------------------------- audit search


@dataclass(frozen=True)
class AuditSearch:
    actor: str | None = None
    meter_number: str | None = None
    action: str | None = None
    outcome: str | None = None

    def condition(self) -> Condition | None:
        parts = []
        if self.actor:
            parts.append(AuditRecord.actor == self.actor)
        if self.meter_number:
            parts.append(AuditRecord.meter_number == self.meter_number)
        if self.action:
            parts.append(AuditRecord.action == self.action)
        if self.outcome:
            parts.append(AuditRecord.outcome == self.outcome)
        if not parts:
            return None
        condition = parts[0]
        for part in parts[1:]:
            condition = condition & part
        return condition


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditRecord]
    next_cursor: str | None


def encode_audit_cursor(event_id: str) -> str:
    """Return the cursor after an event: its id in URL-safe base64, to paste into a query string."""
    return base64.urlsafe_b64encode(event_id.encode("ascii")).decode("ascii").rstrip("=")


def decode_audit_cursor(cursor: str, day: date) -> str:
    """Return the event id in a cursor of `day`'s list; InvalidBody for any other cursor."""
    try:
        event_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        valid = bool(_EVENT_ID.fullmatch(event_id)) and (
            beijing_date(datetime.fromisoformat(event_id.split("#")[0])) == day
        )
    except (ValueError, UnicodeDecodeError):
        valid = False
    if not valid:
        raise InvalidBody(field="cursor", problem="not a next_cursor of this list; start again without it")
    return event_id


def search_audit(day: date, search: AuditSearch, *, limit: int, cursor: str | None) -> AuditPage:
    """Return one page of a day's audit events that match, oldest first."""
    after = decode_audit_cursor(cursor, day) if cursor is not None else None
    events, more = audit_store.search_events(
        day.isoformat(), after=after, limit=limit, filter_condition=search.condition()
    )
    next_cursor = encode_audit_cursor(events[-1].event_id) if more and events else None
    return AuditPage(events=events, next_cursor=next_cursor)


# ---------------------------------------------------------------- spot checks


@dataclass(frozen=True)
class SpotCheckItem:
    person_id: str
    meter_number: str
    area_code: str
    queried_at: str
    code_given: str
    entry: HistoryEntry | None


@dataclass(frozen=True)
class SpotCheck:
    day: date
    seed: int
    population: int
    items: list[SpotCheckItem] = field(default_factory=list)


def check_area_code(area_code: str | None) -> str | None:
    if area_code is not None and not _AREA_CODE.fullmatch(area_code):
        raise InvalidBody(
            field="area_code", problem=f"{area_code!r} is not 2 to 12 digits of an administrative area code"
        )
    return area_code


def spot_check(day: date, *, size: int, area_code: str | None, seed: int | None, now: datetime) -> SpotCheck:
    """Draw a random sample of the homes queried on a Beijing day, for a field inspector to revisit.

    The population is every distinct (person, meter) pair with a query that
    got a code that day, within `area_code` (a prefix of the meter's area
    code) when given. The same day, area, size and seed draw the same
    sample, so an inspection can be repeated and checked. Without a seed,
    one is chosen and returned.
    """
    check_area_code(area_code)
    if seed is None:
        seed = random.SystemRandom().randint(0, SEED_MAX)
    first_query: dict[tuple[str, str], AuditRecord] = {}
    for record in audit_store.events_on(day.isoformat()):
        if record.action == QUERY and record.outcome in CODES and record.meter_number and not record.replay:
            first_query.setdefault((record.actor, record.meter_number), record)
    registry = meters.get_meters(meter for _, meter in first_query)
    population = sorted(
        key
        for key in first_query
        if key[1] in registry and (area_code is None or registry[key[1]].area_code.startswith(area_code))
    )
    # A seeded generator, so that the sample can be drawn again; the seed
    # itself comes from the system's random source.
    drawn = sorted(random.Random(seed).sample(population, min(size, len(population))))  # noqa: S311
    entries = history_store.get_entries(drawn, now)
    items = []
    for person_id, meter_number in drawn:
        record = first_query[(person_id, meter_number)]
        items.append(
            SpotCheckItem(
                person_id=person_id,
                meter_number=meter_number,
                area_code=registry[meter_number].area_code,
                queried_at=record.at,
                code_given=record.outcome,
                entry=entries.get((person_id, meter_number)),
            )
        )
    return SpotCheck(day=day, seed=seed, population=len(population), items=items)
