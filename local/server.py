"""Run the whole service on 127.0.0.1 with no AWS account: `python -m local.server`.

The start-up, in order:
1. moto's server in a thread, every AWS call serialised by one lock, and this
   process's AWS variables pointed at it (dummy credentials, us-east-1);
2. the resources of template.yaml, through `create_resources`;
3. the demo data uploaded as the utility uploads it, each manifest passed to
   the ingest function as an S3 event, then the demo roster the same way;
4. a Cognito user for every demo person and an admin;
5. the HTTP API with the JWT authorizer, which calls the handlers in this process.

It then prints the API address, how to sign in as each demo person and which
meters to query, writes the same to `.local/demo.json`, and serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from census import config
from census.dal import models
from census.dal.models import RosterPerson
from census.observability import metrics
from local import demo
from local.audit import AuditDrain
from local.authorizer import JwtAuthorizer, cognito_issuer, fetch_jwks
from local.demo_data import demo_registry
from local.functions import ROOT, LocalFunction, TemplateFunctions, read_template_functions
from local.gateway import HttpApiGateway
from local.moto_server import LOOPBACK, REGION, MotoServer, aws_environment
from local.resources import LocalResources, create_resources
from local.s3_events import S3EventRouter

logger = logging.getLogger("local.server")

DEFAULT_PORT = 3000
DEFAULT_MOTO_PORT = 5000
DEFAULT_DATA_DIR = ROOT / "data"
DEFAULT_DEMO_FILE = ROOT / ".local" / "demo.json"
STACK = "census-local"

# The key of the ID number hash when no SSM parameter exists: local runs only.
LOCAL_ID_HASH_KEY = "local-demo-id-hash-key-never-use-in-aws-0123456789"

_FUNCTION_ENVIRONMENT = {
    "ID_HASH_KEY": LOCAL_ID_HASH_KEY,
    # No X-Ray daemon runs locally.
    "POWERTOOLS_TRACE_DISABLED": "1",
}


class _QuietRequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip werkzeug's access line: the gateway logs each request itself."""


class UploadPoller:
    """Delivers S3 events of objects that others write to the bucket, as S3 would, every second.

    The service's own writes deliver their events at once; this thread covers a
    utility or an admin uploading with their own client while the service runs.
    """

    def __init__(self, router: S3EventRouter, interval_seconds: float = 1.0) -> None:
        self._router = router
        self._interval = interval_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="s3-events", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                self._router.deliver()
            except Exception:
                # The notification stays queued and is delivered again after its visibility timeout.
                logger.exception("delivering an S3 event failed")


@dataclass
class LocalService:
    """The running local service: its addresses, resources and demo summary."""

    api_url: str
    moto_url: str
    resources: LocalResources
    demo: dict[str, Any]
    people: dict[str, demo.DemoPerson]
    environment: dict[str, str]
    timings: dict[str, float]
    _moto: MotoServer
    _api_server: BaseWSGIServer
    _api_thread: threading.Thread
    _sign_in: demo.CognitoSignIn
    _audit: AuditDrain | None
    _feed: demo.DemoFeed
    _router: S3EventRouter
    _upload_poller: UploadPoller | None = None
    _previous_environment: dict[str, str | None] = field(default_factory=dict)

    def sign_in(self, person_id: str) -> str:
        """Return an ID token of the demo person (or of "admin")."""
        phone = demo.ADMIN_PHONE if person_id == demo.ADMIN_ID else self.people[person_id].phone
        return self._sign_in(phone, demo.DEMO_PASSWORD)

    def upload_next_day(self, county: str) -> str:
        """Upload the county's next held-back day of demo data, run every function it starts, return the day.

        The ingest runs for the upload, and the refresh for the day it publishes.
        Raises LookupError when no held-back day of the county is left.
        """
        return self._feed.upload_next_day(county)

    def deliver_s3_events(self) -> int:
        """Run the function of every queued S3 notification now; return how many ran."""
        return len(self._router.deliver())

    def drain_audit(self) -> int:
        """Deliver the queued audit messages now; return how many the writer accepted."""
        return self._audit.drain() if self._audit is not None else 0

    def activate(self) -> None:
        """Set this service's environment again and rebind the census settings and models to it.

        Needed only when other code in the same process changed them, such as a
        test fixture with tables of its own. Rebinding drops the models'
        connections, so it happens only when something differs.
        """
        changed = {name: value for name, value in self.environment.items() if os.environ.get(name) != value}
        os.environ.update(changed)
        bound = (RosterPerson.Meta.table_name, RosterPerson.Meta.host)
        if changed or bound != (self.resources.tables["RosterTable"], self.moto_url):
            _configure_census()

    def stop(self) -> None:
        """Stop both servers and restore the environment variables the start-up changed."""
        if self._upload_poller is not None:
            self._upload_poller.stop()
        self._api_server.shutdown()
        self._api_server.server_close()
        self._api_thread.join(timeout=5)
        # A request still finishing drains the audit queue from its own
        # thread; it must be done before moto goes away.
        if self._audit is not None:
            self._audit.close()
        self._moto.stop()
        _restore_environment(self._previous_environment)


