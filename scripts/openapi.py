"""Write docs/openapi.json, generated from the functions' routes and pydantic models.

    python scripts/openapi.py            # writes docs/openapi.json
    python scripts/openapi.py --check    # exits 1 if docs/openapi.json is stale
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "openapi.json"
API_FUNCTIONS = ("verify", "query", "history", "admin")

# The handlers read their settings at import; the document needs none of these values.
PLACEHOLDER_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "unused",
    "AWS_SECRET_ACCESS_KEY": "unused",
    "ROSTER_TABLE": "roster",
    "BINDING_TABLE": "binding",
    "METER_TABLE": "meter",
    "PUBLICATION_TABLE": "publication",
    "QUOTA_TABLE": "quota",
    "HISTORY_TABLE": "history",
    "AUDIT_TABLE": "audit",
    "IDEMPOTENCY_TABLE": "idempotency",
    "AUDIT_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/audit",
    "DATA_BUCKET": "data",
    "POWERTOOLS_TRACE_DISABLED": "1",
}


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"function_{name}", ROOT / "functions" / name / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_document() -> dict[str, Any]:
    for name, value in PLACEHOLDER_ENV.items():
        os.environ.setdefault(name, value)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Census occupancy API",
            "version": "1",
            "description": "Occupancy codes of homes from utility meter data, for census enumerators. "
            "Every route needs a Cognito ID token: Authorization: Bearer <token>.",
        },
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": {"cognito": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"cognito": []}],
    }
    for name in API_FUNCTIONS:
        if not (ROOT / "functions" / name / "app.py").exists():
            continue
        schema = json.loads(_load(name).app.get_openapi_json_schema(title="census", version="1"))
        for path, operations in schema.get("paths", {}).items():
            # Two functions may serve one path with different methods
            # (POST /v1/queries and GET /v1/queries): merge, never replace.
            merged = document["paths"].setdefault(path, {})
            clash = sorted(set(merged) & set(operations))
            if clash:
                raise SystemExit(f"{path}: {', '.join(clash)} defined by two functions")
            merged.update(operations)
        document["components"]["schemas"].update(schema.get("components", {}).get("schemas", {}))
    document["paths"] = dict(sorted(document["paths"].items()))
    document["components"]["schemas"] = dict(sorted(document["components"]["schemas"].items()))
    return document


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed document is stale")
    arguments = parser.parse_args()
    text = json.dumps(build_document(), ensure_ascii=False, indent=2) + "\n"
    if arguments.check:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run python scripts/openapi.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
