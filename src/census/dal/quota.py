"""Query limits as atomic counters in DynamoDB.

Keys of the QuotaTable:

- `person#<person_id>`: `used`, the distinct homes the person has queried;
- `home#<household_id>`: `used`, the distinct people who have queried the home;
- `grant#<person_id>#<household_id>`: present once the person has queried the home;
- `meterday#<meter_number>#<Beijing date>`: `used`, queries of the meter that
  day, expiring by TTL;
- `verifyfail#<sub>#<Beijing date>`: `used`, verification attempts that failed
  or are under way that day, expiring by TTL.

Every limit is a condition on the write that takes the unit, so two
concurrent requests can never both take the last one. The first query of a
home takes its three units in one transaction, so a request that one limit
rejects takes nothing from the others.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from census.config import Limits
from census.dal.models import _MetaDefaults, register
from census.domain.beijing import BEIJING

PERSON_HOMES = "person_homes"
HOME_PEOPLE = "home_people"
METER_DAILY = "meter_daily"

# Day counters outlive their day by this much, so that a late reader still
# sees the day's count; DynamoDB deletes them afterwards.
_DAY_COUNTER_KEEP = timedelta(days=2)


class QuotaCounter(Model):
    class Meta(_MetaDefaults):
        pass

    key = UnicodeAttribute(hash_key=True)
    used = NumberAttribute(default=0)
    expires_at = NumberAttribute(null=True)


register(QuotaCounter, "quota")


class LimitReached(Exception):
    """A limit rejected the request; `used` is the count when it was rejected."""

    def __init__(self, limit_name: str, limit: int, used: int) -> None:
        super().__init__(limit_name)
        self.limit_name = limit_name
        self.limit = limit
        self.used = used


def _person_key(person_id: str) -> str:
    return f"person#{person_id}"


def _home_key(household_id: str) -> str:
    return f"home#{household_id}"


def _grant_key(person_id: str, household_id: str) -> str:
    return f"grant#{person_id}#{household_id}"


def _meter_day_key(meter_number: str, day: date) -> str:
    return f"meterday#{meter_number}#{day.isoformat()}"


def _verify_key(sub: str, day: date) -> str:
    return f"verifyfail#{sub}#{day.isoformat()}"


def _day_expiry(day: date) -> int:
    end_of_day = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=BEIJING)
    return int((end_of_day + _DAY_COUNTER_KEEP).timestamp())


def _used(key: str) -> int:
    try:
        return int(QuotaCounter.get(key, consistent_read=True).used or 0)
    except DoesNotExist:
        return 0


def _connection() -> Connection:
    return Connection(region=QuotaCounter.Meta.region, host=QuotaCounter.Meta.host)


def person_homes_used(person_id: str) -> int:
    return _used(_person_key(person_id))


def home_people_used(household_id: str) -> int:
    return _used(_home_key(household_id))


def meter_queries_on(meter_number: str, day: date) -> int:
    return _used(_meter_day_key(meter_number, day))


def holds_home(person_id: str, household_id: str) -> bool:
    try:
        QuotaCounter.get(_grant_key(person_id, household_id), consistent_read=True)
    except DoesNotExist:
        return False
    return True


def _below(limit: int) -> Condition:
    return QuotaCounter.used.does_not_exist() | (QuotaCounter.used < limit)


def take_meter_query(meter_number: str, day: date, limits: Limits) -> None:
    """Count one query of the meter on the Beijing `day`; raise LimitReached at the daily limit."""
    counter = QuotaCounter(_meter_day_key(meter_number, day))
    try:
        counter.update(
            actions=[QuotaCounter.used.add(1), QuotaCounter.expires_at.set(_day_expiry(day))],
            condition=_below(limits.meter_daily),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise LimitReached(METER_DAILY, limits.meter_daily, limits.meter_daily) from error
        raise


def take_first_query(
    *, person_id: str, household_id: str, meter_number: str, day: date, limits: Limits
) -> bool:
    """Take the units of a query of a home in one transaction.

    Returns True when this was the person's first query of the home (a unit
    of their quota and of the home's was taken) and False when the person
    already held the home (only the meter's daily unit was taken). Raises
    LimitReached naming the first limit that rejected the query; then nothing
    was taken.
    """
    if holds_home(person_id, household_id):
        take_meter_query(meter_number, day, limits)
        return False
    try:
        with TransactWrite(connection=_connection()) as transaction:
            transaction.save(
                QuotaCounter(_grant_key(person_id, household_id)), condition=QuotaCounter.key.does_not_exist()
            )
            transaction.update(
                QuotaCounter(_person_key(person_id)),
                actions=[QuotaCounter.used.add(1)],
                condition=_below(limits.person_homes),
            )
            transaction.update(
                QuotaCounter(_home_key(household_id)),
                actions=[QuotaCounter.used.add(1)],
                condition=_below(limits.home_people),
            )
            transaction.update(
                QuotaCounter(_meter_day_key(meter_number, day)),
                actions=[QuotaCounter.used.add(1), QuotaCounter.expires_at.set(_day_expiry(day))],
                condition=_below(limits.meter_daily),
            )
    except TransactWriteError as error:
        if error.cause_response_code != "TransactionCanceledException":
            raise
        failed = [
            index
            for index, reason in enumerate(error.cancellation_reasons)
            if reason is not None and reason.code == "ConditionalCheckFailed"
        ]
        if failed and failed[0] == 0:
            # A concurrent request of the same person took the home first:
            # this one is a repeat query of a home the person holds.
            take_meter_query(meter_number, day, limits)
            return False
        if 1 in failed:
            raise LimitReached(PERSON_HOMES, limits.person_homes, person_homes_used(person_id)) from error
        if 2 in failed:
            raise LimitReached(HOME_PEOPLE, limits.home_people, home_people_used(household_id)) from error
        if 3 in failed:
            raise LimitReached(
                METER_DAILY, limits.meter_daily, meter_queries_on(meter_number, day)
            ) from error
        raise
    return True


def take_verification_attempt(sub: str, day: date, limits: Limits) -> None:
    """Count a verification attempt before it runs; raise LimitReached once the day's failures are used up.

    Counting first keeps the limit exact under concurrent attempts; a
    successful attempt gives its unit back with `return_verification_attempt`.
    """
    counter = QuotaCounter(_verify_key(sub, day))
    try:
        counter.update(
            actions=[QuotaCounter.used.add(1), QuotaCounter.expires_at.set(_day_expiry(day))],
            condition=_below(limits.verification_failures),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise LimitReached(
                "verification_failures", limits.verification_failures, limits.verification_failures
            ) from error
        raise


def return_verification_attempt(sub: str, day: date) -> None:
    QuotaCounter(_verify_key(sub, day)).update(actions=[QuotaCounter.used.add(-1)])


def verification_failures_on(sub: str, day: date) -> int:
    return _used(_verify_key(sub, day))
