"""A throwaway Ray cluster for tests: `ray start --head` on free ports, in a temp dir.

The head runs with `--block` in its own session: terminating that one process stops every
process of the cluster (never `ray stop`, which would stop every Ray instance of the machine).
Token authentication is off on it (RAY_AUTH_MODE=disabled), as drivers expect by default
when they join a cluster: no token file is needed on a fresh machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import actlab

SRC_DIR = Path(actlab.__file__).resolve().parents[1]
TESTS_DIR = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RayHead:
    """A one-node Ray cluster with `cpus` CPUs; workers import actlab and the test support."""

    def __init__(self, cpus: int = 2) -> None:
        self.port = free_port()
        self.client_port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.client_address = f"ray://127.0.0.1:{self.client_port}"
        # A short path: Ray's socket paths under it must stay below 107 characters.
        self.temp_dir = tempfile.mkdtemp(prefix="rayt", dir="/tmp")
        python_path = os.pathsep.join(
            p for p in (str(SRC_DIR), str(TESTS_DIR), os.environ.get("PYTHONPATH", "")) if p)
        env = dict(os.environ, PYTHONPATH=python_path, RAY_AUTH_MODE="disabled")
        command = [
            str(Path(sys.executable).with_name("ray")), "start", "--head", "--block",
            f"--port={self.port}", f"--ray-client-server-port={self.client_port}",
            f"--num-cpus={cpus}", "--num-gpus=0", f"--temp-dir={self.temp_dir}",
            "--include-dashboard=false", "--disable-usage-stats",
            f"--dashboard-port={free_port()}", f"--dashboard-agent-listen-port={free_port()}",
            f"--metrics-export-port={free_port()}", f"--runtime-env-agent-port={free_port()}"]
        self.log = open(Path(self.temp_dir) / "ray-start.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(command, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 180) -> None:
        """Return once the cluster takes drivers (its GCS answers and a raylet is up)."""
        deadline = time.monotonic() + timeout
        script = (f"import ray; ray.init(address={self.address!r}, logging_level='ERROR'); "
                  "assert ray.cluster_resources().get('CPU'); ray.shutdown()")
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"ray start exited: {self.read_log()}")
            check = subprocess.run([sys.executable, "-c", script], capture_output=True,
                                   timeout=timeout)
            if check.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Ray head did not come up: {check.stderr[-2000:]!r}")
            time.sleep(1)

    def client_server_logs(self) -> str:
        """The Ray Client servers' logs (what to read when a ray:// connection fails)."""
        logs = Path(self.temp_dir) / "session_latest" / "logs"
        return "\n".join(f"== {path.name}\n{path.read_text(errors='replace')[-4000:]}"
                         for path in sorted(logs.glob("ray_client_server*")))

    def read_log(self) -> str:
        return (Path(self.temp_dir) / "ray-start.log").read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        """SIGTERM to `ray start --block` stops the cluster's processes; then its files go."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        try:  # anything of its session still alive (it shares the session of ray start)
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.log.close()
        shutil.rmtree(self.temp_dir, ignore_errors=True)
