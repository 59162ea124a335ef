"""`actlab playground`: starts, prints its URL, serves; address errors are one line."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request

from click.testing import CliRunner

from actlab.cli import main
from support.terminal import interruptible


def test_help_lists_the_options():
    result = CliRunner().invoke(main, ["playground", "--help"])
    assert result.exit_code == 0
    for option in ("--port", "--host", "--no-browser"):
        assert option in result.output


def test_a_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["playground", "--port", str(port), "--no-browser"])
    assert result.exit_code == 1
    assert result.output.strip() == f"error: cannot listen on 127.0.0.1:{port}: Address already " \
                                    f"in use"


def test_bad_addresses_are_refused():
    result = CliRunner().invoke(main, ["playground", "--no-browser", "--port", "70000"])
    assert result.exit_code == 2  # click's usage error
    assert "70000 is not in the range" in result.output
    result = CliRunner().invoke(main, ["playground", "--no-browser", "--host",
                                       "no-such-host.invalid"])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: cannot listen on no-such-host.invalid")


def test_the_command_serves_until_interrupted():
    process = subprocess.Popen(interruptible([sys.executable, "-m", "actlab.cli", "playground",
                                              "--port", "0", "--no-browser"]),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=dict(os.environ))
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        with urllib.request.urlopen(url.group(0) + "api/health", timeout=120) as response:
            assert json.load(response)["ok"] is True
        with urllib.request.urlopen(url.group(0) + "?activations=gelu,mish",
                                    timeout=60) as response:
            assert b"actlab playground" in response.read()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0, process.stderr.read()


def test_without_a_display_no_browser_is_started(monkeypatch):
    from actlab.playground import serving

    monkeypatch.setattr(serving.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not serving.has_display()
    monkeypatch.setenv("DISPLAY", ":0")
    assert serving.has_display()


def test_without_the_extra_the_command_says_what_to_install(monkeypatch):
    import sys as system

    monkeypatch.delitem(system.modules, "actlab.playground.serving", raising=False)
    monkeypatch.setitem(system.modules, "uvicorn", None)  # as if it were not installed
    result = CliRunner().invoke(main, ["playground", "--no-browser"])
    assert result.exit_code == 1
    assert result.output.strip() == ("error: the playground needs the 'playground' extra: pip "
                                     "install 'actlab[playground]' (uvicorn is not installed)")
