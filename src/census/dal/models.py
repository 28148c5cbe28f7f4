"""pynamodb models of the service's tables.

Table names and the endpoint are not known when this module is imported:
`configure()` binds every model to the names in the settings, once per cold
start (and again in tests, whose tables have other names).
"""

from __future__ import annotations

import importlib
import os

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from census.config import Tables


class _MetaDefaults:
    table_name = "unconfigured"
    region = "cn-north-1"
    max_retry_attempts = 3
    connect_timeout_seconds = 2
    # A retry after a read timeout repeats a conditional ADD that the table may
    # already have applied, counting a quota unit twice. A long read timeout
    # makes that rare; the Lambda timeout bounds the wait anyway.
    # NOTE: a retried quota update after a lost response can still count twice.
    read_timeout_seconds = 30


class PhoneIndex(GlobalSecondaryIndex["RosterPerson"]):
    class Meta:
        index_name = "by_phone"
        projection = KeysOnlyProjection()

    phone = UnicodeAttribute(hash_key=True)


class SupervisorIndex(GlobalSecondaryIndex["RosterPerson"]):
    class Meta:
        index_name = "by_supervisor"
        projection = AllProjection()

    supervisor_id = UnicodeAttribute(hash_key=True)


class RosterPerson(Model):
    """One person of the census roster. The ID number is stored only as a keyed hash."""

    class Meta(_MetaDefaults):
        pass

    person_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    name_key = UnicodeAttribute()
    phone = UnicodeAttribute()
    id_hash = UnicodeAttribute()
    role = UnicodeAttribute()
    supervisor_id = UnicodeAttribute(null=True)
    area_codes = ListAttribute(of=UnicodeAttribute)
    active_from = UnicodeAttribute()
    active_to = UnicodeAttribute()
    # Set once by real-name verification: the Cognito identity bound to this person.
    sub = UnicodeAttribute(null=True)
    bound_at = UTCDateTimeAttribute(null=True)
    imported_at = UTCDateTimeAttribute()
    import_key = UnicodeAttribute()

    by_phone = PhoneIndex()
    by_supervisor = SupervisorIndex()


class Binding(Model):
    """A Cognito identity (`sub`) bound to a roster person by verification."""

    class Meta(_MetaDefaults):
        pass

    sub = UnicodeAttribute(hash_key=True)
    person_id = UnicodeAttribute()
    bound_at = UTCDateTimeAttribute()


class HouseholdIndex(GlobalSecondaryIndex["Meter"]):
    class Meta:
        index_name = "by_household"
        projection = AllProjection()

    household_id = UnicodeAttribute(hash_key=True)


class Meter(Model):
    """A registry row of the utility, plus the meter's slot in its county's partitions."""

    class Meta(_MetaDefaults):
        pass

    meter_number = UnicodeAttribute(hash_key=True)
    utility = UnicodeAttribute()
    household_id = UnicodeAttribute()
    area_code = UnicodeAttribute()
    county = UnicodeAttribute()
    customer_type = UnicodeAttribute()
    status = UnicodeAttribute()
    slot = NumberAttribute()
    connected_on = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    upload_key = UnicodeAttribute()

    by_household = HouseholdIndex()


class Publication(Model):
    """One published consumption day of one county, or the county's slot map (day "#slotmap")."""

    class Meta(_MetaDefaults):
        pass

    series = UnicodeAttribute(hash_key=True)
    day = UnicodeAttribute(range_key=True)
    object_key = UnicodeAttribute()
    slots = NumberAttribute()
    record_format = NumberAttribute(default=1)
    checksum = UnicodeAttribute()
    upload_key = UnicodeAttribute()
    version = NumberAttribute(default=0)
    published_at = UTCDateTimeAttribute()


SLOT_MAP_DAY = "#slotmap"


def series_key(utility: str, county: str) -> str:
    return f"{utility}#{county}"


_TABLE_OF_MODEL: dict[type[Model], str] = {
    RosterPerson: "roster",
    Binding: "binding",
    Meter: "meter",
    Publication: "publication",
}


def register(model: type[Model], table_attribute: str) -> None:
    """Add a model to those `configure()` binds; `table_attribute` names a field of `Tables`."""
    _TABLE_OF_MODEL[model] = table_attribute


# Modules that define further models and register them on import.
_MODEL_MODULES = ("census.dal.quota", "census.dal.audit", "census.dal.history")


def configure(tables: Tables) -> None:
    """Bind every model to its table name and to the endpoint and region of the environment."""
    for module in _MODEL_MODULES:
        importlib.import_module(module)
    host = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL") or None
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "cn-north-1"
    for model, attribute in _TABLE_OF_MODEL.items():
        model.Meta.table_name = getattr(tables, attribute)
        model.Meta.host = host
        model.Meta.region = region
        model._connection = None