def _configure_census() -> None:
    config.settings.cache_clear()
    config._id_hash_key.cache_clear()
    models.configure(config.settings().tables)


def _set_environment(variables: dict[str, str], previous: dict[str, str | None]) -> None:
    for name, value in variables.items():
        previous.setdefault(name, os.environ.get(name))
        os.environ[name] = value


def _restore_environment(previous: dict[str, str | None]) -> None:
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


class _WarningsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


@contextmanager
def _function_output_reduced(service_name: str) -> Iterator[None]:
    """Keep only warnings and errors of the functions, and no metrics, for the duration.

    The demo load makes hundreds of ingest invocations, each with its info lines
    and a metrics document on stdout. powertools keeps the metrics of an
    invocation when metrics are disabled, so they are cleared at the end.
    """
    # A filter, not a level: powertools sets the logger's level again at every invocation.
    function_logger = logging.getLogger(service_name)
    warnings_only = _WarningsOnly()
    metrics_disabled = os.environ.get("POWERTOOLS_METRICS_DISABLED")
    function_logger.addFilter(warnings_only)
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    try:
        yield
    finally:
        metrics.clear_metrics()
        function_logger.removeFilter(warnings_only)
        if metrics_disabled is None:
            os.environ.pop("POWERTOOLS_METRICS_DISABLED", None)
        else:
            os.environ["POWERTOOLS_METRICS_DISABLED"] = metrics_disabled


@dataclass
class _Aws:
    """moto's server, a session on it, the template's resources and the functions' environment."""

    moto: MotoServer
    session: Any
    resources: LocalResources
    environment: dict[str, str]


def _start_aws(moto_port: int, previous: dict[str, str | None]) -> _Aws:
    moto = MotoServer(moto_port)
    moto.start()
    _set_environment(aws_environment(moto.url), previous)
    session = boto3.session.Session(region_name=REGION)
    resources = create_resources(session, stack=STACK)
    environment = {**aws_environment(moto.url), **resources.env, **_FUNCTION_ENVIRONMENT}
    _set_environment(environment, previous)
    _configure_census()
    return _Aws(moto, session, resources, environment)


def _load_demo(aws: _Aws, router: S3EventRouter, feed: demo.DemoFeed) -> dict[str, float]:
    """Upload and ingest the demo data and roster, and create the Cognito users; return timings."""
    timings: dict[str, float] = {}
    step = time.perf_counter()
    with _function_output_reduced(aws.environment.get("POWERTOOLS_SERVICE_NAME", "service_undefined")):
        timings["ingested_uploads"] = feed.upload_initial()
        timings["ingest_demo_data"] = time.perf_counter() - step
        step = time.perf_counter()
        router.put(demo.ROSTER_KEY, demo.ROSTER_FILE.read_bytes())
    demo.create_demo_users(
        aws.session.client("cognito-idp"), aws.resources.user_pool_id, demo.read_demo_roster()
    )
    timings["roster_and_users"] = time.perf_counter() - step
    return timings


