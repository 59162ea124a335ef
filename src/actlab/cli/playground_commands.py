"""`actlab playground`: the local web app for exploring, comparing and training activations."""

from __future__ import annotations

import click

from actlab.errors import ActlabError


@click.command("playground")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default serves this machine only.")
@click.option("--no-browser", is_flag=True, help="Print the URL without opening a browser.")
def playground_command(port: int, host: str, no_browser: bool) -> None:
    """Explore, compare and train activations live in the browser."""
    try:
        from actlab.playground.serving import serve
    except ImportError as err:
        raise ActlabError(f"the playground needs the 'playground' extra: pip install "
                          f"'actlab[playground]' ({err.name} is not installed)") from None
    serve(host, port, open_browser=not no_browser)


def register(group: click.Group) -> None:
    group.add_command(playground_command)
