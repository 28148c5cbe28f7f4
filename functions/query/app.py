"""POST /v1/queries: the occupancy code of the home behind a meter."""

from typing import Annotated, Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from census import clock, config
from census.api.http import create_resolver, current_caller, request_id_of
from census.api.models import MeterCode, QueryRequest, QueryResponse, Quota
from census.dal import models, quota
from census.dal.models import RosterPerson
from census.domain.audit import QUERY, AuditEvent, audit_meter_number
from census.domain.beijing import beijing_date
from census.domain.meters import normalize_meter_number
from census.domain.occupancy import load_config
from census.errors import CensusError, IdempotencyKeyReused, InvalidBody, QuotaExhausted, RequestInProgress
from census.observability import logger, metrics, tracer
from census.services import history, identity, query
from census.services.audit import AuditQueue

settings = config.settings()
models.configure(settings.tables)
occupancy_config = load_config()
# One ranged GET per day of the window runs in parallel; the pool must hold them.
s3 = boto3.client("s3", config=Config(max_pool_connections=32, retries={"mode": "standard"}))
audit_queue = AuditQueue(boto3.client("sqs"), settings.audit_queue_url)
idempotency = IdempotencyConfig(
    event_key_jmespath="[person_id, idempotency_key]",
    payload_validation_jmespath="meter_number",
    expires_after_seconds=settings.idempotency_ttl_seconds,
    raise_on_no_idempotency_key=True,
)
persistence = DynamoDBPersistenceLayer(table_name=settings.tables.idempotency)
history_expires_at = history.history_expiry(settings.service_end, settings.history_retention_days)


def _audit_invalid_body(resolver: APIGatewayHttpResolver) -> None:
    caller = current_caller(resolver)
    # Filed under the person when known, so that an audit search by person id finds it.
    try:
        actor = identity.resolve_person(caller).person_id
    except CensusError:
        actor = f"sub:{caller.sub}"
    _audit(actor, "", InvalidBody.code, request_id_of(resolver))


app = create_resolver(on_invalid_body=_audit_invalid_body)

MAX_IDEMPOTENCY_KEY = 128


def _answer(*, person: RosterPerson, meter_number: str, query_id: str) -> dict[str, Any]:
    """Compute the code, take the quota units and return the response body."""
    now = clock.now()
    query.require_service_window(now, settings.service_start, settings.service_end)
    identity.require_active(person, beijing_date(now))

    meter = query.find_queryable_meter(person, meter_number)
    logger.append_keys(meter_number=meter.meter_number)
    outcome = query.query_home(
        meter, s3=s3, bucket=settings.bucket, window_days=settings.window_days, config=occupancy_config
    )
    first = query.charge(meter, person=person, result=outcome.result, now=now, limits=settings.limits)
    history.record_query(person_id=person.person_id, outcome=outcome, now=now, expires_at=history_expires_at)

    used = quota.person_homes_used(person.person_id)
    limit = settings.limits.person_homes
    response = QueryResponse(
        query_id=query_id,
        meter_number=meter.meter_number,
        utility=meter.utility,
        area_code=meter.area_code,
        code=outcome.result.code,
        reason=outcome.result.reason,
        as_of=outcome.result.as_of,
        tags=list(outcome.result.tags),
        meters=[
            MeterCode(
                meter_number=item.meter_number,
                utility=item.utility,
                code=item.result.code,
                reason=item.result.reason,
                as_of=item.result.as_of,
                tags=list(item.result.tags),
            )
            for item in outcome.meters
        ]
        if len(outcome.meters) > 1
        else [],
        first_query=first,
        quota=Quota(limit=limit, used=used, left=max(limit - used, 0)),
    )
    return response.model_dump(mode="json")


@idempotent_function(data_keyword_argument="request", config=idempotency, persistence_store=persistence)
def _answer_once(*, request: dict[str, str], person: RosterPerson) -> dict[str, Any]:
    return _answer(person=person, meter_number=request["meter_number"], query_id=request["query_id"])


def _check_idempotency_key(key: str) -> str:
    # A blank key would make every keyed request of a person one request.
    if not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable() or not key.isascii():
        raise InvalidBody(
            field="Idempotency-Key",
            problem=f"1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters, not blank",
        )
    return key


@app.post("/v1/queries")
@tracer.capture_method
def post_query(
    body: Annotated[QueryRequest, Body()],
    idempotency_key: Annotated[str | None, Header(alias="idempotency-key")] = None,
) -> dict[str, Any]:
    caller = current_caller(app)
    request_id = request_id_of(app)
    actor = f"sub:{caller.sub}"
    try:
        person = identity.resolve_person(caller)
        actor = person.person_id
        if idempotency_key is None:
            answer = _answer(person=person, meter_number=body.meter_number, query_id=request_id)
        else:
            request = {
                "person_id": person.person_id,
                "idempotency_key": _check_idempotency_key(idempotency_key),
                # A retry typed with spaces or full-width digits is the same request.
                "meter_number": normalize_meter_number(body.meter_number),
                "query_id": request_id,
            }
            answer = _answer_once(request=request, person=person)
    except IdempotencyValidationError as error:
        _audit(actor, body.meter_number, IdempotencyKeyReused.code, request_id)
        raise IdempotencyKeyReused() from error
    except IdempotencyAlreadyInProgressError as error:
        _audit(actor, body.meter_number, RequestInProgress.code, request_id)
        raise RequestInProgress() from error
    except CensusError as error:
        _audit(actor, body.meter_number, error.code, request_id)
        if isinstance(error, QuotaExhausted):
            metrics.add_metric(name=f"QuotaRejected_{error.params['limit_name']}", unit="Count", value=1)
        raise

    replay = answer["query_id"] != request_id
    _audit(actor, answer["meter_number"], answer["code"], request_id, replay=replay)
    logger.info("meter queried", code=answer["code"], reason=answer["reason"], replay=replay)
    metrics.add_metric(name=f"Query_{answer['code']}", unit="Count", value=1)
    return answer


def _audit(actor: str, meter_number: str, outcome: str, request_id: str, *, replay: bool = False) -> None:
    event = AuditEvent.create(
        now=clock.now(),
        action=QUERY,
        actor=actor,
        outcome=outcome,
        request_id=request_id,
        meter_number=audit_meter_number(meter_number),
        replay=replay,
    )
    audit_queue.send(event)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    return app.resolve(event, context)
