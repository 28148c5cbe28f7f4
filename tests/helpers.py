"""Builders shared by the integration tests: events as API Gateway sends them, handlers, rosters."""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from stdnum.cn import ric

ROOT = Path(__file__).resolve().parent.parent


def load_function(name: str) -> ModuleType:
    """Import functions/<name>/app.py afresh, under a unique module name (they are all app.py)."""
    module_name = f"function_{name}_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "functions" / name / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def lambda_context(name: str = "test") -> SimpleNamespace:
    return SimpleNamespace(
        function_name=name,
        memory_limit_in_mb=512,
        invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        aws_request_id=str(uuid.uuid4()),
        get_remaining_time_in_millis=lambda: 10_000,
    )


def claims_for(sub: str, phone: str, *, verified: bool = True, groups: str | None = None) -> dict[str, str]:
    claims = {
        "sub": sub,
        "phone_number": phone,
        "phone_number_verified": "true" if verified else "false",
        "token_use": "id",
    }
    if groups:
        claims["cognito:groups"] = groups
    return claims


def http_event(
    method: str,
    path: str,
    *,
    claims: dict[str, str],
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Return an API Gateway HTTP API (payload 2.0) event with JWT authorizer claims."""
    raw_body = body if isinstance(body, str) or body is None else json.dumps(body, ensure_ascii=False)
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "&".join(f"{key}={value}" for key, value in (query or {}).items()),
        "queryStringParameters": query,
        "pathParameters": path_parameters,
        "headers": {"content-type": "application/json", **(headers or {})},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "authorizer": {"jwt": {"claims": claims, "scopes": None}},
            "domainName": "127.0.0.1",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": f"req-{uuid.uuid4().hex[:12]}",
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": "04/Dec/2026:08:00:00 +0000",
            "timeEpoch": 1796371200000,
        },
        "body": raw_body,
        "isBase64Encoded": False,
    }


def call(module: ModuleType, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = module.lambda_handler(event, lambda_context())
    body = json.loads(response["body"]) if response.get("body") else {}
    return response["statusCode"], body


def make_id_number(region: str = "430102", birth: str = "19900101", sequence: str = "123") -> str:
    first17 = region + birth + sequence
    return first17 + ric.calc_check_digit(first17 + "0")


ROSTER_HEADER = "person_id,name,phone,id_number,role,supervisor_id,area_codes,active_from,active_to\n"


def roster_csv(rows: list[dict[str, str]]) -> bytes:
    lines = [ROSTER_HEADER]
    for row in rows:
        values = [
            row["person_id"],
            row["name"],
            row["phone"],
            row["id_number"],
            row["role"],
            row.get("supervisor_id", ""),
            row["area_codes"],
            row.get("active_from", "2012-01-01"),
            row.get("active_to", "2030-12-31"),
        ]
        lines.append(
            ",".join(f'"{value}"' if ";" in value or "," in value else value for value in values) + "\n"
        )
    return "".join(lines).encode("utf-8")
