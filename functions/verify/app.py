"""POST /v1/verify and GET /v1/me: real-name verification and the caller's profile."""


from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from census import config
from census.api.http import create_resolver, current_caller
from census.api.models import Profile, VerifyRequest
from census.dal import models
from census.dal.models import RosterPerson
from census.observability import logger, metrics, tracer
from census.services import identity

settings = config.settings()
models.configure(settings.tables)
app = create_resolver()


def _profile(person: RosterPerson) -> Profile:
    return Profile(
        person_id=person.person_id,
        name=person.name,
        role=person.role,
        areas=list(person.area_codes),
        active_from=person.active_from,
        active_to=person.active_to,
        supervisor_id=person.supervisor_id,
    )


@app.post("/v1/verify")
@tracer.capture_method
def verify(body: Annotated[VerifyRequest, Body()]) -> Profile:
    caller = current_caller(app)
    logger.info("verification requested")

    person = identity.verify_identity(
        caller=caller,
        name=body.name,
        id_number=body.id_number,
        now=datetime.now(UTC),
        hash_key=config.id_hash_key(),
    )

    return _profile(person)


@app.get("/v1/me")
@tracer.capture_method
def me() -> Profile:
    person = identity.resolve_person(current_caller(app))
    return _profile(person)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
