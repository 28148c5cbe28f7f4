"""Query one meter: from the number a person typed to the home's occupancy code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from census.config import Limits
from census.dal import meters, publications, quota
from census.dal.models import Meter, RosterPerson
from census.domain.areas import any_area_contains
from census.domain.beijing import beijing_date, in_window, next_beijing_midnight
from census.domain.meters import parse_meter_number
from census.domain.occupancy import Classification, OccupancyConfig, classify, combine
from census.errors import (
    MeterNotFound,
    MeterNotInService,
    MeterNotResidential,
    MeterOutsideArea,
    NoConsumptionData,
    OutsideServiceWindow,
    QuotaExhausted,
)
from census.storage.partitions import read_meter_history

RESIDENTIAL = "residential"
IN_SERVICE = "in_service"
UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class MeterOutcome:
    meter_number: str
    utility: str
    result: Classification


@dataclass(frozen=True)
class QueryOutcome:
    """The code of the home behind the queried meter, and of each of its meters."""

    meter: Meter
    result: Classification
    meters: tuple[MeterOutcome, ...]


def find_queryable_meter(person: RosterPerson, raw_meter_number: str) -> Meter:
    """Return the registry entry of a meter that `person` may query.

    The area check comes before the type and status checks, so that a person
    learns nothing about meters outside their areas.
    """
    number = parse_meter_number(raw_meter_number)
    meter = meters.get_meter(number.value)
    if meter is None:
        raise MeterNotFound()
    if not any_area_contains(person.area_codes, meter.area_code):
        raise MeterOutsideArea()
    if meter.customer_type != RESIDENTIAL:
        raise MeterNotResidential()
    if meter.status != IN_SERVICE:
        raise MeterNotInService(status=meter.status)
    return meter


def classify_meter(
    meter: Meter, *, s3: Any, bucket: str, window_days: int, config: OccupancyConfig
) -> Classification:
    """Compute the code of one meter from the newest `window_days` published days of its county."""
    published = publications.latest_days(meter.utility, meter.county, limit=window_days)
    if not published:
        raise NoConsumptionData()
    history = read_meter_history(s3, bucket, published, int(meter.slot), meter.utility, window_days)
    connected_on = date.fromisoformat(meter.connected_on) if meter.connected_on else None
    return classify(history, status=meter.status, connected_on=connected_on, config=config)


def query_home(
    meter: Meter, *, s3: Any, bucket: str, window_days: int, config: OccupancyConfig
) -> QueryOutcome:
    """Classify the meter and, when its household has others, each of them and the home as a whole."""
    own = classify_meter(meter, s3=s3, bucket=bucket, window_days=window_days, config=config)
    outcomes = [MeterOutcome(meter.meter_number, meter.utility, own)]
    for other in meters.household_meters(meter.household_id):
        # A household lies in one village: a meter of the same household id
        # elsewhere belongs to another utility's numbering, and its code must
        # not reach a person outside its area.
        if other.meter_number == meter.meter_number or other.area_code != meter.area_code:
            continue
        if other.customer_type != RESIDENTIAL:
            continue
        try:
            result = classify_meter(other, s3=s3, bucket=bucket, window_days=window_days, config=config)
        except NoConsumptionData:
            continue
        outcomes.append(MeterOutcome(other.meter_number, other.utility, result))
    if len(outcomes) == 1:
        return QueryOutcome(meter=meter, result=own, meters=tuple(outcomes))
    combined = combine([(outcome.meter_number, outcome.result) for outcome in outcomes])
    return QueryOutcome(meter=meter, result=combined, meters=tuple(outcomes))


def resets_at(limit_name: str, now: datetime) -> str | None:
    """Return when a limit resets: the next Beijing midnight for the daily limit, never for the others."""
    return next_beijing_midnight(now).isoformat() if limit_name == quota.METER_DAILY else None


def charge(
    meter: Meter, *, person: RosterPerson, result: Classification, now: datetime, limits: Limits
) -> bool:
    """Take the units of this query; return True when it was the person's first query of the home.

    An UNKNOWN code gives the person nothing they can act on, so it takes no
    unit of the person's or the home's quota, only of the meter's daily count.
    Raises QuotaExhausted naming the limit; then nothing was taken.
    """
    day = beijing_date(now)
    try:
        if result.code == UNKNOWN:
            quota.take_meter_query(meter.meter_number, day, limits)
            return False
        return quota.take_first_query(
            person_id=person.person_id,
            household_id=meter.household_id,
            meter_number=meter.meter_number,
            day=day,
            limits=limits,
        )
    except quota.LimitReached as reached:
        raise QuotaExhausted(
            limit_name=reached.limit_name,
            limit=reached.limit,
            used=reached.used,
            resets_at=resets_at(reached.limit_name, now),
        ) from reached


def require_service_window(now: datetime, start: date | None, end: date | None) -> None:
    if not in_window(beijing_date(now), start, end):
        raise OutsideServiceWindow(
            window_start=start.isoformat() if start else None, window_end=end.isoformat() if end else None
        )
