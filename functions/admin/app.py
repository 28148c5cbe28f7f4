"""/v1/admin/...: roster status, usage figures, audit search and spot checks for census office admins."""

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

from census import clock, config
from census.api.http import create_resolver, current_caller, request_id_of
from census.dal import models
from census.dal.audit import AuditRecord
from census.domain.audit import ADMIN, AuditEvent
from census.domain.meters import parse_meter_number
from census.errors import CensusError, InvalidBody, NotAdmin
from census.observability import logger, metrics, tracer
from census.services import admin
from census.services.audit import AuditQueue

settings = config.settings()
models.configure(settings.tables)
audit_queue = AuditQueue(boto3.client("sqs"), settings.audit_queue_url)


def _audit(outcome: str) -> None:
    caller = current_caller(app)
    event = AuditEvent.create(
        now=clock.now(), action=ADMIN, actor=f"sub:{caller.sub}", outcome=outcome,
        request_id=request_id_of(app),
    )  # fmt: skip
    audit_queue.send(event)


def _audit_invalid_request(resolver: APIGatewayHttpResolver) -> None:
    # A caller outside the admin group learns nothing of the routes' rules.
    if not current_caller(resolver).is_admin:
        _audit(NotAdmin.code)
        raise NotAdmin()
    _audit(InvalidBody.code)


app = create_resolver(on_invalid_body=_audit_invalid_request)


# ---------------------------------------------------------------- bodies

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: Any) -> Any:
    # pydantic alone would also read 0 as 1970-01-01.
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


class RosterStatus(BaseModel):
    person_id: str
    name: str
    role: str
    supervisor_id: str | None
    areas: list[str]
    active_from: date
    active_to: date
    verified: bool = Field(
        description="A signed-in identity has passed real-name verification as this person"
    )
    verified_at: datetime | None
    imported_at: datetime
    quota_used: int = Field(description="Distinct homes queried")
    quota_limit: int
    entries: int = Field(description="Entries in the person's list")


class DayUsage(BaseModel):
    day: date = Field(description="Beijing date")
    queries: int = Field(description="Query requests, retries replayed from an Idempotency-Key excluded")
    queries_by_outcome: dict[str, int] = Field(description="By code given, or by error code")
    retries_replayed: int
    people: int = Field(description="Distinct people with a successful query")
    meters: int = Field(description="Distinct meters with a successful query")
    verifications_by_outcome: dict[str, int]


class UsageTotals(BaseModel):
    """The days of a usage response added up. People and meters are left out: a sum of daily
    distinct counts would count a person active on two days twice."""

    first_day: date
    last_day: date
    queries: int
    queries_by_outcome: dict[str, int]
    retries_replayed: int
    verifications_by_outcome: dict[str, int]


class Usage(BaseModel):
    days: list[DayUsage]
    totals: UsageTotals


class AuditEntry(BaseModel):
    event_id: str
    at: datetime
    action: str = Field(description="query, verify or admin")
    actor: str = Field(description="Roster person id, or sub:<Cognito sub> before verification")
    outcome: str = Field(description="The code given, an error code, or the admin operation")
    meter_number: str | None
    replay: bool
    request_id: str


class AuditList(BaseModel):
    events: list[AuditEntry]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class SpotCheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    day: IsoDate = Field(description="Beijing date whose successful queries are sampled")
    size: StrictInt = Field(ge=1, le=admin.SPOT_CHECK_MAX, description="Homes to draw")
    area_code: str | None = Field(
        default=None, description="Only meters whose 12-digit area code starts with these 2-12 digits"
    )
    seed: StrictInt | None = Field(
        default=None,
        ge=0,
        le=admin.SEED_MAX,
        description="Draw the same sample again; without it a seed is chosen and returned",
    )


class SpotCheckItem(BaseModel):
    person_id: str
    meter_number: str
    area_code: str
    queried_at: datetime = Field(description="The person's first successful query of the meter that day")
    code_given: str
    code_now: str | None = Field(description="The code in the person's list now; null if the entry is gone")
    finding: str | None = Field(description="What the person recorded at the door")


class SpotCheck(BaseModel):
    day: date
    seed: int
    population: int = Field(description="Distinct person and meter pairs the sample was drawn from")
    items: list[SpotCheckItem]


# ---------------------------------------------------------------- routes


@contextmanager
def _admin_call(operation: str) -> Iterator[None]:
    """Run a route's body for admins only, and audit the call with its operation or its error code."""
    try:
        admin.require_admin(current_caller(app))
        yield
    except CensusError as error:
        _audit(error.code)
        raise
    except Exception:
        _audit(CensusError.code)
        raise
    else:
        _audit(operation)


