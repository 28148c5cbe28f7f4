"""Roster people and the Cognito identities bound to them."""

from __future__ import annotations

from datetime import datetime

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from census.dal.models import Binding, RosterPerson
from census.domain.roster_csv import RosterRow
from census.errors import AlreadyBound


def get_person(person_id: str) -> RosterPerson | None:
    try:
        return RosterPerson.get(person_id, consistent_read=True)
    except DoesNotExist:
        return None


def find_people_by_phone(phone: str) -> list[RosterPerson]:
    """Return every roster person with this E.164 phone number (normally one)."""
    keys = [hit.person_id for hit in RosterPerson.by_phone.query(phone)]
    people = (get_person(person_id) for person_id in keys)
    return [person for person in people if person is not None and person.phone == phone]


def get_binding(sub: str) -> Binding | None:
    try:
        return Binding.get(sub, consistent_read=True)
    except DoesNotExist:
        return None


def bind_identity(*, sub: str, person_id: str, now: datetime) -> None:
    """Bind `sub` to `person_id` in one transaction.

    Raises AlreadyBound when the person is bound to another identity or the
    identity to another person; binding the same pair again is a no-op.
    """
    binding = Binding(sub, person_id=person_id, bound_at=now)
    person = RosterPerson(person_id)
    try:
        with TransactWrite(
            connection=Connection(region=RosterPerson.Meta.region, host=RosterPerson.Meta.host)
        ) as tx:
            tx.save(binding, condition=Binding.sub.does_not_exist() | (Binding.person_id == person_id))
            tx.update(
                person,
                actions=[RosterPerson.sub.set(sub), RosterPerson.bound_at.set(now)],
                condition=RosterPerson.person_id.exists()
                & (RosterPerson.sub.does_not_exist() | (RosterPerson.sub == sub)),
            )
    except TransactWriteError as error:
        if error.cause_response_code == "TransactionCanceledException":
            raise AlreadyBound() from error
        raise


def upsert_roster_row(row: RosterRow, *, import_key: str, now: datetime) -> None:
    """Create or update a roster person from an import, keeping any existing binding."""
    RosterPerson(row.person_id).update(
        actions=[
            RosterPerson.name.set(row.name),
            RosterPerson.name_key.set(row.name_key),
            RosterPerson.phone.set(row.phone),
            RosterPerson.id_hash.set(row.id_hash),
            RosterPerson.role.set(row.role),
            RosterPerson.supervisor_id.set(row.supervisor_id)
            if row.supervisor_id
            else RosterPerson.supervisor_id.remove(),
            RosterPerson.area_codes.set(list(row.area_codes)),
            RosterPerson.active_from.set(row.active_from.isoformat()),
            RosterPerson.active_to.set(row.active_to.isoformat()),
            RosterPerson.imported_at.set(now),
            RosterPerson.import_key.set(import_key),
        ]
    )


def team_of(supervisor_id: str) -> list[RosterPerson]:
    return list(RosterPerson.by_supervisor.query(supervisor_id))