def _audit_drain(
    aws: _Aws, template_functions: TemplateFunctions, functions: dict[str, LocalFunction]
) -> AuditDrain | None:
    for trigger in template_functions.sqs_triggers:
        if trigger.queue_logical_id == "AuditQueue":
            return AuditDrain(
                sqs=aws.session.client("sqs"),
                queue_url=aws.resources.audit_queue_url,
                function=functions[trigger.function],
                region=REGION,
                batch_size=trigger.batch_size,
            )
    return None


def start_local_service(
    *,
    port: int = 0,
    moto_port: int = 0,
    data_dir: Path = DEFAULT_DATA_DIR,
    demo_file: Path | None = None,
    held_back_days: int = demo.HELD_BACK_DAYS,
    quiet: bool = True,
) -> LocalService:
    """Start moto, create and fill the resources, and serve the HTTP API on 127.0.0.1.

    Port 0 picks a free port. The last `held_back_days` days of each county
    are not uploaded, and `LocalService.upload_next_day` uploads them one by one.
    Nothing is printed. The environment variables of this process point at the
    local moto server until `stop()`. When the start-up fails, the servers are
    stopped and the environment restored.
    """
    started = time.perf_counter()
    previous: dict[str, str | None] = {}
    moto: MotoServer | None = None
    api_server: BaseWSGIServer | None = None
    try:
        aws = _start_aws(moto_port, previous)
        moto = aws.moto
        timings = {"resources": time.perf_counter() - started}
        template_functions = read_template_functions()
        functions = {
            logical_id: LocalFunction(spec, stack=STACK, region=REGION)
            for logical_id, spec in template_functions.functions.items()
        }
        router = S3EventRouter(
            s3=aws.session.client("s3"),
            sqs=aws.session.client("sqs"),
            bucket=aws.resources.bucket,
            region=REGION,
            queue_name=f"{STACK}-s3-events",
            triggers=template_functions.s3_triggers,
            functions=functions,
        )
        feed = demo.DemoFeed(router, data_dir, held_back_days=held_back_days)
        timings.update(_load_demo(aws, router, feed))

        cognito = aws.session.client("cognito-idp")
        user_pool_id = aws.resources.user_pool_id
        sign_in = demo.CognitoSignIn(cognito, user_pool_id=user_pool_id, client_id=aws.resources.client_id)
        authorizer = JwtAuthorizer(
            jwks=fetch_jwks(f"{aws.moto.url}/{user_pool_id}/.well-known/jwks.json"),
            issuer=cognito_issuer(REGION, user_pool_id),
            audience=aws.resources.client_id,
        )
        audit = _audit_drain(aws, template_functions, functions)
        summary: dict[str, Any] = {}
        gateway = HttpApiGateway(
            routes=template_functions.routes,
            functions=functions,
            authorizer=authorizer,
            region=REGION,
            sign_in=sign_in,
            demo=lambda: summary,
            upload_next_day=feed.upload_next_day,
            after_request=audit.drain if audit is not None else None,
        )
        api_server = make_server(LOOPBACK, port, gateway, threaded=True, request_handler=_QuietRequestHandler)
        api_thread = threading.Thread(target=api_server.serve_forever, name="http-api", daemon=True)
        api_thread.start()
        api_url = f"http://{LOOPBACK}:{api_server.server_address[1]}"

        step = time.perf_counter()
        people = demo.read_demo_roster()
        window_days = int(aws.environment.get("WINDOW_DAYS", "56"))
        summary.update(
            _demo_summary(
                api_url=api_url,
                aws=aws,
                people=people,
                data_dir=data_dir,
                window_days=window_days,
                held_back=feed.held_back(),
            )
        )
        timings["sample_meters"] = time.perf_counter() - step
    except BaseException:
        if api_server is not None:
            api_server.shutdown()
            api_server.server_close()
        if moto is not None:
            moto.stop()
        _restore_environment(previous)
        raise

    upload_poller = UploadPoller(router)
    upload_poller.start()
    timings["total"] = time.perf_counter() - started
    summary["startup_seconds"] = {name: round(value, 2) for name, value in timings.items()}
    if demo_file is not None:
        demo_file.parent.mkdir(parents=True, exist_ok=True)
        demo_file.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if not quiet:
        logger.info("local service started seconds=%.1f", timings["total"])
    return LocalService(
        api_url=api_url,
        moto_url=aws.moto.url,
        resources=aws.resources,
        demo=summary,
        people={person.person_id: person for person in people},
        environment=aws.environment,
        timings=timings,
        _moto=aws.moto,
        _api_server=api_server,
        _api_thread=api_thread,
        _sign_in=sign_in,
        _audit=audit,
        _feed=feed,
        _router=router,
        _upload_poller=upload_poller,
        _previous_environment=previous,
    )


