"""The local audit drain stops cleanly: after close() it never calls the queue's server again."""

from __future__ import annotations

import threading
import time
from typing import Any

from local.audit import AuditDrain


class _Writer:
    def has_handler(self) -> bool:
        return True


class _SlowQueue:
    """A queue whose first receive takes a while and which counts every call."""

    def __init__(self) -> None:
        self.calls = 0
        self.entered = threading.Event()
        self.finished = threading.Event()

    def receive_message(self, **_: Any) -> dict[str, Any]:
        self.calls += 1
        self.entered.set()
        time.sleep(0.2)
        self.finished.set()
        return {}


def _drain(queue: _SlowQueue) -> AuditDrain:
    return AuditDrain(
        sqs=queue,
        queue_url="http://127.0.0.1:1/123456789012/audit",
        function=_Writer(),  # type: ignore[arg-type]
        region="us-east-1",
    )


def test_closed_drain_does_not_receive():
    queue = _SlowQueue()
    drain = _drain(queue)
    drain.close()
    assert drain.drain() == 0
    assert queue.calls == 0


def test_close_waits_for_drain_in_progress():
    queue = _SlowQueue()
    drain = _drain(queue)
    worker = threading.Thread(target=drain.drain)
    worker.start()
    assert queue.entered.wait(5)
    drain.close()
    assert queue.finished.is_set()
    worker.join(5)
    assert queue.calls == 1
