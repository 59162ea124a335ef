"""`actlab list` and `actlab show`: the catalog as tables."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from actlab.catalog import names, registry, resolve
from actlab.catalog.registry import all_spellings, default_flavor
from actlab.catalog.spec import FLAVORS, ActivationSpec
from actlab.errors import UnknownActivationError

FRAMEWORK_LABELS = {"torch": "PyTorch", "keras": "Keras 3 (torch backend)",
                    "keras2": "Keras 2 (tf_keras)", "jax": "JAX", "tf": "TensorFlow (tf.nn)",
                    "flax": "flax (linen, nnx)", "transformers": "transformers (ACT2FN)",
                    "timm": "timm"}


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False, width=160)


def _short(spelling: str) -> str:
    return spelling.split(".")[-1]


def _framework_names(spec: ActivationSpec, framework: str) -> str:
    fl = spec.flavors.get(framework)
    if fl is None:
        return "—"
    return ", ".join(dict.fromkeys(_short(n) for n in fl.names))


def catalog_rows(family: str | None = None, flavor: str | None = None) -> list[dict]:
    """One row per activation: what `actlab list` shows (also as JSON)."""
    rows = []
    for name in names(family=family, flavor=flavor):
        spec = registry().spec(name)
        rows.append({
            "name": spec.name,
            "family": spec.family,
            "kind": spec.kind,
            "range": spec.properties.range_text(),
            "pytorch": _framework_names(spec, "torch"),
            "keras": _framework_names(spec, "keras"),
            "keras2": _framework_names(spec, "keras2"),
            "jax": _framework_names(spec, "jax"),
        })
    return rows


def dialect_rows(framework: str) -> list[dict]:
    """One row per spelling of one framework: what it maps to, with the parameters that
    differ from the catalog's defaults (what `actlab list --framework` shows)."""
    if framework not in FLAVORS:
        raise UnknownActivationError(framework, FLAVORS, what="framework")
    rows = []
    for spec in registry().specs():
        fl = spec.flavors.get(framework)
        if fl is None:
            continue
        canonical = spec.bind(fill_examples=True)
        for spelling, extra in fl.names.items():
            bound = spec.bind(flavor=framework, extra_defaults=extra, fill_examples=True,
                              spelling=spelling)
            changed = {p.name: bound[p.name] for p in spec.math_params
                       if bound[p.name] != canonical[p.name] or p.required}
            rows.append({"spelling": spelling, "name": spec.name, "params": changed,
                         "family": spec.family,
                         "numerics": "own" if fl.changes_numerics else "canonical",
                         "note": fl.note})
    return sorted(rows, key=lambda r: r["spelling"].lower())


def _maps_to(row: dict) -> str:
    params = ", ".join(f"{k}={_value(v)}" for k, v in row["params"].items())
    return f"{row['name']}({params})" if params else row["name"]


