"""Open actlab's HTML pages in headless Chromium: the DOM, console errors, screenshots.

A test helper: the tests use it to check that a page really renders. `dump_dom` runs
``chromium --dump-dom``; `inspect_page` drives Chromium over the DevTools protocol and
reports console messages, uncaught exceptions, every network request (a
self-contained page requests nothing but itself and data: URIs) and, on request, a
screenshot. `screenshot_stats` tells a blank screenshot from a drawn one.

`inspect_page` needs the ``websocket-client`` package (a test dependency). Chromium is
looked up as $ACTLAB_CHROMIUM, then chromium, chromium-browser, google-chrome; on
Debian, ``apt-get install -y chromium``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

#: Flags for a quiet, isolated, headless run, that also work as root (--no-sandbox).
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--mute-audio",
)


class BrowserError(RuntimeError):
    """Chromium is missing, did not start, or did not load the page in time."""


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) executable, or None."""
    configured = os.environ.get("ACTLAB_CHROMIUM")
    if configured:
        return shutil.which(configured) or (configured if os.path.isfile(configured) else None)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _require_chromium() -> str:
    binary = find_chromium()
    if binary is None:
        raise BrowserError("no Chromium found; install it (apt-get install -y chromium) or set "
                           "ACTLAB_CHROMIUM to its path")
    return binary


def page_url(page: str | os.PathLike) -> str:
    """A file path as a file:// URL; URLs pass through."""
    text = str(page)
    if "://" in text:
        return text
    return Path(text).resolve().as_uri()


def chromium_command(binary: str, user_data_dir: str, *extra: str) -> list[str]:
    return [binary, *HEADLESS_FLAGS, f"--user-data-dir={user_data_dir}", *extra]


def dump_dom(page: str | os.PathLike, *, timeout: float = 60.0) -> str:
    """The page's DOM after load, serialised by ``chromium --dump-dom``."""
    binary = _require_chromium()
    with tempfile.TemporaryDirectory(prefix="actlab-chromium-") as profile:
        try:
            done = subprocess.run(chromium_command(binary, profile, "--dump-dom",
                                                   page_url(page)),
                                  capture_output=True, text=True, timeout=timeout,
                                  start_new_session=True)
        except subprocess.TimeoutExpired:
            raise BrowserError(f"chromium did not finish --dump-dom of {page} in "
                               f"{timeout:g} s") from None
    if done.returncode != 0:
        raise BrowserError(f"chromium --dump-dom exited with {done.returncode}: "
                           f"{done.stderr.strip().splitlines()[-1:]}")
    return done.stdout


@dataclass
class ConsoleMessage:
    """One console call, uncaught exception or browser log entry."""

    level: str
    text: str
    source: str = ""


@dataclass
class PageReport:
    """What loading a page produced."""

    url: str
    title: str = ""
    console: list[ConsoleMessage] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    page_height: int = 0
    page_width: int = 0
    images: int = 0
    broken_images: int = 0

    @property
    def errors(self) -> list[ConsoleMessage]:
        """Console errors, uncaught exceptions and failed loads."""
        return [m for m in self.console if m.level in ("error", "exception", "assert")]

    def external_requests(self) -> list[str]:
        """Requests for anything but the page itself and data: URIs."""
        return [u for u in self.requests if not (u.startswith("data:") or u == self.url
                                                 or u.startswith("about:"))]


