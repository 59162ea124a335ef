"""`actlab theory` and `actlab propagate`: mean-field theory and deep-network simulation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click
import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from actlab.analysis.initialisation import TORCH_GAIN_NOTES, recommended_init
from actlab.analysis.mean_field import CRITICAL_TOLERANCE, mean_field_point
from actlab.analysis.propagation import (
    COLLAPSED_CORRELATION,
    INITS,
    KEEP_FACTOR,
    PropagationResult,
    PropagationSetup,
    network_init,
    propagate,
)
from actlab.analysis.scalar_activation import scalar_activation
from actlab.analysis.self_normalisation import moment_fixed_point
from actlab.limits import MAX_TRIALS


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False, width=160)


def _number(value: float | None, digits: int = 6) -> str:
    if value is None:
        return "none"
    if isinstance(value, float) and math.isnan(value):
        return "undefined"
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    return f"{value:.{digits}g}"


def _json_value(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, np.ndarray):
        return [_json_value(float(v)) for v in value.ravel()]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def theory_report(name: str, sigma_w2: float | None, sigma_b2: float) -> dict:
    """Everything `actlab theory` prints, as data."""
    act = scalar_activation(name)
    recommendation = recommended_init(act)
    if sigma_w2 is None:
        sigma_w2 = recommendation.sigma_w2
    point = mean_field_point(act, sigma_w2, sigma_b2)
    snn = moment_fixed_point(act, 0.0, 1.0)
    return {
        "activation": act.label,
        "sigma_w2": sigma_w2,
        "sigma_b2": sigma_b2,
        "mean_field": point.as_dict(),
        "self_normalisation": {
            "omega": 0.0, "tau": 1.0, "found": snn.found, "mean": snn.mu, "variance": snn.nu,
            "spectral_radius": snn.spectral_radius, "spectral_norm": snn.spectral_norm,
            "self_normalising": snn.normalised,
        },
        "initialisation": recommendation.as_dict(),
        "torch_gain_note": TORCH_GAIN_NOTES.get(act.spec.name),
    }


PHASE_TEXT = {
    "ordered": "ordered (χ₁ < 1): nearby inputs converge, gradients vanish with depth",
    "critical": f"critical (|χ₁ − 1| ≤ {CRITICAL_TOLERANCE:g}): the edge of chaos",
    "chaotic": "chaotic (χ₁ > 1): nearby inputs decorrelate, gradients explode with depth",
    "unbounded": "unbounded: the pre-activation variance grows without limit",
}


@click.command("theory")
@click.argument("name")
@click.option("--sigma-w2", type=float, default=None,
              help="Weight variance σ_w² (weights N(0, σ_w²/fan_in)); default: the "
                   "recommended initialisation's.")
@click.option("--sigma-b2", type=float, default=0.0, show_default=True,
              help="Bias variance σ_b².")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--phase-diagram", "diagram_path", type=click.Path(dir_okay=False),
              help="Write the (σ_w², σ_b²) phase diagram to this PNG, SVG or PDF file.")
def theory_command(name: str, sigma_w2: float | None, sigma_b2: float, as_json: bool,
                   diagram_path: str | None) -> None:
    """Mean-field theory of NAME: q*, χ₁, depth scales, the critical σ_w², the init gain."""
    if diagram_path is not None:
        from actlab.report.figure_files import check_writable, figure_format

        figure_format(diagram_path)
        check_writable(diagram_path)
    report = theory_report(name, sigma_w2, sigma_b2)
    if diagram_path is not None:
        from actlab.analysis.phase_diagram import phase_diagram
        from actlab.report.figure_files import save_figure
        from actlab.report.theory_plots import phase_diagram_figure

        point = (report["sigma_w2"], report["sigma_b2"])
        diagram = phase_diagram(name, sigma_w2_max=None, sigma_b2_max=max(0.5, 1.25 * point[1]))
        if point[0] > diagram.sigma_w2[-1]:
            diagram = phase_diagram(name, sigma_w2_max=1.25 * point[0],
                                    sigma_b2_max=max(0.5, 1.25 * point[1]))
        save_figure(phase_diagram_figure(diagram, point), diagram_path)
        report["phase_diagram"] = str(diagram_path)
    if as_json:
        click.echo(json.dumps(_json_value(report), indent=2, ensure_ascii=False))
        return
    _print_theory(report)


def _depth_text(xi: float, chi: float, what: str) -> str:
    if math.isnan(chi):
        return "undefined: no finite fixed point"
    if chi > 1 + 1e-12:
        return f"none: the fixed point repels ({what} = {_number(chi)} > 1)"
    return f"{_number(xi, 4)} layers  ({what} = {_number(chi)})"


def _print_theory(report: dict) -> None:
    mf, init, snn = report["mean_field"], report["initialisation"], report["self_normalisation"]
    console = _console()
    console.print(f"[bold]{escape(report['activation'])}[/bold] at "
                  f"σ_w² = {report['sigma_w2']:.6g}, "
                  f"σ_b² = {report['sigma_b2']:.6g}  (weights N(0, σ_w²/fan_in), biases "
                  f"N(0, σ_b²); mean-field theory, Poole et al. 2016, Schoenholz et al. 2017)")
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()

    def row(label: str, text: str) -> None:
        # Formulas like E[φ(z)²] would otherwise read as rich markup.
        table.add_row(escape(label), escape(text))

    row("phase", PHASE_TEXT[mf["phase"]])
    row("q*", f"{_number(mf['q_star'])}  (pre-activation variance fixed point, "
                        f"iterated from q⁰ = 1)")
    row("χ₁", f"{_number(mf['chi_1'])}  (σ_w² E[φ′(√q* z)²])")
    row("ξ_q", _depth_text(mf["xi_q"], mf["chi_q"], "χ_q = dq^l/dq^(l-1)"))
    row("c*", f"{_number(mf['c_star'])}  (correlation fixed point)")
    row("ξ_c", _depth_text(mf["xi_c"], mf["chi_c"], "χ_c = σ_w² E[φ′(u₁)φ′(u₂)] at c*"))
    critical = mf["critical_sigma_w2"]
    if critical is not None:
        row("critical σ_w²", f"{_number(critical)} at σ_b² = "
                                       f"{report['sigma_b2']:.6g}  (χ₁ = 1)")
    elif math.isfinite(mf["ordered_edge_sigma_w2"]):
        row("critical σ_w²", f"none at σ_b² = {report['sigma_b2']:.6g}: the ordered "
                      f"phase ends at σ_w² = {_number(mf['ordered_edge_sigma_w2'])} where q* "
                      f"jumps while χ₁ < 1")
    else:
        row("critical σ_w²", f"none at σ_b² = {report['sigma_b2']:.6g} "
                                       f"(χ₁ < 1 for every σ_w² ≤ 1000)")
    row("variance-preserving gain",
                  f"{_number(init['variance_preserving_gain'])}  (g² E[φ(z)²] = 1, z ~ N(0, 1))")
    torch_gain = init["torch_gain"]
    note = report["torch_gain_note"]
    row("PyTorch calculate_gain", _number(torch_gain) if torch_gain is not None
                  else "no value for this activation")
    if note:
        row("", note)
    row("recommended init", f"{init['init']}  (gain {_number(init['gain'])}, "
                                      f"σ_w² = {_number(init['sigma_w2'])}, σ_b² = 0)")
    row("", init["reason"])
    snn_text = ("yes: (mean 0, variance 1) is a stable fixed point" if snn["self_normalising"]
                else f"no: the moment fixed point is (μ, ν) = ({_number(snn['mean'], 4)}, "
                     f"{_number(snn['variance'], 4)})" if snn["found"]
                else "no: the variance grows without bound")
    row("self-normalising", f"{snn_text}; spectral radius "
                                      f"{_number(snn['spectral_radius'], 4)} "
                                      f"(lecun_normal, Klambauer et al. 2017)")
    if "phase_diagram" in report:
        row("phase diagram", f"written to {report['phase_diagram']}")
    console.print(table)


def summary_rows(results: list[PropagationResult]) -> list[dict]:
    """One row per activation: what `actlab propagate` prints (also as JSON)."""
    rows = []
    for r in results:
        q = r.simulation_mean("pre_second_moment")
        corr = r.simulation_mean("correlation")
        rows.append({
            "activation": r.activation,
            "init": r.init.name,
            "sigma_w2": r.init.sigma_w2,
            "sigma_b2": r.init.sigma_b2,
            "q_first": float(q[0]), "q_last": float(q[-1]),
            "q_last_theory": float(r.theory.pre_second_moment[-1]),
            "mean_last": float(r.simulation_mean("post_mean")[-1]),
            "variance_last": float(r.simulation_mean("post_variance")[-1]),
            "correlation_first": float(corr[0]), "correlation_last": float(corr[-1]),
            "correlation_last_theory": float(r.theory.correlation[-1]),
            "gradient_ratio": r.verdict.backward_ratio,
            "gradient_ratio_theory": float(r.theory.grad_norm[0] / r.theory.grad_norm[-1]),
            "forward": r.verdict.forward,
            "backward": r.verdict.backward,
            "inputs": r.verdict.correlation,
        })
    return rows


@click.command("propagate")
@click.argument("names", nargs=-1, required=True)
@click.option("--depth", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--width", type=click.IntRange(min=2), default=1000, show_default=True)
@click.option("--init", "init_name", type=click.Choice(INITS), default="lecun_normal",
              show_default=True, help="Weight initialisation (critical: the order-to-chaos "
                                      "σ_w² at --sigma-b2).")
@click.option("--sigma-w2", type=float, default=None,
              help="Weight variance σ_w² instead of the init's own.")
@click.option("--sigma-b2", type=float, default=0.0, show_default=True,
              help="Bias variance σ_b².")
@click.option("--alpha-dropout", type=float, default=0.0, show_default=True,
              help="torch.nn.AlphaDropout probability after every hidden activation.")
@click.option("--seeds", type=click.IntRange(min=1), default=1, show_default=True,
              help="Number of random networks per activation (seeds 0, 1, …).")
@click.option("--pairs", type=click.IntRange(min=1), default=64, show_default=True,
              help="Input pairs (2 × pairs standardised samples).")
@click.option("--input-correlation", type=float, default=0.5, show_default=True,
              help="Correlation of the two inputs in each pair.")
@click.option("--output", "output_dir", type=click.Path(file_okay=False), default=".",
              show_default=True, help="Folder for propagation.png and propagation.json.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def propagate_command(names: tuple[str, ...], depth: int, width: int, init_name: str,
                      sigma_w2: float | None, sigma_b2: float, alpha_dropout: float, seeds: int,
                      pairs: int, input_correlation: float, output_dir: str,
                      as_json: bool) -> None:
    """Simulate deep random networks with each activation NAME, theory alongside."""
    from actlab.report.figure_files import check_writable, save_figure, write_atomically
    from actlab.report.theory_plots import propagation_figure

    MAX_TRIALS.check(seeds, f"--seeds {seeds}")  # one network each, before any is drawn
    folder = Path(output_dir)
    figure_path = check_writable(folder / "propagation.png")
    data_path = check_writable(folder / "propagation.json")
    setup = PropagationSetup(depth=depth, width=width, alpha_dropout=alpha_dropout,
                             pairs=pairs, input_correlation=input_correlation,
                             seeds=tuple(range(seeds)))
    results = []
    for name in names:
        init = network_init(init_name, name, sigma_w2=sigma_w2, sigma_b2=sigma_b2)
        results.append(propagate(name, init, setup))
    save_figure(propagation_figure(results), figure_path)
    rows = summary_rows(results)
    data = {"setup": {"depth": depth, "width": width, "alpha_dropout": alpha_dropout,
                      "seeds": seeds, "pairs": pairs, "input_correlation": input_correlation},
            "thresholds": {"keep_factor": KEEP_FACTOR,
                           "collapsed_correlation": COLLAPSED_CORRELATION},
            "summary": rows,
            "layers": {r.activation: {
                "simulation": {k: r.simulation_mean(k).tolist()
                               for k in ("pre_second_moment", "post_mean", "post_variance",
                                         "correlation", "grad_norm")},
                "theory": {k: getattr(r.theory, k).tolist()
                           for k in ("pre_second_moment", "post_mean", "post_variance",
                                     "correlation", "grad_norm")}} for r in results}}
    text = json.dumps(_json_value(data), indent=2, ensure_ascii=False)
    write_atomically(data_path, lambda file: file.write(text.encode()))
    if as_json:
        click.echo(json.dumps(_json_value({"summary": rows, "figure": str(figure_path),
                                           "data": str(data_path)}), indent=2,
                              ensure_ascii=False))
        return
    _print_summary(rows, depth, figure_path, data_path)


def _print_summary(rows: list[dict], depth: int, figure_path: Path, data_path: Path) -> None:
    console = _console()
    table = Table(title=f"Signal propagation through {depth} layers (simulation; theory in "
                        f"brackets)", title_justify="left")
    for column in ("activation", "init σ_w²/σ_b²", "q¹ → q^L", "mean, var of φ at L",
                   "c¹ → c^L", "‖δ¹‖/‖δ^L‖", "forward", "backward", "inputs"):
        table.add_column(column, overflow="fold")
    for r in rows:
        cells = (
            r["activation"], f"{r['init']} {r['sigma_w2']:.4g}/{r['sigma_b2']:.3g}",
            f"{r['q_first']:.3g} → {r['q_last']:.3g} [{r['q_last_theory']:.3g}]",
            f"{r['mean_last']:.3g}, {r['variance_last']:.3g}",
            f"{r['correlation_first']:.3f} → {r['correlation_last']:.3f} "
            f"[{r['correlation_last_theory']:.3f}]",
            f"{r['gradient_ratio']:.3g} [{r['gradient_ratio_theory']:.3g}]",
            r["forward"], r["backward"], r["inputs"])
        table.add_row(*(escape(c) for c in cells))
    console.print(table)
    console.print(f"kept: the last layer's value is within a factor {KEEP_FACTOR:g} of the "
                  f"first's (forward: q^l = E[(h^l)²]; backward: the gradient norm at layer 1 "
                  f"over layer L); vanishes: below 1/{KEEP_FACTOR:g}; explodes: above "
                  f"{KEEP_FACTOR:g}×. inputs collapsed: c^L ≥ {COLLAPSED_CORRELATION:g}.")
    console.print(f"wrote {escape(str(figure_path))} and {escape(str(data_path))}")


def register(group: click.Group) -> None:
    group.add_command(theory_command)
    group.add_command(propagate_command)
