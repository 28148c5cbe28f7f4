"""The HTTP API on 127.0.0.1, doing what API Gateway does in front of the functions.

Routes come from the HttpApi events of template.yaml. Every route of the
template requires a token that the JWT authorizer accepts. The request then
becomes an HTTP API payload 2.0 event, and the function's handler is called in
this process. The responses for an unknown route (404), a rejected token (401)
and a failed function (500) have API Gateway's bodies.

Three routes under /local exist only here: `POST /local/sign-in` returns an ID
token for a demo phone number and password, `GET /local/demo` returns the demo
summary, and `POST /local/upload-next-day` uploads a county's next held-back
day of demo data as the utility would.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from local.authorizer import JwtAuthorizer, Unauthorized, claims_as_strings
from local.functions import HttpRoute, LocalFunction
from local.resources import ACCOUNT_ID

logger = logging.getLogger("local.gateway")

LOCAL_API_ID = "localapi"

_TEXT_TYPES = (
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
)


class SignInFailed(Exception):
    """The phone number and password do not sign in. The message is safe to return."""


SignIn = Callable[[str, str], str]
UploadNextDay = Callable[[str], str]


def rule_path(template_path: str) -> str:
    """Turn an API Gateway path (`/v1/queries/{meter}`, `/files/{proxy+}`) into a werkzeug rule."""
    parts = []
    for part in template_path.split("/"):
        if part.startswith("{") and part.endswith("+}"):
            parts.append(f"<path:{part[1:-2]}>")
        elif part.startswith("{") and part.endswith("}"):
            parts.append(f"<{part[1:-1]}>")
        else:
            parts.append(part)
    return "/".join(parts)


def new_request_id() -> str:
    """Return an id shaped like API Gateway's, such as "JZlXfjBvIAMEc3Q=" (16 characters)."""
    return base64.b64encode(os.urandom(11)).decode("ascii")[:15] + "="


def _is_text(mimetype: str) -> bool:
    return (
        not mimetype
        or mimetype.startswith("text/")
        or mimetype in _TEXT_TYPES
        or mimetype.endswith(("+json", "+xml"))
    )


def _joined_headers(request: Request) -> tuple[dict[str, str], list[str]]:
    # API Gateway lower-cases header names, joins repeated headers with commas and
    # moves cookies out of the headers into a list of their own.
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers.items():
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    headers.setdefault("x-forwarded-for", request.remote_addr or "127.0.0.1")
    headers.setdefault("x-forwarded-proto", request.scheme)
    headers.setdefault("x-forwarded-port", str(request.environ.get("SERVER_PORT", "")))
    return headers, cookies


