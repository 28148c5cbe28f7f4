"""Command-line tool of the census office's admins.

Runs against the tables and bucket named in the environment (the same
variables as the functions; `make run` prints them for the local service).

    python -m census.cli roster-import roster.csv
    python -m census.cli roster-status E001
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from census import config
from census.dal import models, people
from census.services.roster_import import import_roster


def _roster_import(arguments: argparse.Namespace) -> int:
    path = Path(arguments.path)
    report = import_roster(
        path.read_bytes(), source=path.name, hash_key=config.id_hash_key(), now=datetime.now(UTC)
    )
    print(report.to_json())
    return 0 if not report.rejected else 3


def _roster_status(arguments: argparse.Namespace) -> int:
    person = people.get_person(arguments.person_id)
    if person is None:
        print(f"person {arguments.person_id} is not on the roster", file=sys.stderr)
        return 1
    bound = "verified" if person.sub else "not verified"
    print(
        f"{person.person_id} role={person.role} areas={','.join(person.area_codes)} "
        f"active={person.active_from}..{person.active_to} {bound}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="census", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    roster = commands.add_parser(
        "roster-import", help="import a roster CSV (UTF-8 or GBK); exit 3 if rows were rejected"
    )
    roster.add_argument("path", help="the CSV file exported from the enumerator management system")
    roster.set_defaults(run=_roster_import)
    status = commands.add_parser("roster-status", help="show one roster person and whether they are verified")
    status.add_argument("person_id")
    status.set_defaults(run=_roster_status)

    arguments = parser.parse_args(argv)
    models.configure(config.settings().tables)
    return int(arguments.run(arguments))


if __name__ == "__main__":
    sys.exit(main())
