"""The HTTP side every API function shares: the resolver, the caller, error bodies.

Every error a client sees is built here, from a `CensusError`, so a status
code is chosen in one place and a message never carries data the caller may
not see.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from census.errors import CensusError, InvalidBody, NotFound
from census.messages import message, pick_language
from census.observability import logger


@dataclass(frozen=True)
class Caller:
    """The signed-in identity, from the claims the JWT authorizer checked."""

    sub: str
    phone: str | None
    phone_verified: bool
    groups: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.groups


def _parse_groups(raw: Any) -> frozenset[str]:
    # API Gateway passes list claims of an ID token as a string such as "[admin census]".
    if isinstance(raw, list):
        return frozenset(str(group) for group in raw)
    if isinstance(raw, str) and raw:
        return frozenset(part for part in raw.strip("[]").replace(",", " ").split() if part)
    return frozenset()


def current_caller(app: APIGatewayHttpResolver) -> Caller:
    claims = app.current_event.request_context.authorizer.jwt_claim or {}
    verified = str(claims.get("phone_number_verified", "")).lower() == "true"
    return Caller(
        sub=str(claims.get("sub", "")),
        phone=claims.get("phone_number"),
        phone_verified=verified,
        groups=_parse_groups(claims.get("cognito:groups")),
    )


def language_of(app: APIGatewayHttpResolver) -> str:
    return pick_language(app.current_event.headers.get("accept-language"))


def request_id_of(app: APIGatewayHttpResolver) -> str:
    return app.current_event.request_context.request_id or ""


def error_response(app: APIGatewayHttpResolver, error: CensusError) -> Response:
    body: dict[str, Any] = {
        "code": error.code,
        "message": message(error.code, language_of(app), **error.params),
        "request_id": request_id_of(app),
    }
    details = error.details()
    if details:
        body["details"] = details
    headers = {"Content-Language": language_of(app)}
    return Response(
        status_code=error.status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"error": body}, ensure_ascii=False, default=str),
        headers=headers,
    )


_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,39}")


def describe_problem(kind: str, context: dict[str, Any]) -> str:
    """Return what is wrong with a value, in words a client can act on, for a pydantic error type."""
    if kind.startswith("date_") or kind == "date_type":
        return "expected a date as YYYY-MM-DD"
    if kind.startswith("datetime_"):
        return "expected a date and time in ISO 8601, such as 2026-11-01T08:00:00+08:00"
    described = {
        "missing": "missing",
        "extra_forbidden": "not a field of this request; remove it",
        "json_invalid": "not valid JSON",
        "int_parsing": "expected a whole number",
        "int_type": "expected a whole number",
        "int_from_float": "expected a whole number",
        "finite_number": "expected a finite number",
        "model_attributes_type": "expected a JSON object",
        "model_type": "expected a JSON object",
        "dict_type": "expected a JSON object",
        "value_error": str(context.get("error", "invalid value")).removeprefix("Value error, "),
        "bool_parsing": "expected true or false",
        "bool_type": "expected true or false",
        "string_type": "expected a string in double quotes",
        "literal_error": f"expected one of {context.get('expected', 'the listed values')}",
        "string_pattern_mismatch": f"does not match {context.get('pattern', 'the expected form')}",
        "string_too_long": f"at most {context.get('max_length')} characters",
        "string_too_short": f"at least {context.get('min_length')} characters",
        "less_than_equal": f"at most {context.get('le')}",
        "greater_than_equal": f"at least {context.get('ge')}",
    }
    return described.get(kind, kind)


def create_resolver(
    on_invalid_body: Callable[[APIGatewayHttpResolver], None] | None = None,
) -> APIGatewayHttpResolver:
    """Return a resolver that validates bodies with pydantic and maps every error to its JSON body.

    `on_invalid_body` runs for each request rejected for its body, before any
    route code, so that a route can still audit it. When it raises a
    `CensusError` (a caller who may not use the route at all), that error is
    the response instead.
    """
    app = APIGatewayHttpResolver(enable_validation=True)

    def _reject_body(field: str, problem: str) -> Response:
        # An unknown field's name is whatever the client sent, possibly personal data.
        logged = field if _FIELD_NAME.fullmatch(field) else "(unexpected field)"
        logger.warning("request body invalid", field=logged, problem=problem)
        if on_invalid_body is not None:
            try:
                on_invalid_body(app)
            except CensusError as error:
                logger.warning("request rejected", error_code=error.code, status=error.status)
                return error_response(app, error)
        return error_response(app, InvalidBody(field=field, problem=problem))

    @app.exception_handler(CensusError)
    def _census_error(error: CensusError) -> Response:
        log = logger.warning if error.status < 500 else logger.error
        log("request rejected", error_code=error.code, status=error.status)
        return error_response(app, error)

    @app.exception_handler(RequestValidationError)
    def _invalid_body(error: RequestValidationError) -> Response:
        problems = error.errors()
        first = problems[0] if problems else {}
        kind = str(first.get("type", "invalid"))
        # For JSON that does not parse, pydantic's location is a character offset, not a field.
        location = [str(part) for part in first.get("loc", ()) if part != "body"]
        field = "body" if kind == "json_invalid" else ".".join(location) or "body"
        return _reject_body(field, describe_problem(kind, first.get("ctx") or {}))

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported_content_type(_: RequestUnsupportedContentType) -> Response:
        return _reject_body("Content-Type", "must be application/json")

    @app.exception_handler(UnicodeDecodeError)
    def _not_utf8(_: UnicodeDecodeError) -> Response:
        return _reject_body("body", "not UTF-8")

    @app.exception_handler(RecursionError)
    def _nested_too_deep(_: RecursionError) -> Response:
        return _reject_body("body", "nested too deeply")

    @app.not_found
    def _not_found(_: NotFoundError) -> Response:
        return error_response(app, NotFound())

    @app.exception_handler(Exception)
    def _unexpected(_: Exception) -> Response:
        # A bug or an outage: the client gets the stable INTERNAL_ERROR body with
        # the request id, and the log line carries the traceback.
        logger.exception("request failed unexpectedly")
        return error_response(app, CensusError())

    return app