def build_http_event(
    request: Request,
    *,
    route: HttpRoute,
    path_parameters: dict[str, str],
    claims: dict[str, Any],
    request_id: str,
    region: str,
    api_id: str = LOCAL_API_ID,
) -> dict[str, Any]:
    """Return the HTTP API payload 2.0 event that API Gateway sends for `request`."""
    now = datetime.now(UTC)
    headers, cookies = _joined_headers(request)
    route_key = f"{route.method} {route.path}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.query_string.decode("latin-1"),
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": api_id,
            "authorizer": {"jwt": {"claims": claims_as_strings(claims), "scopes": None}},
            "domainName": request.host,
            "domainPrefix": request.host.split(".")[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.headers.get("User-Agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if request.args:
        event["queryStringParameters"] = {key: ",".join(request.args.getlist(key)) for key in request.args}
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    body = request.get_data(cache=True)
    if body:
        if _is_text(request.mimetype):
            try:
                event["body"] = body.decode("utf-8")
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(body).decode("ascii")
                event["isBase64Encoded"] = True
        else:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def response_from_result(result: Any) -> Response:
    """Turn a function's return value into the HTTP response, as API Gateway does for payload 2.0.

    A dict with `statusCode` gives status, headers, cookies and body; any other
    value is sent as a 200 JSON body.
    """
    if isinstance(result, dict) and "statusCode" in result:
        raw_body = result.get("body") or ""
        if result.get("isBase64Encoded"):
            data = base64.b64decode(raw_body)
        else:
            data = raw_body.encode("utf-8") if isinstance(raw_body, str) else json.dumps(raw_body).encode()
        response = Response(data, status=int(result["statusCode"]), content_type="application/json")
        for name, value in (result.get("headers") or {}).items():
            response.headers[name] = str(value)
        for cookie in result.get("cookies") or []:
            response.headers.add("Set-Cookie", cookie)
        return response
    body = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
    return Response(body, status=200, content_type="application/json")


def gateway_error(status: int, message: str) -> Response:
    """Return one of API Gateway's own error responses, such as 401 {"message":"Unauthorized"}."""
    return Response(json.dumps({"message": message}), status=status, content_type="application/json")


class HttpApiGateway:
    """A WSGI app that routes, authorizes and invokes like the template's HTTP API."""

    def __init__(
        self,
        *,
        routes: list[HttpRoute],
        functions: dict[str, LocalFunction],
        authorizer: JwtAuthorizer,
        region: str,
        sign_in: SignIn,
        demo: Callable[[], dict[str, Any]],
        upload_next_day: UploadNextDay | None = None,
        after_request: Callable[[], None] | None = None,
    ) -> None:
        self._routes = routes
        self._functions = functions
        self._authorizer = authorizer
        self._region = region
        self._sign_in = sign_in
        self._demo = demo
        self._upload_next_day = upload_next_day
        self._after_request = after_request
        self._url_map = Map(
            [
                Rule(rule_path(route.path), endpoint=index, methods=[route.method])
                for index, route in enumerate(routes)
            ],
            merge_slashes=False,
            redirect_defaults=False,
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        started = time.perf_counter()
        response = self._dispatch(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.info(
            "request %s %s status=%d ms=%.1f", request.method, request.path, response.status_code, elapsed_ms
        )
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        if request.path == "/local/sign-in" and request.method == "POST":
            return self._handle_sign_in(request)
        if request.path == "/local/demo" and request.method == "GET":
            return Response(json.dumps(self._demo(), ensure_ascii=False), content_type="application/json")
        if request.path == "/local/upload-next-day" and request.method == "POST":
            return self._handle_upload_next_day(request)

        adapter = self._url_map.bind_to_environ(request.environ)
        try:
            index, path_parameters = adapter.match()
        except HTTPException:
            # API Gateway returns 404 both for an unknown path and for a known
            # path with a method that has no route.
            return gateway_error(404, "Not Found")
        route = self._routes[index]

        request_id = new_request_id()
        try:
            claims = self._authorizer.authorize(request.headers.get("Authorization"))
        except Unauthorized as exc:
            logger.info("token rejected method=%s route=%s reason=%s", route.method, route.path, exc)
            response = gateway_error(401, "Unauthorized")
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            response.headers["apigw-requestid"] = request_id
            return response

        event = build_http_event(
            request,
            route=route,
            path_parameters=path_parameters,
            claims=claims,
            request_id=request_id,
            region=self._region,
        )
        try:
            result = self._functions[route.function].invoke(event)
        except Exception:
            # Lambda reports an unhandled error and API Gateway turns it into a 500.
            logger.exception("function failed function=%s request_id=%s", route.function, request_id)
            response = gateway_error(500, "Internal Server Error")
        else:
            response = response_from_result(result)
        response.headers["apigw-requestid"] = request_id
        if self._after_request is not None:
            response.call_on_close(self._after_request)
        return response

    def _handle_upload_next_day(self, request: Request) -> Response:
        try:
            county = json.loads(request.get_data(as_text=True) or "{}")["county"]
        except (ValueError, KeyError, TypeError):
            return gateway_error(400, 'the body must be JSON: {"county": "430102"}')
        if self._upload_next_day is None or not isinstance(county, str):
            return gateway_error(400, "county must be a 6-digit county code of the demo data")
        try:
            day = self._upload_next_day(county)
        except LookupError as exc:
            return gateway_error(404, str(exc))
        return Response(json.dumps({"county": county, "day": day}), content_type="application/json")

    def _handle_sign_in(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
            phone = body["phone"]
            password = body["password"]
        except (ValueError, KeyError, TypeError):
            return gateway_error(400, 'the body must be JSON: {"phone": "+86...", "password": "..."}')
        if not isinstance(phone, str) or not isinstance(password, str):
            return gateway_error(400, "phone and password must be strings")
        try:
            token = self._sign_in(phone, password)
        except SignInFailed as exc:
            return gateway_error(401, str(exc))
        body = {"id_token": token, "token_type": "Bearer"}
        return Response(json.dumps(body), content_type="application/json")
