"""`actlab compile-verdicts`: what the compile policy measured and decided on this machine."""

from __future__ import annotations

import click

from actlab.kernels.compile_policy import POLICY, compile_mode


def _ns(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}"


@click.command("compile-verdicts")
@click.option("--forget", is_flag=True,
              help="Delete the verdicts: every kernel is measured again from scratch.")
def compile_verdicts_command(forget: bool) -> None:
    """List, per kernel, whether compiling it paid (or --forget them all)."""
    store = POLICY.store
    if forget:
        count = store.forget()
        click.echo(f"forgot {count} verdict(s): {store.path}")
        return
    entries = store.entries()
    click.echo(f"compile mode: {compile_mode()}; verdicts: {store.path}")
    if not entries:
        click.echo("no verdicts yet (a kernel gets one once enough time was spent in it)")
        return
    click.echo(f"{'verdict':9} {'compile s':>9} {'eager ns/el':>11} {'compiled ns/el':>14}  "
               f"kernel")
    for key, v in sorted(entries.items()):
        click.echo(f"{v.verdict:9} {v.compile_seconds:9.1f} "
                   f"{_ns(v.eager_ns_per_element):>11} {_ns(v.compiled_ns_per_element):>14}  "
                   f"{key}" + (f"  ({v.reason})" if v.verdict == "eager" and v.reason else ""))


def register(group: click.Group) -> None:
    group.add_command(compile_verdicts_command)