@click.command("list")
@click.option("--family", help="Only this family (e.g. rectifier, sigmoid, softmax).")
@click.option("--flavor", type=click.Choice(FLAVORS), help="Only functions this framework has.")
@click.option("--framework", help="One framework's dialect: each of its spellings and the "
              "function it maps to (" + ", ".join(FLAVORS) + ").")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(family: str | None, flavor: str | None, framework: str | None,
                 as_json: bool) -> None:
    """List every activation: name, family, range, PyTorch and Keras names."""
    if family is not None and family not in registry().families():
        raise UnknownActivationError(family, registry().families(), what="family")
    if framework is not None:
        _list_dialect(framework, as_json)
        return
    rows = catalog_rows(family, flavor)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"actlab catalog: {len(rows)} activations", title_justify="left")
    for column in ("name", "family", "range", "PyTorch", "Keras 3", "Keras 2", "JAX"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(*(escape(r[key]) for key in ("name", "family", "range", "pytorch",
                                                   "keras", "keras2", "jax")))
    _console().print(table)


def _list_dialect(framework: str, as_json: bool) -> None:
    rows = dialect_rows(framework)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
        return
    table = Table(title=f"{FRAMEWORK_LABELS[framework]}: {len(rows)} spellings",
                  title_justify="left")
    for column in ("spelling", "actlab function", "family", "numbers"):
        table.add_column(column, overflow="fold")
    for r in rows:
        numbers = ("this framework's own (" + r["note"] + ")" if r["numerics"] == "own"
                   else "the catalog's")
        table.add_row(escape(r["spelling"]), escape(_maps_to(r)), r["family"], escape(numbers))
    _console().print(table)


def describe(text: str) -> dict:
    """Everything `actlab show` prints, as data."""
    resolved = resolve(text)
    spec = resolved.spec
    flavors = {}
    canonical = spec.bind(fill_examples=True)
    for framework, fl in spec.flavors.items():
        per_spelling = {}
        for spelling, extra in fl.names.items():
            per_spelling[spelling] = {k: v for k, v in spec.bind(
                flavor=framework, extra_defaults=extra, fill_examples=True,
                spelling=spelling).items()}
        flavors[framework] = {"defaults": per_spelling, "renames": dict(fl.renames),
                              "note": fl.note}
    return {
        "name": spec.name,
        "resolved_as": {"flavor": resolved.flavor, "params": resolved.bind(fill_examples=True)},
        "family": spec.family,
        "kind": spec.kind,
        "summary": spec.summary,
        "formula": spec.latex,
        "parameters": [
            {"name": p.name, "default": canonical[p.name] if not p.required else "required",
             "allowed": p.describe_constraint(), "learnable": p.learnable,
             "doc": p.doc} for p in spec.params],
        "flavors": flavors,
        "properties": spec.properties.as_dict(),
        "kinks": list(spec.kink_points(canonical)) if spec.kind == "elementwise" else [],
        "spellings": sorted(all_spellings([spec]).get(spec.name, [])),
        "references": list(spec.references),
        "notes": spec.notes,
        "default_flavor": default_flavor(spec),
    }


def _value(v) -> str:
    if isinstance(v, float):
        return f"{v:.10g}"
    return repr(v)


@click.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def show_command(name: str, as_json: bool) -> None:
    """Show one activation: formula, parameters per flavor, properties, equivalents."""
    info = describe(name)
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False, default=str))
        return
    console = _console()
    # Everything but the headings is data, some of it typed by a user (a formula, a
    # registered spec's text): escaped, so that "[/bold]" in it is shown, not obeyed.
    e = escape
    console.print(f"[bold]{e(info['name'])}[/bold]  ({e(info['family'])}, {e(info['kind'])})")
    console.print(e(info["summary"]))
    resolved = info["resolved_as"]
    if name != info["name"] or resolved["flavor"] != info["default_flavor"]:
        # What this spelling means: its framework's defaults, not the canonical ones.
        values = ", ".join(f"{k}={_value(v)}" for k, v in resolved["params"].items())
        flavor = resolved["flavor"] or info["default_flavor"] or "canonical"
        console.print(f"As written, [bold]{e(name)}[/bold] is the {e(flavor)} flavor"
                      + (f" with {e(values)}" if values else ""))
    console.print(f"\n[bold]Formula[/bold]\n  {e(info['formula'])}")
    if info["parameters"]:
        table = Table(title="Parameters", title_justify="left")
        for column in ("name", "default", "allowed", "learnable", "meaning"):
            table.add_column(column, overflow="fold")
        for p in info["parameters"]:
            table.add_row(e(p["name"]), e(_value(p["default"])) if p["default"] != "required"
                          else "required", e(p["allowed"]), "yes" if p["learnable"] else "",
                          e(p["doc"]))
        console.print(table)
    if info["flavors"]:
        table = Table(title="Flavors: the same function as each framework defines it",
                      title_justify="left")
        for column in ("framework", "spelling", "defaults", "parameter names"):
            table.add_column(column, overflow="fold")
        for framework, data in info["flavors"].items():
            renames = ", ".join(f"{k}→{v}" for k, v in data["renames"].items())
            for spelling, values in data["defaults"].items():
                shown = ", ".join(f"{k}={_value(v)}" for k, v in values.items())
                table.add_row(FRAMEWORK_LABELS[framework], e(spelling), e(shown) or "—",
                              e(renames))
            if data["note"]:
                table.add_row("", f"[italic]{e(data['note'])}[/italic]", "", "")
        console.print(table)
    props = Table(title="Properties", title_justify="left")
    props.add_column("property")
    props.add_column("value")
    for key, value in info["properties"].items():
        props.add_row(e(key.replace("_", " ")), e(str(value)))
    if info["kinks"]:
        props.add_row("kinks", ", ".join(f"{k:g}" for k in info["kinks"]))
    console.print(props)
    console.print("[bold]Equivalent names[/bold]: " + e(", ".join(info["spellings"])))
    if info["references"]:
        console.print("[bold]References[/bold]")
        for ref in info["references"]:
            console.print(f"  - {e(ref)}")
    if info["notes"]:
        console.print(f"[bold]Notes[/bold]: {e(info['notes'])}")


def register(group: click.Group) -> None:
    group.add_command(list_command)
    group.add_command(show_command)