class _DevTools:
    """A minimal Chrome DevTools Protocol session over one page's websocket."""

    def __init__(self, websocket_url: str, timeout: float) -> None:
        try:
            import websocket  # websocket-client
        except ImportError:
            raise BrowserError("inspecting a page needs the websocket-client package "
                               "(pip install websocket-client)") from None
        self._ws = websocket.create_connection(websocket_url, timeout=timeout,
                                               suppress_origin=True)
        self._timeout = timeout
        self._timeout_error = websocket.WebSocketTimeoutException
        self._next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, **params) -> dict:
        self._next_id += 1
        ident = self._next_id
        self._ws.settimeout(self._timeout)
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            try:
                message = json.loads(self._ws.recv())
            except self._timeout_error:
                raise BrowserError(f"DevTools {method} got no answer in {self._timeout:g} s"
                                   ) from None
            if message.get("id") == ident:
                if "error" in message:
                    raise BrowserError(f"DevTools {method} failed: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str, deadline: float) -> bool:
        """Read events until `method` arrives (True) or the deadline passes (False)."""
        if any(e.get("method") == method for e in self.events):
            return True
        while time.monotonic() < deadline:
            self._ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                message = json.loads(self._ws.recv())
            except self._timeout_error:
                return False
            self.events.append(message)
            if message.get("method") == method:
                return True
        return False

    def drain(self, seconds: float) -> None:
        """Collect the events that arrive in the next few moments."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                self.events.append(json.loads(self._ws.recv()))
            except self._timeout_error:
                return

    def close(self) -> None:
        self._ws.close()


@contextlib.contextmanager
def _running_chromium(timeout: float) -> Iterator[str]:
    """Start headless Chromium with remote debugging; yield its page's websocket URL."""
    binary = _require_chromium()
    with tempfile.TemporaryDirectory(prefix="actlab-chromium-") as profile:
        process = subprocess.Popen(
            chromium_command(binary, profile, "--remote-debugging-port=0",
                             "--remote-debugging-address=127.0.0.1", "about:blank"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            yield _page_websocket(Path(profile), process, timeout)
        finally:
            # Chromium's helpers share its new session: end the whole group we started.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _page_websocket(profile: Path, process: subprocess.Popen, timeout: float) -> str:
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrowserError(f"chromium exited with status {process.returncode} on start")
        if port_file.exists() and port_file.read_text().strip():
            port = int(port_file.read_text().split()[0])
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list",
                                            timeout=5) as response:
                    targets = json.load(response)
            except OSError:
                targets = []
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
        time.sleep(0.1)
    raise BrowserError(f"chromium did not open its DevTools port in {timeout:g} s")


def _remote_text(value: dict) -> str:
    if "value" in value:
        return str(value["value"])
    return str(value.get("description", value.get("type", "")))


_PAGE_FACTS = """[
  document.title,
  document.documentElement.scrollHeight,
  document.documentElement.scrollWidth,
  document.images.length,
  [...document.images].filter(i => !i.complete || i.naturalWidth === 0).length,
]"""


def inspect_page(page: str | os.PathLike, *, width: int = 1366, height: int = 900,
                 screenshot: str | os.PathLike | None = None, full_page: bool = False,
                 timeout: float = 60.0, settle: float = 0.5) -> PageReport:
    """Load the page in headless Chromium; report console output and requests.

    width, height: the viewport in CSS pixels (1366 x 900: a laptop). screenshot: a PNG
    file to write, of the viewport or (full_page) of the whole page.
    """
    url = page_url(page)
    report = PageReport(url)
    with _running_chromium(timeout) as websocket_url:
        tools = _DevTools(websocket_url, timeout)
        try:
            for domain in ("Runtime", "Log", "Network", "Page"):
                tools.call(f"{domain}.enable")
            tools.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                       deviceScaleFactor=1, mobile=False)
            tools.events.clear()
            tools.call("Page.navigate", url=url)
            if not tools.wait_for("Page.loadEventFired", time.monotonic() + timeout):
                raise BrowserError(f"{url} did not finish loading in {timeout:g} s")
            tools.drain(settle)
            result = tools.call("Runtime.evaluate",
                                expression=_PAGE_FACTS, returnByValue=True)
            (report.title, report.page_height, report.page_width, report.images,
             report.broken_images) = result["result"]["value"]
            if screenshot is not None:
                _capture(tools, Path(screenshot), width, report.page_height if full_page
                         else height)
        finally:
            tools.close()
    _collect(report, tools.events)
    return report


def _capture(tools: _DevTools, path: Path, width: int, height: int) -> None:
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, 16000), "scale": 1}
    shot = tools.call("Page.captureScreenshot", format="png", clip=clip,
                      captureBeyondViewport=True)
    path.write_bytes(base64.b64decode(shot["data"]))


def _collect(report: PageReport, events: list[dict]) -> None:
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(_remote_text(a) for a in params.get("args", []))
            level = {"warning": "warning", "error": "error", "assert": "assert"}.get(
                params.get("type", ""), params.get("type", "log"))
            report.console.append(ConsoleMessage(level, text))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text", "")
            report.console.append(ConsoleMessage("exception", text, details.get("url", "")))
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            report.console.append(ConsoleMessage(entry.get("level", "info"),
                                                 entry.get("text", ""), entry.get("url", "")))
        elif method == "Network.requestWillBeSent":
            report.requests.append(params.get("request", {}).get("url", ""))
        elif method == "Network.loadingFailed":
            report.failed_requests.append(params.get("errorText", ""))


