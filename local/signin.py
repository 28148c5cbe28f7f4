"""Print an ID token of a demo person: `python -m local.signin E001` (or `admin`, or a phone number).

The local service must be running: this reads its address and the demo
people from `.local/demo.json` and calls `POST /local/sign-in`.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

DEFAULT_DEMO_FILE = Path(__file__).resolve().parent.parent / ".local" / "demo.json"


def find_phone(summary: dict[str, Any], person: str) -> str:
    """Return the phone number of a demo person id or "admin"; a phone number is returned as it is."""
    if person.lower() == summary["admin"]["person_id"]:
        return summary["admin"]["phone"]
    for entry in summary["people"]:
        if entry["person_id"].lower() == person.lower():
            return entry["phone"]
    if person.lstrip("+").replace(" ", "").isdigit():
        return person
    known = ", ".join([entry["person_id"] for entry in summary["people"]] + [summary["admin"]["person_id"]])
    raise SystemExit(f"unknown demo person {person!r}; expected one of {known} or a phone number")


def sign_in(api_url: str, phone: str, password: str) -> str:
    if not api_url.startswith("http://127.0.0.1:"):
        raise SystemExit(f"the API URL {api_url} is not a local service on 127.0.0.1")
    request = urllib.request.Request(  # noqa: S310 - loopback URL checked above
        f"{api_url}/local/sign-in",
        data=json.dumps({"phone": phone, "password": password}).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback URL checked above
            return json.load(response)["id_token"]
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")
        raise SystemExit(f"sign-in failed with HTTP {exc.code}: {detail}") from None
    except urllib.error.URLError as exc:
        raise SystemExit(
            f"cannot reach the local service at {api_url} ({exc.reason}); start it with `make run`"
        ) from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print an ID token of a demo person of the local service.")
    parser.add_argument("person", help="a demo person id such as E001, 'admin', or a phone number")
    parser.add_argument("--demo-file", type=Path, default=DEFAULT_DEMO_FILE, help="summary the service wrote")
    parser.add_argument("--password", help="the password; default: the demo password")
    arguments = parser.parse_args(argv)
    try:
        summary = json.loads(arguments.demo_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SystemExit(
            f"{arguments.demo_file} not found; start the local service with `make run`"
        ) from None
    phone = find_phone(summary, arguments.person)
    token = sign_in(summary["api_url"], phone, arguments.password or summary["password"])
    sys.stdout.write(token + "\n")


if __name__ == "__main__":
    main()
