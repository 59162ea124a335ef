"""Live training over the WebSocket: snapshots stream in; bad requests, crowds and foreign
pages are refused; a job ends when its client stops it or leaves."""

from __future__ import annotations

import json
import time

import pytest

websocket = pytest.importorskip("websocket")  # websocket-client


def _connect(server, **options):
    return websocket.create_connection(server.ws_url, timeout=120, suppress_origin=True,
                                       **options)


def _messages(ws):
    while True:
        try:
            text = ws.recv()
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return
        if not text:
            return
        yield json.loads(text)


def _wait_for_no_jobs(server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while server.get("/api/health")[1]["training_jobs"]:
        assert time.monotonic() < deadline, "a training job outlived its client"
        time.sleep(0.1)


def test_a_run_streams_setup_snapshots_and_done(playground_server):
    ws = _connect(playground_server)
    ws.send(json.dumps({"dataset": "xor", "activations": ["relu", "tanh"], "hidden": [4],
                        "steps": 40, "points": 60, "learning_rate": 0.1}))
    messages = list(_messages(ws))
    kinds = [m["type"] for m in messages]
    assert kinds[0] == "setup" and kinds[-1] == "done"
    assert set(kinds[1:-1]) == {"snapshot"}
    setup = messages[0]
    assert setup["activations"] == ["relu", "tanh"]
    assert setup["layers"] == ["hidden 1", "output"]
    assert len(setup["train"]["x"]) == 30 and len(setup["grid"]) == 41
    steps = [m["step"] for m in messages[1:-1]]
    assert steps == list(range(0, 41))
    last = messages[-2]["models"]
    assert [m["activation"] for m in last] == ["relu", "tanh"]
    assert all(len(m["boundary"]) == 41 and len(m["grad_norms"]) == 2 for m in last)
    _wait_for_no_jobs(playground_server)


def test_formula_activations_train_and_bad_ones_report_errors(playground_server):
    ws = _connect(playground_server)
    ws.send(json.dumps({"activations": ["x*sigmoid(1.702*x)"], "steps": 2, "points": 20}))
    assert [m["type"] for m in _messages(ws)][-1] == "done"
    ws = _connect(playground_server)
    ws.send(json.dumps({"activations": ["__import__('os')"], "steps": 2}))
    (message,) = list(_messages(ws))
    assert message["type"] == "error" and "unknown function" in message["message"]
    _wait_for_no_jobs(playground_server)


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "not valid JSON"),
    ('{"steps": 1000000}', "steps must lie in"),
    ('{"activations": ["relu", "tanh", "gelu", "elu"]}', "1 to 3 activations"),
    ('{"hidden": [1000]}', "hidden entry 1"),
    ('["relu"]', "JSON object"),
])
def test_bad_requests_get_an_error_and_no_job(playground_server, text, message):
    ws = _connect(playground_server)
    ws.send(text)
    (reply,) = list(_messages(ws))
    assert reply["type"] == "error" and message in reply["message"]
    assert playground_server.get("/api/health")[1]["training_jobs"] == 0


def test_oversized_messages_close_the_socket(playground_server):
    ws = _connect(playground_server)
    ws.send(json.dumps({"activations": ["relu"], "pad": "x" * 100_000}))
    assert list(_messages(ws)) == []
    assert playground_server.get("/api/health")[0] == 200


def test_one_job_at_a_time_and_stop_and_leaving_end_it(playground_server):
    first = _connect(playground_server)
    first.send(json.dumps({"dataset": "spiral", "steps": 20000, "hidden": [32] * 6}))
    assert json.loads(first.recv())["type"] == "setup"
    # While it trains, the server still answers (the job runs in a lower-priority process).
    status, data = playground_server.get("/api/functions?activations=relu")
    assert status == 200 and data["functions"][0]["name"] == "relu"
    assert playground_server.get("/api/health")[1]["training_jobs"] == 1
    second = _connect(playground_server)  # the test server runs one job at a time
    second.send(json.dumps({"steps": 5}))
    (busy,) = list(_messages(second))
    assert busy["type"] == "error" and "try again" in busy["message"]
    first.send(json.dumps({"type": "stop"}))
    kinds = [m["type"] for m in _messages(first)]
    assert kinds[-1] == "stopped" and "done" not in kinds
    _wait_for_no_jobs(playground_server)
    # A client that simply leaves ends its job too.
    third = _connect(playground_server)
    third.send(json.dumps({"dataset": "spiral", "steps": 20000, "hidden": [32] * 6}))
    assert json.loads(third.recv())["type"] == "setup"
    third.close()
    _wait_for_no_jobs(playground_server)


def test_pages_of_other_sites_cannot_open_the_socket(playground_server):
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(playground_server.ws_url, timeout=30,
                                    origin="http://attacker.example")
    ws = websocket.create_connection(playground_server.ws_url, timeout=30,
                                     origin=playground_server.url)
    ws.send(json.dumps({"steps": 1, "points": 10}))
    assert [m["type"] for m in _messages(ws)][-1] == "done"