@dataclass(frozen=True)
class ScreenshotStats:
    """How much a screenshot shows: pixel variance and the share of non-white pixels."""

    width: int
    height: int
    variance: float
    non_white_fraction: float

    def looks_blank(self, *, min_variance: float = 1e-3, min_non_white: float = 0.02) -> bool:
        return self.variance < min_variance or self.non_white_fraction < min_non_white


def screenshot_stats(png: str | os.PathLike) -> ScreenshotStats:
    """Variance of the grey levels (0 to 1) and the fraction of pixels not near white."""
    from matplotlib.image import imread

    pixels = np.asarray(imread(png), dtype=np.float64)
    grey = pixels[..., :3].mean(axis=-1) if pixels.ndim == 3 else pixels
    return ScreenshotStats(grey.shape[1], grey.shape[0], float(grey.var()),
                           float((grey < 0.94).mean()))


class LivePage:
    """A page open in headless Chromium that a test can script: run JavaScript, wait for
    a condition, take screenshots; `report()` gives what the console saw so far."""

    def __init__(self, tools: _DevTools, url: str, width: int, height: int) -> None:
        self._tools = tools
        self.url = url
        self.width = width
        self.height = height

    def evaluate(self, expression: str, *, await_promise: bool = False):
        """The value of a JavaScript expression (JSON-serialisable), or BrowserError."""
        result = self._tools.call("Runtime.evaluate", expression=expression,
                                  returnByValue=True, awaitPromise=await_promise)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text", "")
            raise BrowserError(f"{expression!r} threw: {text}")
        return result["result"].get("value")

    def wait_until(self, expression: str, *, timeout: float = 60.0, poll: float = 0.1):
        """Evaluate `expression` until it is truthy; its value, or BrowserError on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"{expression!r} was still {value!r} after {timeout:g} s")
            self._tools.drain(poll)

    def click(self, x: float, y: float) -> None:
        """A real mouse click (move, press, release) at viewport coordinates (x, y)."""
        self._tools.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            self._tools.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left",
                             clickCount=1)

    def move(self, x: float, y: float) -> None:
        """Move the mouse to viewport coordinates (x, y), as a hover would."""
        self._tools.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)

    def drag(self, start: tuple[float, float], end: tuple[float, float], steps: int = 8) -> None:
        """Press the left button at `start`, move to `end` in a few steps, release there."""
        (x0, y0), (x1, y1) = start, end
        self.move(x0, y0)
        self._tools.call("Input.dispatchMouseEvent", type="mousePressed", x=x0, y=y0,
                         button="left", clickCount=1)
        for i in range(1, steps + 1):
            self._tools.call("Input.dispatchMouseEvent", type="mouseMoved", button="left",
                             x=x0 + (x1 - x0) * i / steps, y=y0 + (y1 - y0) * i / steps)
        self._tools.call("Input.dispatchMouseEvent", type="mouseReleased", x=x1, y=y1,
                         button="left", clickCount=1)

    def screenshot(self, path: str | os.PathLike, *, full_page: bool = False) -> Path:
        height = self.evaluate("document.documentElement.scrollHeight") if full_page \
            else self.height
        _capture(self._tools, Path(path), self.width, int(height))
        return Path(path)

    def report(self) -> PageReport:
        """Console messages, exceptions and requests seen since the page was opened."""
        report = PageReport(self.url)
        _collect(report, self._tools.events)
        return report


@contextlib.contextmanager
def open_page(page: str | os.PathLike, *, width: int = 1366, height: int = 900,
              timeout: float = 60.0) -> Iterator[LivePage]:
    """Open a page in headless Chromium (after its load event) for a test to script."""
    url = page_url(page)
    with _running_chromium(timeout) as websocket_url:
        tools = _DevTools(websocket_url, timeout)
        try:
            for domain in ("Runtime", "Log", "Network", "Page"):
                tools.call(f"{domain}.enable")
            tools.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                       deviceScaleFactor=1, mobile=False)
            tools.events.clear()
            tools.call("Page.navigate", url=url)
            if not tools.wait_for("Page.loadEventFired", time.monotonic() + timeout):
                raise BrowserError(f"{url} did not finish loading in {timeout:g} s")
            yield LivePage(tools, url, width, height)
        finally:
            tools.close()
