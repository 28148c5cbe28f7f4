"""The Lambda functions of template.yaml, loaded and invoked in this process.

Each function's handler module is loaded from its file under a module name of
its own, because every function's module is called `app.py`.

One invocation runs at a time in the whole process. In AWS each function has
processes of its own, but here all handlers share the census package's module
state: one powertools logger, whose keys (function name, request id, person
id) each invocation sets, and one metrics object, which each invocation
flushes. Concurrent invocations would mix those up.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.resources import ACCOUNT_ID, load_template

ROOT = Path(__file__).resolve().parent.parent

# Reentrant, so that a handler that ends up invoking another function does not deadlock.
_INVOCATION_LOCK = threading.RLock()

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class FunctionSpec:
    """One AWS::Serverless::Function of the template."""

    logical_id: str
    code_dir: Path
    handler: str
    memory_mb: int
    timeout_seconds: int

    @property
    def module_file(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_dir / f"{module.replace('.', '/')}.py"

    @property
    def attribute(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class HttpRoute:
    """One HttpApi event: a method and a path such as `/v1/queries/{meter}`."""

    method: str
    path: str
    function: str


@dataclass(frozen=True)
class S3Trigger:
    """One S3 event of a function, with its key prefix and suffix filter."""

    function: str
    configuration_id: str
    prefix: str
    suffix: str

    def matches(self, key: str) -> bool:
        return key.startswith(self.prefix) and key.endswith(self.suffix)


@dataclass(frozen=True)
class SqsTrigger:
    function: str
    queue_logical_id: str
    batch_size: int


@dataclass
class TemplateFunctions:
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    routes: list[HttpRoute] = field(default_factory=list)
    s3_triggers: list[S3Trigger] = field(default_factory=list)
    sqs_triggers: list[SqsTrigger] = field(default_factory=list)


def read_template_functions(template: dict[str, Any] | None = None, root: Path = ROOT) -> TemplateFunctions:
    """Read the functions and their HttpApi, S3 and SQS events from template.yaml."""
    template = template or load_template()
    defaults = template.get("Globals", {}).get("Function", {})
    found = TemplateFunctions()
    for logical_id, body in template["Resources"].items():
        if body["Type"] != "AWS::Serverless::Function":
            continue
        properties = body["Properties"]
        found.functions[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_dir=(root / properties["CodeUri"]).resolve(),
            handler=properties.get("Handler", defaults.get("Handler", "app.lambda_handler")),
            memory_mb=int(properties.get("MemorySize", defaults.get("MemorySize", 128))),
            timeout_seconds=int(properties.get("Timeout", defaults.get("Timeout", 3))),
        )
        for event_name, event in properties.get("Events", {}).items():
            _read_event(found, logical_id, event_name, event)
    return found


def _read_event(found: TemplateFunctions, function: str, event_name: str, event: dict[str, Any]) -> None:
    event_properties = event.get("Properties", {})
    if event["Type"] == "HttpApi":
        found.routes.append(HttpRoute(event_properties["Method"].upper(), event_properties["Path"], function))
    elif event["Type"] == "S3":
        rules = event_properties.get("Filter", {}).get("S3Key", {}).get("Rules", [])
        values = {rule["Name"].lower(): rule["Value"] for rule in rules}
        found.s3_triggers.append(
            S3Trigger(function, event_name, values.get("prefix", ""), values.get("suffix", ""))
        )
    elif event["Type"] == "SQS":
        queue = event_properties["Queue"]
        # The queue is written as !GetAtt AuditQueue.Arn.
        queue_id = queue["GetAtt"].split(".")[0] if isinstance(queue, dict) else str(queue)
        found.sqs_triggers.append(SqsTrigger(function, queue_id, int(event_properties.get("BatchSize", 10))))


class LambdaContext:
    """The context object Lambda passes to a handler, with the fields powertools reads."""

    def __init__(self, spec: FunctionSpec, *, stack: str, region: str) -> None:
        self.function_name = f"{stack}-{spec.logical_id}"
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{self.function_name}"
        self.memory_limit_in_mb = spec.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self._deadline = time.monotonic() + spec.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class HandlerMissing(RuntimeError):
    """The function's module has no handler attribute (yet)."""


class LocalFunction:
    """One function of the template, with its handler loaded on first use."""

    def __init__(self, spec: FunctionSpec, *, stack: str, region: str) -> None:
        self.spec = spec
        self._stack = stack
        self._region = region
        self._handler: Handler | None = None
        self._missing_mtime: float | None = None

    def _load(self) -> Handler:
        module_name = f"census_local_{self.spec.logical_id.lower()}_{self.spec.module_file.stem}"
        module_spec = importlib.util.spec_from_file_location(module_name, self.spec.module_file)
        if module_spec is None or module_spec.loader is None:
            raise HandlerMissing(f"cannot load {self.spec.module_file}")
        module = importlib.util.module_from_spec(module_spec)
        # Lambda puts the code folder first on the path, so that a handler can
        # import the modules beside it.
        code_dir = str(self.spec.code_dir)
        sys.path.insert(0, code_dir)
        sys.modules[module_name] = module
        try:
            module_spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
        finally:
            sys.path.remove(code_dir)
        handler = getattr(module, self.spec.attribute, None)
        if not callable(handler):
            raise HandlerMissing(f"{self.spec.module_file} defines no {self.spec.attribute}()")
        return handler

    def has_handler(self) -> bool:
        """Load the handler if needed and return whether the module defines one.

        A module without a handler is loaded again only after its file changes.
        """
        with _INVOCATION_LOCK:
            return self._ensure_loaded() is not None

    def _ensure_loaded(self) -> Handler | None:
        if self._handler is not None:
            return self._handler
        try:
            mtime = os.stat(self.spec.module_file).st_mtime
        except FileNotFoundError:
            return None
        if self._missing_mtime == mtime:
            return None
        try:
            self._handler = self._load()
        except HandlerMissing:
            self._missing_mtime = mtime
            return None
        except Exception:
            # An import error is raised once; later calls treat the module as
            # having no handler until its file changes.
            self._missing_mtime = mtime
            raise
        return self._handler

    def invoke(self, event: dict[str, Any]) -> Any:
        """Call the handler with `event` and a fresh context, one invocation in the process at a time."""
        with _INVOCATION_LOCK:
            handler = self._ensure_loaded()
            if handler is None:
                raise HandlerMissing(f"{self.spec.module_file} defines no {self.spec.attribute}()")
            context = LambdaContext(self.spec, stack=self._stack, region=self._region)
            return handler(event, context)
