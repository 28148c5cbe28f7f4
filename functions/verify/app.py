"""POST /v1/verify and GET /v1/me: real-name verification and the caller's profile."""

from datetime import datetime
from typing import Annotated, Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from census import clock, config
from census.api.http import Caller, create_resolver, current_caller, request_id_of
from census.api.models import MeResponse, Profile, Quota, ServiceWindow, VerifyRequest
from census.dal import models, quota
from census.dal.models import RosterPerson
from census.domain.audit import VERIFY, AuditEvent
from census.domain.beijing import beijing_date, next_beijing_midnight
from census.errors import CensusError, InvalidBody, VerificationLocked, VerificationMismatch
from census.observability import logger, metrics, tracer
from census.services import identity
from census.services.audit import AuditQueue
from census.services.query import require_service_window

settings = config.settings()
models.configure(settings.tables)
audit_queue = AuditQueue(boto3.client("sqs"), settings.audit_queue_url)


def _audit_invalid_body(resolver: APIGatewayHttpResolver) -> None:
    # Only POST /v1/verify has a body: a malformed one is a verification attempt too.
    _audit(f"sub:{current_caller(resolver).sub}", InvalidBody.code, clock.now())


app = create_resolver(on_invalid_body=_audit_invalid_body)

VERIFIED = "VERIFIED"


def _profile(person: RosterPerson) -> dict[str, Any]:
    return {
        "person_id": person.person_id,
        "name": person.name,
        "role": person.role,
        "areas": list(person.area_codes),
        "active_from": person.active_from,
        "active_to": person.active_to,
        "supervisor_id": person.supervisor_id,
    }


def _verify(caller: Caller, body: VerifyRequest, now: datetime) -> RosterPerson:
    """Run one verification attempt under the day's failure limit.

    The attempt takes a unit before it runs and gives it back unless the
    details did not match, so concurrent guesses cannot pass the limit.
    """
    require_service_window(now, settings.service_start, settings.service_end)
    day = beijing_date(now)
    try:
        quota.take_verification_attempt(caller.sub, day, settings.limits)
    except quota.LimitReached as reached:
        raise VerificationLocked(unlocks_at=next_beijing_midnight(now).isoformat()) from reached
    mismatched = False
    try:
        return identity.verify_identity(
            caller=caller, name=body.name, id_number=body.id_number, now=now, hash_key=config.id_hash_key()
        )
    except VerificationMismatch as mismatch:
        mismatched = True
        left = settings.limits.verification_failures - quota.verification_failures_on(caller.sub, day)
        metrics.add_metric(name="VerificationFailed", unit="Count", value=1)
        raise VerificationMismatch(attempts_left=max(left, 0)) from mismatch
    finally:
        if not mismatched:
            quota.return_verification_attempt(caller.sub, day)


@app.post("/v1/verify")
@tracer.capture_method
def verify(body: Annotated[VerifyRequest, Body()]) -> Profile:
    caller = current_caller(app)
    now = clock.now()
    logger.info("verification requested")
    try:
        person = _verify(caller, body, now)
    except CensusError as error:
        _audit(f"sub:{caller.sub}", error.code, now)
        raise
    _audit(person.person_id, VERIFIED, now)
    return Profile(**_profile(person))


@app.get("/v1/me")
@tracer.capture_method
def me() -> MeResponse:
    person = identity.resolve_person(current_caller(app))
    used = quota.person_homes_used(person.person_id)
    limit = settings.limits.person_homes
    return MeResponse(
        **_profile(person),
        quota=Quota(limit=limit, used=used, left=max(limit - used, 0)),
        service_window=ServiceWindow(start=settings.service_start, end=settings.service_end),
    )


def _audit(actor: str, outcome: str, now: datetime) -> None:
    event = AuditEvent.create(
        now=now, action=VERIFY, actor=actor, outcome=outcome, request_id=request_id_of(app)
    )
    audit_queue.send(event)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
