"""A playground server for the tests: uvicorn in a thread, on a free port of 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

pytest.importorskip("starlette")
pytest.importorskip("pebble")
uvicorn = pytest.importorskip("uvicorn")

from actlab.playground.limits import Limits  # noqa: E402
from actlab.playground.server import create_app  # noqa: E402

#: Limits the tests can reach: one training job at a time.
TEST_LIMITS = Limits(max_training_jobs=1, job_seconds=60.0)
#: A server whose computations stop after 3 s (a slow formula takes far longer).
# 1 s: SLOW_FORMULA (erf nested 62 deep) takes 3-5 s of SymPy work on a 2-core CI machine, so
# it is stopped with a wide margin even on a machine twice as fast; tanh takes ~0.1 s.
TIGHT_LIMITS = Limits(compute_timeout=1.0, max_pending_computations=6)


@dataclass
class Server:
    """A running playground: its base URL, and JSON GET requests to it."""

    url: str

    def get(self, path: str, headers: dict[str, str] | None = None,
            timeout: float = 120.0) -> tuple[int, dict | str]:
        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as err:
            status, body = err.code, err.read()
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body.decode(errors="replace")

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/api/train"


def _serve(limits: Limits) -> Iterator[Server]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(limits), log_level="warning",
                            ws_max_size=limits.max_message_bytes, ws="websockets-sansio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the playground server did not start")
        time.sleep(0.05)
    try:
        yield Server(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.fixture(scope="session")
def playground_server() -> Iterator[Server]:
    """One server for the whole session (its worker processes start once)."""
    yield from _serve(TEST_LIMITS)


@pytest.fixture(scope="session")
def tight_server() -> Iterator[Server]:
    """A server with a short time limit per computation and a short queue."""
    yield from _serve(TIGHT_LIMITS)