@app.get("/v1/admin/roster/<person_id>")
@tracer.capture_method
def get_roster_status(person_id: str) -> RosterStatus:
    with _admin_call("roster_status"):
        status = admin.roster_status(person_id, clock.now())

    person = status.person
    logger.info("roster status read", person_id=person.person_id)
    return RosterStatus(
        person_id=person.person_id,
        name=person.name,
        role=person.role,
        supervisor_id=person.supervisor_id,
        areas=list(person.area_codes),
        active_from=date.fromisoformat(person.active_from),
        active_to=date.fromisoformat(person.active_to),
        verified=person.sub is not None,
        verified_at=person.bound_at,
        imported_at=person.imported_at,
        quota_used=status.quota_used,
        quota_limit=settings.limits.person_homes,
        entries=status.entries,
    )


def _day_usage(figures: admin.DayUsage) -> DayUsage:
    return DayUsage(
        day=figures.day,
        queries=figures.queries,
        queries_by_outcome=figures.queries_by_outcome,
        retries_replayed=figures.retries_replayed,
        people=figures.people,
        meters=figures.meters,
        verifications_by_outcome=figures.verifications_by_outcome,
    )


def _totals(days: list[DayUsage]) -> UsageTotals:
    by_outcome: Counter[str] = Counter()
    verifications: Counter[str] = Counter()
    for day in days:
        by_outcome.update(day.queries_by_outcome)
        verifications.update(day.verifications_by_outcome)
    return UsageTotals(
        first_day=days[0].day,
        last_day=days[-1].day,
        queries=sum(day.queries for day in days),
        queries_by_outcome=dict(sorted(by_outcome.items())),
        retries_replayed=sum(day.retries_replayed for day in days),
        verifications_by_outcome=dict(sorted(verifications.items())),
    )


DATE_FORMAT = "a Beijing date as YYYY-MM-DD"


@app.get("/v1/admin/usage")
@tracer.capture_method
def get_usage(
    first: Annotated[IsoDate, Query(alias="from", description=f"First day: {DATE_FORMAT}")],
    last: Annotated[
        IsoDate,
        Query(alias="to", description=f"Last day: {DATE_FORMAT}, at most {admin.USAGE_MAX_DAYS} days on"),
    ],
) -> Usage:
    with _admin_call("usage"):
        days = [_day_usage(figures) for figures in admin.usage(first, last)]

    logger.info("usage read", days=len(days))
    return Usage(days=days, totals=_totals(days))


def _audit_entry(record: AuditRecord) -> AuditEntry:
    return AuditEntry(
        event_id=record.event_id,
        at=datetime.fromisoformat(record.at),
        action=record.action,
        actor=record.actor,
        outcome=record.outcome,
        meter_number=record.meter_number,
        replay=bool(record.replay),
        request_id=record.request_id,
    )


@app.get("/v1/admin/audit")
@tracer.capture_method
def search_audit(
    day: Annotated[IsoDate, Query(description=f"Day of the events: {DATE_FORMAT}")],
    actor: Annotated[
        str | None,
        Query(min_length=1, max_length=80, description="Person id (E001), or sub:<Cognito sub>; exact"),
    ] = None,
    meter_number: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    action: Annotated[
        str | None, Query(pattern="^(query|verify|admin)$", description="query, verify or admin")
    ] = None,
    outcome: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=40,
            description="A code (GREEN), an error code (QUOTA_EXHAUSTED) or an operation; exact",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=admin.AUDIT_PAGE_MAX, description="Events per page, 1-200")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=120, description="`next_cursor` of the previous page")
    ] = None,
) -> AuditList:
    with _admin_call("audit_search"):
        search = admin.AuditSearch(
            actor=actor,
            meter_number=parse_meter_number(meter_number).value if meter_number else None,
            action=action,
            outcome=outcome,
        )
        page = admin.search_audit(day, search, limit=limit, cursor=cursor)

    logger.info("audit searched", events=len(page.events))
    return AuditList(events=[_audit_entry(record) for record in page.events], next_cursor=page.next_cursor)


@app.post("/v1/admin/spot-checks")
@tracer.capture_method
def post_spot_check(body: Annotated[SpotCheckRequest, Body()]) -> SpotCheck:
    with _admin_call("spot_check"):
        sample = admin.spot_check(
            body.day, size=body.size, area_code=body.area_code, seed=body.seed, now=clock.now()
        )

    logger.info("spot check drawn", population=sample.population, size=len(sample.items), seed=sample.seed)
    return SpotCheck(
        day=sample.day,
        seed=sample.seed,
        population=sample.population,
        items=[
            SpotCheckItem(
                person_id=item.person_id,
                meter_number=item.meter_number,
                area_code=item.area_code,
                queried_at=datetime.fromisoformat(item.queried_at),
                code_given=item.code_given,
                code_now=item.entry.code if item.entry else None,
                finding=item.entry.finding if item.entry else None,
            )
            for item in sample.items
        ],
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
