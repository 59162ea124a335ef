"""Does training starve the playground's server? Latencies idle and under full training load.

    python benchmarks/playground_responsiveness.py            # 40 requests per phase
    python benchmarks/playground_responsiveness.py --requests 100

Starts the playground (default limits) on a free port of 127.0.0.1 and measures, first
with nothing else running and then while the server's maximum of training jobs run (each
three 6 × 32 networks on the spiral, the largest a client may ask for):

- ``health``: GET /api/health, answered by the server process itself;
- ``vectors``: GET /api/vectors (seed 004's softmax example), a computation in a worker;
- training throughput: optimiser steps per second of each job (three networks a step).

Reports the median latencies, their ratios busy / idle measured in the same run, and the
load average; writes benchmarks/results/playground_responsiveness.json.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

import click
import torch
import uvicorn
import websocket  # websocket-client (the test extra)

from actlab.playground.limits import DEFAULT_LIMITS
from actlab.playground.server import create_app
from machine import machine_info

HEAVY_JOB = {"dataset": "spiral", "activations": ["relu", "tanh", "gelu"], "hidden": [32] * 6,
             "steps": 20000, "points": 1000, "batch_size": 10, "optimizer": "adam"}


def _start_server() -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    config = uvicorn.Config(create_app(DEFAULT_LIMITS), log_level="warning",
                            ws="websockets-sansio", ws_max_size=DEFAULT_LIMITS.max_message_bytes)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


def _latencies(url: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=120) as response:
            response.read()
        times.append(time.perf_counter() - start)
        time.sleep(0.05)
    return times


class _Job(threading.Thread):
    """One heavy training job over the WebSocket; records (time, step) of its snapshots."""

    def __init__(self, ws_url: str) -> None:
        super().__init__(daemon=True)
        self.ws = websocket.create_connection(ws_url, timeout=300, suppress_origin=True)
        self.ws.send(json.dumps(HEAVY_JOB))
        self.steps: list[tuple[float, int]] = []
        self.stop_flag = threading.Event()

    def run(self) -> None:
        while not self.stop_flag.is_set():
            try:
                message = json.loads(self.ws.recv())
            except (websocket.WebSocketException, ConnectionError, ValueError):
                return
            if message["type"] == "snapshot":
                self.steps.append((time.perf_counter(), message["step"]))
            elif message["type"] != "setup":
                return

    def steps_per_second(self) -> float:
        if len(self.steps) < 2:
            return float("nan")
        (t0, s0), (t1, s1) = self.steps[0], self.steps[-1]
        return (s1 - s0) / (t1 - t0)

    def close(self) -> None:
        self.stop_flag.set()
        self.ws.close()


def _summary(times: list[float]) -> dict[str, float]:
    return {"median_ms": 1000 * statistics.median(times), "max_ms": 1000 * max(times),
            "min_ms": 1000 * min(times)}


@click.command()
@click.option("--requests", "count", type=click.IntRange(5, 1000), default=40, show_default=True)
@click.option("--output", type=click.Path(dir_okay=False), show_default=True,
              default=str(Path(__file__).parent / "results" / "playground_responsiveness.json"))
def main(count: int, output: str) -> None:
    machine = machine_info(torch.device("cpu")) | {"load_average_at_start": list(os.getloadavg())}
    server, thread, url = _start_server()
    try:
        _latencies(url + "/api/vectors", 3)  # workers started and warm
        idle = {"health": _latencies(url + "/api/health", count),
                "vectors": _latencies(url + "/api/vectors", count)}
        jobs = [_Job(url.replace("http://", "ws://") + "/api/train")
                for _ in range(DEFAULT_LIMITS.max_training_jobs)]
        for job in jobs:
            job.start()
        while not all(len(job.steps) >= 2 for job in jobs):
            time.sleep(0.1)
        busy = {"health": _latencies(url + "/api/health", count),
                "vectors": _latencies(url + "/api/vectors", count)}
        throughput = [job.steps_per_second() for job in jobs]
        for job in jobs:
            job.close()
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    report = {
        "jobs": len(jobs), "job": HEAVY_JOB, "requests_per_phase": count,
        "idle": {k: _summary(v) for k, v in idle.items()},
        "busy": {k: _summary(v) for k, v in busy.items()},
        "median_ratio_busy_vs_idle": {k: statistics.median(busy[k]) / statistics.median(idle[k])
                                      for k in idle},
        "training_steps_per_second": throughput,
        "machine": machine | {"load_average_at_end": list(os.getloadavg())},
    }
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(json.dumps(report, indent=2) + "\n")
    for key in idle:
        click.echo(f"{key:8s} idle {report['idle'][key]['median_ms']:8.2f} ms   busy "
                   f"{report['busy'][key]['median_ms']:8.2f} ms   ratio "
                   f"{report['median_ratio_busy_vs_idle'][key]:.2f}")
    click.echo(f"training: {', '.join(f'{s:.0f}' for s in throughput)} steps/s per job "
               f"(3 networks each); load {machine['load_average_at_start'][0]:.1f} -> "
               f"{os.getloadavg()[0]:.1f}; wrote {output}")


if __name__ == "__main__":
    sys.exit(main())
