"""The enumerator's list of queried homes (/v1/queries/...) and the supervisor's team view (/v1/team/...)."""

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from census import config
from census.api.http import create_resolver, current_caller
from census.dal import models
from census.dal.history import HistoryEntry
from census.dal.models import RosterPerson
from census.domain.meters import parse_meter_number
from census.observability import logger, metrics, tracer
from census.services import history, identity, team
from census.services.history import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    NOTE_MAX_LENGTH,
    Annotation,
    ListFilter,
    Page,
    is_conflict,
)

# census.dal.history, imported above, registers HistoryEntry with configure().
settings = config.settings()
models.configure(settings.tables)
app = create_resolver()

Code = Literal["GREEN", "YELLOW", "RED", "UNKNOWN"]
Finding = Literal["occupied", "vacant", "unclear"]


# ---------------------------------------------------------------- bodies


class QueryEntry(BaseModel):
    """One home in a person's list."""

    meter_number: str
    utility: str
    area_code: str
    code: Code = Field(description="The home's latest code, from the last query or the last data refresh")
    reason: str
    as_of: date | None = Field(description="The latest day of consumption data the code is based on")
    tags: list[str]
    changed: bool = Field(description="The code differs from the one the person last saw (the red dot)")
    previous_code: Code | None = Field(description="The code the person last saw, when `changed` is true")
    changed_at: datetime | None
    favourite: bool
    note: str | None
    finding: Finding | None = Field(description="What the person found at the door")
    finding_at: datetime | None
    conflict: bool = Field(
        description="Found vacant while the code is GREEN or YELLOW: check again at the door"
    )
    first_query_at: datetime
    last_query_at: datetime
    query_count: int


class QueryList(BaseModel):
    entries: list[QueryEntry]
    total: int = Field(description="Entries that match the filters, on all pages together")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class MemberQueryList(QueryList):
    person_id: str


class EntryPatch(BaseModel):
    """Fields to change; an absent field stays as it is."""

    model_config = ConfigDict(extra="forbid")

    favourite: StrictBool | None = None
    note: str | None = Field(
        default=None,
        description=f"Plain text, at most {NOTE_MAX_LENGTH} characters, no control characters except line "
        "feed; an empty string or null removes the note",
        json_schema_extra={"maxLength": NOTE_MAX_LENGTH},
    )
    finding: Finding | None = Field(default=None, description="null removes the finding")


class TeamMember(BaseModel):
    person_id: str
    name: str
    role: str
    areas: list[str]
    active_from: date
    active_to: date
    verified: bool
    quota_used: int = Field(description="Distinct homes queried")
    quota_limit: int
    entries: int = Field(description="Entries in the member's list")
    entries_by_code: dict[str, int]
    changed: int = Field(description="Entries with the changed mark")
    findings: dict[str, int]
    conflicts: int


class TeamConflict(BaseModel):
    person_id: str
    meter_number: str
    area_code: str
    code: Code
    as_of: date | None
    finding_at: datetime | None
    last_query_at: datetime


class TeamView(BaseModel):
    supervisor_id: str
    members: list[TeamMember]
    conflicts: list[TeamConflict] = Field(
        description="Homes a member found vacant whose code is GREEN or YELLOW, newest finding first"
    )


# ---------------------------------------------------------------- converters


def _entry(entry: HistoryEntry) -> QueryEntry:
    return QueryEntry(
        meter_number=entry.meter_number,
        utility=entry.utility,
        area_code=entry.area_code,
        code=entry.code,
        reason=entry.reason,
        as_of=date.fromisoformat(entry.as_of) if entry.as_of else None,
        tags=list(entry.tags or []),
        changed=bool(entry.changed),
        previous_code=entry.seen_code if entry.changed else None,
        changed_at=entry.changed_at if entry.changed else None,
        favourite=bool(entry.favourite),
        note=entry.note,
        finding=entry.finding,
        finding_at=entry.finding_at,
        conflict=is_conflict(entry),
        first_query_at=entry.first_query_at,
        last_query_at=entry.last_query_at,
        query_count=int(entry.query_count or 0),
    )


def _entries(page: Page) -> dict[str, Any]:
    return {
        "entries": [_entry(entry) for entry in page.entries],
        "total": page.total,
        "next_cursor": page.next_cursor,
    }


def _member(summary: team.MemberSummary) -> TeamMember:
    person = summary.person
    return TeamMember(
        person_id=person.person_id,
        name=person.name,
        role=person.role,
        areas=list(person.area_codes),
        active_from=date.fromisoformat(person.active_from),
        active_to=date.fromisoformat(person.active_to),
        verified=person.sub is not None,
        quota_used=summary.quota_used,
        quota_limit=summary.quota_limit,
        entries=summary.entries,
        entries_by_code=summary.by_code,
        changed=summary.changed,
        findings=summary.findings,
        conflicts=len(summary.conflicts),
    )


def _meter(raw: str) -> str:
    return parse_meter_number(raw).value


