"""Run the playground: bind the address, print the URL, open the browser, serve until ^C."""

from __future__ import annotations

import os
import socket
import sys
import threading
import webbrowser

import click
import uvicorn

from actlab.errors import ActlabError
from actlab.playground.limits import DEFAULT_LIMITS, Limits
from actlab.playground.server import create_app

#: Hosts that mean "every interface": any Host header must then be accepted.
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port); port 0 picks a free one."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise ActlabError(f"cannot listen on {host}: {err.strerror}") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(64)
    except OSError as err:
        sock.close()
        raise ActlabError(f"cannot listen on {host}:{port}: {err.strerror}") from None
    return sock


def has_display() -> bool:
    """Whether a graphical browser can open here. Without a display, Python's webbrowser
    falls back to text browsers (lynx, w3m) that would take over this terminal."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def page_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in WILDCARD_HOSTS else host
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


def serve(host: str = "127.0.0.1", port: int = 8765, *, open_browser: bool = True,
          limits: Limits = DEFAULT_LIMITS) -> None:
    """Serve the playground on host:port until interrupted."""
    sock = bind(host, port)
    port = sock.getsockname()[1]
    url = page_url(host, port)
    hosts = ("*",) if host in WILDCARD_HOSTS else (host,)
    app = create_app(limits, hosts)
    config = uvicorn.Config(app, log_level="warning", ws_max_size=limits.max_message_bytes,
                            ws="websockets-sansio", lifespan="on", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    click.echo(f"actlab playground: {url}  (Ctrl-C to stop)")
    if host in WILDCARD_HOSTS:
        click.echo("warning: listening on every network interface; anyone who can reach this "
                   "machine can use the playground", err=True)
    if open_browser:
        if has_display():
            threading.Timer(0.5, webbrowser.open, args=(url,)).start()
        else:
            click.echo("no display found: open the URL in a browser yourself")
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn shut down cleanly and re-raised ^C: stopping is what was asked
    click.echo("actlab playground stopped")
