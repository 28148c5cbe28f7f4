"""moto's server in a thread on 127.0.0.1, with every request serialised by one lock.

moto does not make DynamoDB writes atomic under concurrent requests: two
conditional writes can both succeed, and a transaction can over-count. One
lock around the whole WSGI app makes each request run alone, so the quota
limits behave as they do on DynamoDB.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

LOOPBACK = "127.0.0.1"
REGION = "us-east-1"

# Dummy credentials: moto accepts any, and they keep boto3 from looking for real ones.
_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}

# boto3 reads AWS_ENDPOINT_URL for every service and AWS_ENDPOINT_URL_<SERVICE>
# before it; pynamodb reads only the DynamoDB one, through the census models.
_ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_SSM",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
)


class SerializedApp:
    """A WSGI app that runs one request at a time, body included."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        with self._lock:
            result = self._app(environ, start_response)
            # The body iterable may still call into moto's backends, so it is
            # read to the end while the lock is held.
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return [body]


class _QuietRequestHandler(MotoRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip the access line of every AWS call: a demo start makes thousands."""


class MotoServer:
    """moto's server on 127.0.0.1 in a daemon thread. Port 0 picks a free port."""

    def __init__(self, port: int = 0) -> None:
        self._requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        app = SerializedApp(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            LOOPBACK, self._requested_port, app, threaded=True, request_handler=_QuietRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto-server", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the moto server is not started; call start() first")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None


def aws_environment(endpoint_url: str, region: str = REGION) -> dict[str, str]:
    """Return the variables that point every AWS client of this process at `endpoint_url`."""
    env = dict(_CREDENTIALS)
    env["AWS_DEFAULT_REGION"] = region
    env["AWS_REGION"] = region
    for name in _ENDPOINT_VARIABLES:
        env[name] = endpoint_url
    return env
