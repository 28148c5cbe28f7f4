"""The generated OpenAPI document lists every route of template.yaml with its method."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


class _Loader(yaml.SafeLoader):
    """A YAML loader that reads CloudFormation tags (!Ref, !Sub, ...) as plain values."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _template_routes() -> set[tuple[str, str]]:
    template = yaml.load((ROOT / "template.yaml").read_text(encoding="utf-8"), Loader=_Loader)
    routes = set()
    for resource in template["Resources"].values():
        for event in (resource.get("Properties") or {}).get("Events", {}).values():
            if event.get("Type") == "HttpApi":
                properties = event["Properties"]
                routes.add((properties["Method"].lower(), properties["Path"]))
    return routes


def test_document_lists_every_template_route():
    document = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert _template_routes() <= documented


def test_document_is_current():
    # A subprocess, because the script imports the handlers, which read settings and configure tables.
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "openapi.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
