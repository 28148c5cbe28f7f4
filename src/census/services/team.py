"""The supervisor's view of their team: each enumerator's quota use, list and conflicts.

A supervisor reads the lists of the people whose roster row names them as
supervisor, and admins read anyone's. Both only read, so a supervisor's
reading never clears an enumerator's changed marks. Anyone else asking for a
person's list gets NOT_FOUND, whether or not the person exists, so that the
route cannot be used to learn who is on the roster.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from census.api.http import Caller
from census.dal import history as history_store
from census.dal import people, quota
from census.dal.history import HistoryEntry
from census.dal.models import RosterPerson
from census.errors import InvalidBody, NotFound, NotSupervisor, NotVerified
from census.services import identity
from census.services.history import CODES, FINDINGS, ListFilter, Page, is_conflict, paginate

SUPERVISOR = "supervisor"


@dataclass(frozen=True)
class MemberSummary:
    person: RosterPerson
    quota_used: int
    quota_limit: int
    entries: int
    by_code: dict[str, int]
    changed: int
    findings: dict[str, int]
    conflicts: list[HistoryEntry] = field(default_factory=list)


@dataclass(frozen=True)
class TeamView:
    supervisor_id: str
    members: list[MemberSummary]


def _require_supervisor(caller: Caller) -> RosterPerson:
    person = identity.resolve_person(caller)
    if person.role != SUPERVISOR:
        raise NotSupervisor()
    return person


def team_supervisor_id(caller: Caller, requested: str | None) -> str:
    """Return whose team the caller may see: their own, or for an admin, the requested supervisor's.

    Raises NotVerified, NotSupervisor, or NotFound when a supervisor requests another team.
    """
    if caller.is_admin and requested:
        supervisor = people.get_person(requested)
        if supervisor is None or supervisor.role != SUPERVISOR:
            raise NotFound()
        return supervisor.person_id
    if caller.is_admin:
        try:
            return _require_supervisor(caller).person_id
        except (NotVerified, NotSupervisor):
            # An admin who is not a supervisor on the roster has no team of their own.
            raise InvalidBody(
                field="supervisor_id", problem="admins name the supervisor whose team to show, such as S001"
            ) from None
    person = _require_supervisor(caller)
    if requested and requested != person.person_id:
        raise NotFound()
    return person.person_id


def authorize_member(caller: Caller, member_id: str) -> RosterPerson:
    """Return the team member whose list the caller may read.

    Admins may read anyone's list. A supervisor may read the lists of the
    people they supervise; NotFound for anyone else. Everybody else gets
    NotSupervisor (or NotVerified before verification).
    """
    if caller.is_admin:
        member = people.get_person(member_id)
        if member is None:
            raise NotFound()
        return member
    supervisor = _require_supervisor(caller)
    member = people.get_person(member_id)
    if member is None or member.supervisor_id != supervisor.person_id:
        raise NotFound()
    return member


def summarize_member(person: RosterPerson, entries: list[HistoryEntry], *, quota_limit: int) -> MemberSummary:
    codes = Counter(entry.code for entry in entries)
    findings = Counter(entry.finding for entry in entries if entry.finding)
    return MemberSummary(
        person=person,
        quota_used=quota.person_homes_used(person.person_id),
        quota_limit=quota_limit,
        entries=len(entries),
        by_code={code: codes.get(code, 0) for code in CODES},
        changed=sum(1 for entry in entries if entry.changed),
        findings={finding: findings.get(finding, 0) for finding in FINDINGS},
        conflicts=[entry for entry in entries if is_conflict(entry)],
    )


def team_view(supervisor_id: str, now: datetime, *, quota_limit: int) -> TeamView:
    """Summarise every member of the supervisor's team, in person id order: one Query per member."""
    members = sorted(people.team_of(supervisor_id), key=lambda person: person.person_id)
    summaries = [
        summarize_member(person, history_store.list_entries(person.person_id, now), quota_limit=quota_limit)
        for person in members
    ]
    return TeamView(supervisor_id=supervisor_id, members=summaries)


def member_page(
    member: RosterPerson, *, list_filter: ListFilter, limit: int, cursor: str | None, now: datetime
) -> Page:
    """Return one page of a member's list, read-only: changed marks stay as they are."""
    entries = history_store.list_entries(member.person_id, now)
    return paginate(entries, list_filter=list_filter, limit=limit, cursor=cursor)