def _demo_summary(
    *,
    api_url: str,
    aws: _Aws,
    people: list[demo.DemoPerson],
    data_dir: Path,
    window_days: int,
    held_back: dict[str, int],
) -> dict[str, Any]:
    registry = list(demo_registry(data_dir))
    resources = aws.resources
    s3 = aws.session.client("s3")
    samples = demo.find_sample_meters(
        registry, people, s3=s3, bucket=resources.bucket, window_days=window_days
    )
    outside = demo.meters_outside_areas(registry, people)
    return {
        "api_url": api_url,
        "moto_url": aws.moto.url,
        "region": resources.region,
        "user_pool_id": resources.user_pool_id,
        "client_id": resources.client_id,
        "bucket": resources.bucket,
        "password": demo.DEMO_PASSWORD,
        "people": [
            demo.person_summary(person, samples=samples, outside=outside.get(person.person_id))
            for person in people
        ],
        "admin": {
            "person_id": demo.ADMIN_ID,
            "phone": demo.ADMIN_PHONE,
            "password": demo.DEMO_PASSWORD,
            "groups": [demo.ADMIN_GROUP],
        },
        "sample_meters": {code: [asdict(sample) for sample in found] for code, found in samples.items()},
        "malformed_meter_numbers": demo.malformed_meter_numbers(),
        "held_back_days": held_back,
    }


def _people_lines(summary: dict[str, Any]) -> list[str]:
    lines = [f"Demo people (password for all: {summary['password']})"]
    for person in summary["people"]:
        lines.append(
            f"  {person['person_id']:<5} {person['role']:<11} {person['phone']}  {person['name']}"
            f"  areas {', '.join(person['areas'])}"
        )
        lines.append(f"        verify body: {json.dumps(person['verify_body'], ensure_ascii=False)}")
    admin = summary["admin"]
    lines.append(f"  {admin['person_id']:<5} {'admin group':<11} {admin['phone']}")
    return lines


def _meter_lines(summary: dict[str, Any]) -> list[str]:
    lines = ["Sample meters (code, meter number, county, utility, who may query it)"]
    for code, found in summary["sample_meters"].items():
        if not found:
            lines.append(f"  {code:<8} none in the demo data")
        for sample in found:
            lines.append(
                f"  {code:<8} {sample['meter_number']}  county {sample['county']}"
                f"  {sample['utility']:<11} {', '.join(sample['queryable_by'])}"
            )
    lines += ["", "Meters outside each person's areas (METER_OUTSIDE_AREA)"]
    for person in summary["people"]:
        lines.append(f"  {person['person_id']:<5} {person['meter_outside_area']}")
    malformed = ", ".join(
        f"{number} ({problem})" for problem, number in summary["malformed_meter_numbers"].items()
    )
    lines += ["", f"Malformed meter numbers (INVALID_METER_NUMBER): {malformed}"]
    return lines