# ---------------------------------------------------------------- the person's own list

CodeFilter = Annotated[
    str | None, Query(description="GREEN, YELLOW, RED or UNKNOWN; several separated by commas")
]
FavouriteFilter = Annotated[bool | None, Query(description="true: favourites only; false: the others")]
ChangedFilter = Annotated[bool | None, Query(description="true: entries with the red dot only")]
FindingFilter = Annotated[
    str | None, Query(description="occupied, vacant, unclear or none; several separated by commas")
]
ConflictFilter = Annotated[bool | None, Query(description="true: found vacant while GREEN or YELLOW")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Entries per page")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")]


def _filter(
    code: str | None, favourite: bool | None, changed: bool | None, finding: str | None, conflict: bool | None
) -> ListFilter:
    return history.parse_filter(
        code=code, favourite=favourite, changed=changed, finding=finding, conflict=conflict
    )


@app.get("/v1/queries")
@tracer.capture_method
def list_queries(
    code: CodeFilter = None,
    favourite: FavouriteFilter = None,
    changed: ChangedFilter = None,
    finding: FindingFilter = None,
    conflict: ConflictFilter = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> QueryList:
    now = datetime.now(UTC)
    person = identity.resolve_person(current_caller(app))

    page = history.list_page(
        person.person_id,
        list_filter=_filter(code, favourite, changed, finding, conflict),
        limit=limit,
        cursor=cursor,
        now=now,
    )

    logger.info("list read", entries=len(page.entries), total=page.total)
    return QueryList(**_entries(page))


@app.get("/v1/queries/<meter>")
@tracer.capture_method
def get_query(meter: str) -> QueryEntry:
    now = datetime.now(UTC)
    person = identity.resolve_person(current_caller(app))

    entry = history.view_entry(person.person_id, _meter(meter), now)

    return _entry(entry)


@app.patch("/v1/queries/<meter>")
@tracer.capture_method
def patch_query(meter: str, body: Annotated[EntryPatch, Body()]) -> QueryEntry:
    now = datetime.now(UTC)
    person = identity.resolve_person(current_caller(app))
    fields_set = body.model_fields_set
    annotation = Annotation(
        favourite=body.favourite,
        note=body.note if "note" in fields_set and body.note is not None else None,
        clear_note="note" in fields_set and body.note is None,
        finding=body.finding,
        clear_finding="finding" in fields_set and body.finding is None,
    )

    entry = history.annotate(person.person_id, _meter(meter), annotation, now)

    logger.info("entry annotated", fields=sorted(fields_set))
    return _entry(entry)


@app.delete("/v1/queries/<meter>", responses={204: {"description": "The entry was removed"}})
@tracer.capture_method
def delete_query(meter: str):
    # No return annotation: powertools cannot build a response schema from `Response`.
    now = datetime.now(UTC)
    person = identity.resolve_person(current_caller(app))

    history.remove(person.person_id, _meter(meter), now)

    logger.info("entry deleted")
    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body="")


# ---------------------------------------------------------------- the supervisor's team


@app.get("/v1/team")
@tracer.capture_method
def get_team(
    supervisor_id: Annotated[
        str | None, Query(max_length=64, description="Admins only: the supervisor whose team to show")
    ] = None,
) -> TeamView:
    now = datetime.now(UTC)
    caller = current_caller(app)
    team_supervisor = team.team_supervisor_id(caller, supervisor_id)

    view = team.team_view(team_supervisor, now, quota_limit=settings.limits.person_homes)

    conflicts = [
        TeamConflict(
            person_id=summary.person.person_id,
            meter_number=entry.meter_number,
            area_code=entry.area_code,
            code=entry.code,
            as_of=date.fromisoformat(entry.as_of) if entry.as_of else None,
            finding_at=entry.finding_at,
            last_query_at=entry.last_query_at,
        )
        for summary in view.members
        for entry in summary.conflicts
    ]
    conflicts.sort(key=lambda item: item.finding_at or item.last_query_at, reverse=True)
    logger.info(
        "team read", supervisor_id=team_supervisor, members=len(view.members), conflicts=len(conflicts)
    )
    return TeamView(
        supervisor_id=team_supervisor, members=[_member(item) for item in view.members], conflicts=conflicts
    )


@app.get("/v1/team/<member_id>/queries")
@tracer.capture_method
def get_member_queries(
    member_id: str,
    code: CodeFilter = None,
    favourite: FavouriteFilter = None,
    changed: ChangedFilter = None,
    finding: FindingFilter = None,
    conflict: ConflictFilter = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> MemberQueryList:
    now = datetime.now(UTC)
    member: RosterPerson = team.authorize_member(current_caller(app), member_id)

    page = team.member_page(
        member,
        list_filter=_filter(code, favourite, changed, finding, conflict),
        limit=limit,
        cursor=cursor,
        now=now,
    )

    logger.info("member list read", member_id=member.person_id, entries=len(page.entries))
    return MemberQueryList(person_id=member.person_id, **_entries(page))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
