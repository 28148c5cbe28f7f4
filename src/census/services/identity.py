"""From a signed-in identity to the roster person behind it."""

from __future__ import annotations

import hmac
from datetime import date, datetime

from census.api.http import Caller
from census.dal import people
from census.dal.models import RosterPerson
from census.domain.beijing import beijing_date
from census.domain.idnumber import hash_id_number, validate_id_number
from census.domain.names import normalize_name
from census.errors import NotVerified, PersonInactive, PhoneNotVerified, VerificationMismatch
from census.observability import logger


def resolve_person(caller: Caller) -> RosterPerson:
    """Return the verified roster person of `caller`, or raise NotVerified.

    The binding holds only while the token's phone number is still the
    roster's: a person whose phone was changed in the roster must verify again
    from an account with the new number.
    """
    binding = people.get_binding(caller.sub)
    if binding is None:
        raise NotVerified()
    person = people.get_person(binding.person_id)
    if person is None or not caller.phone_verified or caller.phone != person.phone:
        raise NotVerified()
    logger.append_keys(person_id=person.person_id)
    return person


def require_active(person: RosterPerson, today: date) -> None:
    if not (date.fromisoformat(person.active_from) <= today <= date.fromisoformat(person.active_to)):
        raise PersonInactive(active_from=person.active_from, active_to=person.active_to)


def verify_identity(
    *, caller: Caller, name: str, id_number: str, now: datetime, hash_key: bytes
) -> RosterPerson:
    """Bind `caller` to the roster person with the token's phone, this name and this ID number.

    Raises PhoneNotVerified, InvalidIdNumber, VerificationMismatch,
    PersonInactive or AlreadyBound. Verifying an already bound pair again
    returns the person.
    """
    if not caller.phone or not caller.phone_verified:
        raise PhoneNotVerified()
    today = beijing_date(now)
    id_hash = hash_id_number(validate_id_number(id_number, today=today), hash_key)
    try:
        name_key = normalize_name(name)
    except ValueError:
        raise VerificationMismatch() from None

    matches = [
        person
        for person in people.find_people_by_phone(caller.phone)
        if hmac.compare_digest(person.id_hash, id_hash) and person.name_key == name_key
    ]
    if len(matches) != 1:
        raise VerificationMismatch()
    person = matches[0]
    require_active(person, today)
    people.bind_identity(sub=caller.sub, person_id=person.person_id, now=now)
    logger.append_keys(person_id=person.person_id)
    logger.info("identity verified")
    return person