def _example_lines(summary: dict[str, Any]) -> list[str]:
    api = summary["api_url"]
    person = summary["people"][0]
    verify_body = json.dumps(person["verify_body"], ensure_ascii=False)
    own_meters = [number for numbers in person["sample_meters"].values() for number in numbers]
    meter_number = own_meters[0] if own_meters else "<a meter number from the list>"
    query_body = json.dumps({"meter_number": meter_number})
    auth = '-H "Authorization: Bearer $TOKEN"'
    json_type = "-H 'Content-Type: application/json'"
    held_back = dict(sorted(summary["held_back_days"].items()))
    county = next(iter(held_back), "430102")
    return [
        f"Try it as {person['person_id']}:",
        f"  TOKEN=$(.venv/bin/python -m local.signin {person['person_id']})",
        f"  curl -s -X POST {api}/v1/verify {auth} {json_type} -d '{verify_body}'",
        f"  curl -s {api}/v1/me {auth}",
        f"  curl -s -X POST {api}/v1/queries {auth} {json_type} -d '{query_body}'",
        "",
        f"Days held back at the end of each county's data: {held_back}. Upload the next one",
        "as the utility would, to see the changed codes (red dots) in the lists:",
        f'  curl -s -X POST {api}/local/upload-next-day {json_type} -d \'{{"county": "{county}"}}\'',
    ]


def format_summary(summary: dict[str, Any], demo_file: Path | None) -> str:
    """Return the text printed after start-up: addresses, demo people, meters to query."""
    lines = [
        "",
        f"Census occupancy service, local HTTP API: {summary['api_url']}",
        f"  AWS endpoint (moto): {summary['moto_url']}  user pool {summary['user_pool_id']}"
        f"  bucket {summary['bucket']}",
    ]
    if demo_file is not None:
        lines.append(f"  This summary as JSON: {demo_file}")
    sections = [_people_lines(summary), _meter_lines(summary), _example_lines(summary)]
    for section in sections:
        lines += ["", *section]
    return "\n".join(lines)


def write_env_file(path: Path, environment: dict[str, str]) -> None:
    """Write `export` lines that point a shell, and the admin CLI run from it, at the local service."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"export {name}={shlex.quote(value)}" for name, value in sorted(environment.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the census occupancy service locally on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="HTTP API port; 0 picks a free one")
    parser.add_argument(
        "--moto-port",
        type=int,
        default=DEFAULT_MOTO_PORT,
        help="moto's AWS endpoint port; 0 picks a free one",
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder of the demo data")
    parser.add_argument(
        "--demo-file", type=Path, default=DEFAULT_DEMO_FILE, help="output file of the summary"
    )
    arguments = parser.parse_args(argv)

    # Warnings from every library, and the request lines of the local service itself.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("local").setLevel(logging.INFO)
    print(f"starting the local service; loading the demo data from {arguments.data_dir} ...", flush=True)
    service = start_local_service(
        port=arguments.port,
        moto_port=arguments.moto_port,
        data_dir=arguments.data_dir,
        demo_file=arguments.demo_file,
        quiet=False,
    )
    env_file = arguments.demo_file.with_name("env.sh")
    write_env_file(env_file, service.environment)
    print(format_summary(service.demo, arguments.demo_file), flush=True)
    cli = f"source {env_file}; .venv/bin/python -m census.cli --help"
    print(f"\nThe admin CLI against this service: {cli}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)

    stopping = threading.Event()
    # A shell starts a background job with SIGINT ignored, so both signals are set here.
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda number, frame: stopping.set())
    try:
        while not stopping.wait(timeout=1.0):
            pass
    finally:
        print("stopping", flush=True)
        service.stop()


if __name__ == "__main__":
    main()
