"""A study's report: one self-contained HTML page, a Markdown summary and CSV tables.

    >>> from actlab.report.study_report import write_study_report
    >>> report = write_study_report("actlab-runs/quick")      # doctest: +SKIP
    >>> report.html                                          # doctest: +SKIP
    PosixPath('actlab-runs/quick/report.html')

The HTML embeds its plots as base64 PNGs and its style inline: it requests nothing.
It shows, per grid condition, the final-metric table with confidence intervals, the
ranking and its verdicts, loss and accuracy curves (mean and band over seeds),
first-layer gradients, gradient norms by layer, activation statistics, dead and
saturated units; then divergences and failures.
"""

from __future__ import annotations

import csv
import datetime
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from actlab.code_references import display_reference
from actlab.report.figure_files import OutputPathError, write_atomically
from actlab.report.study_anchors import anchor_context
from actlab.report.study_figures import (
    figure_png_base64,
    plot_activation_statistics,
    plot_curve_bands,
    plot_final_metric,
    plot_first_layer_gradients,
    plot_gradient_norms,
)
from actlab.report.trainability_plot import plot_trainability
from actlab.studies.expansion import condition_label
from actlab.studies.metrics import METRICS, Metric
from actlab.studies.results import ConditionResults, StudyResults, load_study_results
from actlab.studies.statistics import Comparison, Summary, format_p, pair_verdict
from actlab.studies.trainability import PUBLISHED_MULTIPLE, PUBLISHED_SOURCE, trainability_maps

TEMPLATES = Path(__file__).parent / "templates" / "study"
HTML_FILE = "report.html"
MARKDOWN_FILE = "report.md"
TABLES_DIR = "tables"
#: A grid with more conditions than this gets no per-condition figures (the page would be
#: megabytes of plots); its tables and, where it applies, the trainability map remain.
MAX_FIGURE_CONDITIONS = 12


@dataclass(frozen=True)
class StudyReport:
    """The files a report wrote."""

    html: Path
    markdown: Path
    tables: tuple[Path, ...]
    headline: str


def format_value(metric: Metric, value: float | None) -> str:
    """Accuracies with 4 decimals (as seed 003's table), losses with 4 significant digits."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.4f}" if "accuracy" in metric.name else f"{value:.4g}"


def _interval(metric: Metric, summary: Summary) -> str:
    if summary.n == 0:
        return "–"
    if not math.isfinite(summary.ci_low):
        return format_value(metric, summary.mean)
    return (f"{format_value(metric, summary.mean)} ± "
            f"{format_value(metric, summary.half_width)}")


def _rows(comparison: Comparison, condition: ConditionResults) -> list[dict[str, Any]]:
    """The headline table: one row per activation, best mean rank first."""
    metric = comparison.metric
    rows = []
    for position, label in enumerate(comparison.ranking, start=1):
        summary = comparison.summaries[label]
        records = condition.records_of(label)
        rows.append({
            "rank": position, "label": label,
            "mean": format_value(metric, summary.mean),
            "interval": _interval(metric, summary),
            "ci": ("–" if not math.isfinite(summary.ci_low) else
                   f"[{format_value(metric, summary.ci_low)}, "
                   f"{format_value(metric, summary.ci_high)}]"),
            "std": format_value(metric, summary.std) if summary.n > 1 else "–",
            "n": summary.n, "seeds": len(records),
            "diverged": summary.diverged,
            "failed": sum(1 for r in records if r.status == "failed"),
            "missing": sum(1 for r in records if r.status in ("missing", "running")),
            "mean_rank": (f"{comparison.mean_ranks[label]:.2f}"
                          if math.isfinite(comparison.mean_ranks[label]) else "–"),
            "reference": _reference(condition, comparison, label),
        })
    return rows


def _reference(condition: ConditionResults, comparison: Comparison,
               label: str) -> dict[str, Any] | None:
    """A published single value (seed 003's) and whether our interval contains it."""
    spec = condition.spec
    value = spec.reference_value(label, condition.label)
    if comparison.metric.name != spec.metric or value is None:
        return None
    summary = comparison.summaries[label]
    inside = (summary.ci_low <= value <= summary.ci_high
              if math.isfinite(summary.ci_low) else None)
    return {"value": format_value(comparison.metric, value),
            "inside": "–" if inside is None else "inside" if inside else "outside"}


def _split_verdicts(comparison: Comparison) -> tuple[list[str], list[str]]:
    """General verdicts and those of neighbours in the ranking; the other pairs apart."""
    metric, alpha = comparison.metric, comparison.alpha
    by_pair = {(p.a, p.b): pair_verdict(p, metric, alpha, comparison.unit)
               for p in comparison.pairs}
    pair_texts = set(by_pair.values())
    general = [v for v in comparison.verdicts if v not in pair_texts]
    ranked = [label for label in comparison.ranking if (label, label) not in by_pair]
    neighbours = [by_pair[pair] for pair in zip(ranked, ranked[1:], strict=False)
                  if pair in by_pair]
    others = [text for text in by_pair.values() if text not in neighbours]
    return general + neighbours, others


def _pair_rows(comparison: Comparison) -> list[dict[str, Any]]:
    metric = comparison.metric
    return [{"a": p.a, "b": p.b, "n": p.n, "wins": f"{p.wins_a}–{p.wins_b}",
             "difference": (f"{p.mean_difference:+.4f}" if "accuracy" in metric.name
                            else f"{p.mean_difference:+.4g}"),
             "p": format_p(p.p_value), "p_holm": format_p(p.p_holm),
             "significant": p.p_holm < comparison.alpha}
            for p in comparison.pairs]


def _all_metrics_rows(condition: ConditionResults) -> list[dict[str, Any]]:
    rows = []
    for label in condition.labels:
        row = {"label": label}
        for name, metric in METRICS.items():
            row[name] = _interval(metric, condition.comparison(name).summaries[label])
        rows.append(row)
    return rows


#: The target of the milestone table: a perfect score on an accuracy.
PERFECT_ACCURACY = 1.0


def _milestone_rows(condition: ConditionResults) -> list[dict[str, Any]]:
    """Per activation: the share of seeds whose accuracy reaches 100 % (Wilson 95 % CI), the
    share that ends there, and the epoch each first reached it. Empty unless the study
    compares an accuracy and some trial reached 100 %."""
    metric = condition.spec.metric
    if "accuracy" not in metric:
        return []
    milestones = [condition.milestone(label, PERFECT_ACCURACY) for label in condition.labels]
    if not any(m.reached.k for m in milestones):
        return []
    rows = []
    for m in milestones:
        low, high = m.epoch_quartiles()
        rows.append({
            "label": m.label, "trials": m.trials,
            "reached": f"{m.reached.k} / {m.reached.n}",
            "rate": f"{m.reached.rate:.2f}" if m.reached.n else "–",
            "ci": (f"[{m.reached.low:.2f}, {m.reached.high:.2f}]" if m.reached.n else "–"),
            "ended": f"{m.ended.k} / {m.ended.n}",
            "median": f"{m.median_epoch:g}" if m.epochs else "–",
            "quartiles": f"{low:g}–{high:g}" if m.epochs else "–",
            "range": f"{min(m.epochs):g}–{max(m.epochs):g}" if m.epochs else "–",
        })
    return rows


def _figures(condition: ConditionResults) -> list[dict[str, str]]:
    """Every figure of a condition as {id, title, caption, png}; absent figures skipped."""
    primary = condition.primary
    builders = (
        ("final", f"Final {primary.metric.title} per seed", plot_final_metric(
            condition, primary),
         "Each dot is one seed; the bar is the mean with its 95 % Student-t interval. "
         "Diverged trials are marked × at the bottom and have no value."),
        ("curves", "Loss and accuracy during training", plot_curve_bands(condition),
         "Mean over seeds, shaded: 95 % t band of the mean at each evaluation."),
        ("first-layer-gradients", "First-layer gradients (seed 003's view)",
         plot_first_layer_gradients(condition),
         "Quantile bands of the first layer's weight and bias gradients during training, "
         "for the lowest seed of each activation, on a shared scale per row."),
        ("gradient-norms", "Gradient norms", plot_gradient_norms(condition),
         "Left: the first weight layer's gradient norm (log scale, mean over seeds). Right: "
         "each weight layer's gradient norm averaged over training and seeds: vanishing "
         "gradients fall towards the input."),
        ("activations", "Activation statistics, dead and saturated units",
         plot_activation_statistics(condition),
         "Top: mean and standard deviation of each activation site on a fixed probe batch at "
         "the end of training (mean over seeds). Bottom: the fraction of dead units (zero "
         "derivative on the whole probe batch) and of saturated values over training."),
    )
    figures = []
    for ident, title, figure, caption in builders:
        if figure is None:
            continue
        figures.append({"id": ident, "title": title, "caption": caption,
                        "png": figure_png_base64(figure)})
    return figures


def _section(index: int, condition: ConditionResults, include_figures: bool, *,
             pooled: bool = False) -> dict[str, Any]:
    primary = condition.primary
    expected = primary.expected
    return {
        "anchor": "pooled" if pooled else f"condition-{index}",
        "title": condition.label or "All trials",
        "intro": ("Every condition of the grid together: each (seed, condition) pair is one "
                  "block of the paired tests, so the verdicts below answer for the whole "
                  "grid, with more pairs than any single condition has." if pooled else ""),
        "unit": primary.unit,
        "metric": primary.metric.title,
        "rows": _rows(primary, condition),
        "ranking": " > ".join(primary.ranking),
        "verdicts": _split_verdicts(primary)[0],
        "other_verdicts": _split_verdicts(primary)[1],
        "reference_source": condition.spec.reference_source or "reference",
        "has_reference": any(row["reference"] for row in _rows(primary, condition)),
        "notes": list(primary.notes),
        "pairs": _pair_rows(primary),
        "expected": None if expected is None else {
            "summary": expected.summary,
            "steps": [{"claim": f"{s.better} > {s.worse}",
                       "observed": ("tie" if s.observed_direction is None else
                                    "as expected" if s.observed_direction else "reversed"),
                       "p_holm": format_p(s.p_holm), "significant": s.significant}
                      for s in expected.steps]},
        "all_metrics": _all_metrics_rows(condition),
        "milestones": [] if pooled else _milestone_rows(condition),
        "milestone_metric": primary.metric.title.removeprefix("final "),
        "figures": _figures(condition) if include_figures else [],
        "paired_seeds": len(primary.paired_seeds),
    }


def headline(results: StudyResults) -> str:
    """One sentence per condition: the ranking on the study's metric and its best entry
    (for one activation over a grid: its best and worst conditions)."""
    if len(results.spec.activations) == 1 and len(results.conditions) > 1:
        return _grid_headline(results)
    parts = []
    for condition in results.conditions:
        primary = condition.primary
        best = primary.ranking[0]
        summary = primary.summaries[best]
        where = f"{condition.label}: " if condition.label else ""
        parts.append(f"{where}best {primary.metric.title}: {best} "
                     f"{_interval(primary.metric, summary)} (n = {summary.n}); ranking "
                     f"{' > '.join(primary.ranking)}")
    return "; ".join(parts)


def _grid_headline(results: StudyResults) -> str:
    metric = results.metric
    scored = []
    for condition in results.conditions:
        summary = condition.primary.summaries[results.spec.labels[0]]
        if summary.n:
            scored.append((summary.mean, condition.label, summary))
    if not scored:
        return f"no {metric.title} yet"
    scored.sort(key=lambda item: item[0], reverse=metric.higher_is_better)
    (_, best, top), (_, worst, bottom) = scored[0], scored[-1]
    return (f"{results.spec.labels[0]}: best {metric.title} {_interval(metric, top)} at "
            f"{best} (n = {top.n}), worst {_interval(metric, bottom)} at {worst} "
            f"(n = {bottom.n}), over {len(results.conditions)} conditions")


def _protocol(results: StudyResults) -> list[tuple[str, str]]:
    spec = results.spec
    def show(mapping: Any) -> str:
        return ", ".join(f"{k} = {v}" for k, v in dict(mapping).items()) or "defaults"
    rows = [("dataset", display_reference(spec.dataset)
             + (f" ({show(spec.dataset_options)})" if spec.dataset_options else "")
             + (f", data seed {spec.data_seed}" if spec.data_seed is not None else "")),
            ("model", display_reference(spec.model) + (f" ({show(spec.model_options)})"
                                                       if spec.model_options else "")),
            ("training", show(spec.training)),
            ("seeds", ", ".join(str(s) for s in spec.seeds)),
            ("activations", ", ".join(a.label for a in spec.activations))]
    for entry in spec.activations:
        extra = {**{f"param {k}": v for k, v in entry.params.items()},
                 **{f"model {k}": v for k, v in entry.model.items()},
                 **{f"training {k}": v for k, v in entry.training.items()}}
        if extra or entry.label != entry.name:
            rows.append((f"  {entry.label}", (f"{entry.name}; " if entry.label != entry.name
                                              else "") + show(extra)))
    if spec.grid:
        rows.append(("grid", "; ".join(f"{k} ∈ {list(v)}" for k, v in spec.grid.items())))
    rows.append(("compared on", METRICS[spec.metric].title))
    if spec.claim:
        rows.append(("claim tested", spec.claim))
    return rows


def kernel_rows(results: StudyResults) -> list[tuple[str, str]]:
    """What code computed the activations, from the trials' records: one protocol row
    ("relu: native; lisht: analytic"), none for stores from before trials recorded it."""
    ran: dict[str, set[str]] = {}
    for record in results.records:
        for kernel in (record.result or {}).get("kernels", ()):
            text = kernel["implementation"]
            if kernel["compile"] != "eager":
                text += f" ({kernel['compile']})"
            ran.setdefault(record.trial.activation, set()).add(text)
    if not ran:
        return []
    return [("code that ran", "; ".join(f"{activation}: {', '.join(sorted(texts))}"
                                        for activation, texts in ran.items()))]


def _model_context(results: StudyResults) -> dict[str, Any] | None:
    """The model's parameter count and activation sites per activation, and the activation
    functions its forward calls (recorded when the study started; for a study run before
    that was recorded, what its trial results say)."""
    described = results.models
    if not described:
        described = []
        for label in results.spec.labels:
            record = next((r for r in results.records if r.trial.activation == label
                           and r.status == "finished" and r.result), None)
            if record is not None:
                described.append({
                    "activation": label, "parameters": record.result.get("parameter_count", 0),
                    "sites": [{"names": [s["site"]], "type": s.get("activation", "")}
                              for s in record.result.get("activation_sites", [])],
                    "functional_summary": ""})
    if not described:
        return None
    first = described[0]
    return {
        "rows": [{"activation": m["activation"], "parameters": f"{m['parameters']:,}",
                  "sites": len(m["sites"])} for m in described],
        "first": first["activation"],
        "sites": [{"names": ", ".join(s["names"]), "type": s["type"]} for s in first["sites"]],
        "functional_summary": first.get("functional_summary", ""),
        "functional": [f"{c['function']} in {c['module'] or 'the model'}'s forward"
                       + (f" ({c['source']})" if c.get("source") else "")
                       for c in first.get("functional", {}).get("calls", [])],
    }


def _number(value: float, digits: int = 3) -> str:
    if not math.isfinite(value):
        return "∞" if value == math.inf else "–"
    return f"{value:.{digits}g}"


def _trainability(results: StudyResults, include_figures: bool) -> list[dict[str, Any]]:
    """The (σ_w², depth) maps of an edge-of-chaos study, checked against Schoenholz's line."""
    out = []
    for tmap in trainability_maps(results):
        columns = []
        for check in tmap.columns():
            low, high = check.multiple_range
            columns.append({
                "sigma_w2": f"{check.sigma_w2:g}", "xi_c": _number(check.xi_c),
                "line": _number(PUBLISHED_MULTIPLE * check.xi_c),
                "deepest": check.deepest_trainable if check.deepest_trainable is not None
                else "none",
                "failing": check.shallowest_failing if check.shallowest_failing is not None
                else "none",
                "range": f"[{_number(low, 2)}, {_number(high, 2)}]",
                "verdict": check.verdict()})
        low, high = tmap.multiple_range()
        consistent = sum(1 for c in columns if c["verdict"] == "consistent")
        if math.isfinite(low) and low <= high:
            where = "inside" if low <= PUBLISHED_MULTIPLE <= high else "outside"
            summary = (f"Every σ_w² column agrees with a boundary L = a·ξ_c for a between "
                       f"{_number(low, 2)} and {_number(high, 2)}; the published "
                       f"a = {PUBLISHED_MULTIPLE:g} is {where} that range.")
        else:
            brackets = [c.multiple_range for c in tmap.columns()
                        if math.isfinite(c.multiple_range[0]) and c.deepest_trainable
                        and c.shallowest_failing]
            spread = (f" Where a column brackets it, the boundary lies between "
                      f"{_number(min(b[0] for b in brackets), 2)} ξ_c and "
                      f"{_number(max(b[1] for b in brackets), 2)} ξ_c."
                      if brackets else "")
            summary = ("No single multiple of ξ_c separates the trainable from the "
                       "untrainable cells in every σ_w² column." + spread)
        summary += (f" {consistent} of {len(columns)} columns are consistent with "
                    f"L = {PUBLISHED_MULTIPLE:g} ξ_c; in the others the networks stop "
                    f"training at a smaller multiple (\"fails earlier\") or train beyond "
                    f"it (\"trains deeper\").")
        out.append({
            "label": tmap.label, "activation": tmap.activation, "sigma_b2": tmap.sigma_b2,
            "threshold": f"{tmap.threshold:.2f}", "chance": f"{tmap.chance:.2f}",
            "columns": columns, "summary": summary,
            "png": figure_png_base64(plot_trainability(tmap)) if include_figures else None})
    return out


def _condition_rows(results: StudyResults) -> list[dict[str, Any]]:
    """Each grid condition of a one-activation study: its metric over seeds."""
    rows = []
    for condition in results.conditions:
        comparison = condition.primary
        label = comparison.labels[0]
        summary = comparison.summaries[label]
        records = condition.records_of(label)
        rows.append({"condition": condition.label,
                     "interval": _interval(comparison.metric, summary),
                     "ci": ("–" if not math.isfinite(summary.ci_low) else
                            f"[{format_value(comparison.metric, summary.ci_low)}, "
                            f"{format_value(comparison.metric, summary.ci_high)}]"),
                     "n": summary.n, "seeds": len(records), "diverged": summary.diverged,
                     "failed": sum(1 for r in records if r.status == "failed")})
    return rows


def _context(results: StudyResults, include_figures: bool = True) -> dict[str, Any]:
    from actlab import __version__

    spec = results.spec
    records = results.records
    figures = include_figures and len(results.conditions) <= MAX_FIGURE_CONDITIONS
    # One activation over a grid: nothing to rank per condition, one table says it all.
    compact = len(spec.activations) == 1 and len(results.conditions) > 1
    anchors = anchor_context(results)
    anchors["trainability"] = _trainability(results, include_figures)
    anchors["trainability_source"] = PUBLISHED_SOURCE
    return {
        "spec": spec, "version": __version__, "headline": headline(results),
        "generated": datetime.datetime.now().isoformat(timespec="seconds"),
        "protocol": _protocol(results) + kernel_rows(results), "anchors": anchors,
        "model": _model_context(results),
        "figures_left_out": include_figures and not figures,
        "condition_rows": _condition_rows(results) if compact else [],
        "sections": [] if compact else
        [_section(i, c, figures) for i, c in enumerate(results.conditions, start=1)]
        + ([_section(0, results.pooled, False, pooled=True)] if results.pooled else []),
        "counts": {"total": len(records), "finished": results.count("finished"),
                   "failed": results.count("failed"), "diverged": len(results.diverged),
                   "nan_loss": len(results.nan_losses),
                   "missing": results.count("missing") + results.count("running"),
                   "other": results.other_trials},
        "divergences": [{"activation": r.trial.activation, "seed": r.trial.seed,
                         "condition": condition_label(r.trial.condition),
                         "step": (r.result or {}).get("diverged_step"),
                         "reason": (r.result or {}).get("divergence", "")}
                        for r in results.diverged],
        "nan_losses": _nan_loss_rows(results),
        "failures": [{"activation": r.trial.activation, "seed": r.trial.seed,
                      "condition": condition_label(r.trial.condition), "error": r.error}
                     for r in results.failed],
        "alpha": 0.05, "spec_metric": results.metric.title,
    }


def _nan_loss_rows(results: StudyResults) -> list[dict[str, Any]]:
    """Each trial with a NaN loss but finite weights, and how the statistics counted it."""
    metric = results.metric
    rows = []
    for record in results.nan_losses:
        result = record.result or {}
        value = record.final(metric.name)
        counted = (f"kept: {metric.title} {format_value(metric, value)}, counted like "
                   f"every other trial" if value is not None else
                   f"diverged: no finite {metric.title}, counted as the worst of its "
                   f"{'seed' if len(results.conditions) == 1 else 'seed and condition'}")
        rows.append({"activation": record.trial.activation, "seed": record.trial.seed,
                     "condition": condition_label(record.trial.condition),
                     "flag": record.nan_loss, "step": result.get("nan_loss_step"),
                     "steps": result.get("nan_loss_steps"), "of": result.get("steps"),
                     "counted": counted})
    return rows


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                              autoescape=jinja2.select_autoescape(("html", "html.j2")),
                              trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined)


def render_html(results: StudyResults) -> str:
    """The report as one self-contained HTML page."""
    context = _context(results)
    context["css"] = (TEMPLATES / "study.css").read_text(encoding="utf-8")
    return _environment().get_template("report.html.j2").render(**context)


def render_markdown(results: StudyResults) -> str:
    """The report's tables, rankings and verdicts as Markdown (no figures)."""
    return _environment().get_template("summary.md.j2").render(
        **_context(results, include_figures=False))


def _csv_tables(results: StudyResults) -> dict[str, tuple[list[str], list[list[Any]]]]:
    trials_header = ["condition", "activation", "seed", "status", "diverged", "nan_loss",
                     "trial_id", *METRICS, "duration_s", "error"]
    trial_rows = []
    for record in results.records:
        trial_rows.append([
            condition_label(record.trial.condition), record.trial.activation,
            record.trial.seed, record.status, int(record.diverged), record.nan_loss,
            record.trial.trial_id,
            *[_csv_number(record.final(name)) for name in METRICS],
            _csv_number(record.stored.duration_s if record.stored else None), record.error])
    summary_header = ["condition", "metric", "activation", "n", "mean", "std", "ci_low",
                      "ci_high", "diverged", "missing", "mean_rank", "rank"]
    summary_rows, pair_rows = [], []
    pairs_header = ["condition", "metric", "a", "b", "n", "nonzero", "wins_a", "wins_b",
                    "mean_difference", "statistic", "p", "p_holm"]
    pooled = [results.pooled] if results.pooled is not None else []
    for condition in [*results.conditions, *pooled]:
        label = condition.label
        for name in METRICS:
            comparison = condition.comparison(name)
            for label_ in condition.labels:
                s = comparison.summaries[label_]
                summary_rows.append([label, name, label_, s.n, *map(_csv_number, (
                    s.mean, s.std, s.ci_low, s.ci_high)), s.diverged, s.missing,
                    _csv_number(comparison.mean_ranks[label_]),
                    comparison.ranking.index(label_) + 1])
            for p in comparison.pairs:
                pair_rows.append([label, name, p.a, p.b, p.n, p.nonzero, p.wins_a, p.wins_b,
                                  *map(_csv_number, (p.mean_difference, p.statistic,
                                                     p.p_value, p.p_holm))])
    return {"trials.csv": (trials_header, trial_rows),
            "summary.csv": (summary_header, summary_rows),
            "pairwise.csv": (pairs_header, pair_rows)}


def _csv_number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return repr(float(value)) if isinstance(value, float) else str(value)


def _write_text(path: Path, text: str) -> Path:
    return write_atomically(path, lambda file: file.write(text.encode("utf-8")))


def _write_csv(path: Path, header: list[str], rows: Iterable[list[Any]]) -> Path:
    def write(file: Any) -> None:
        import io

        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        file.write(text.getvalue().encode("utf-8"))
    return write_atomically(path, write)


def write_study_report(study_dir: str | os.PathLike[str], *,
                       output_dir: str | os.PathLike[str] | None = None,
                       results: StudyResults | None = None) -> StudyReport:
    """Write report.html, report.md and tables/*.csv for the study in `study_dir`.

    The files go to `output_dir` (default: the study folder itself).
    """
    results = results or load_study_results(study_dir)
    folder = Path(output_dir) if output_dir is not None else Path(study_dir)
    if folder.exists() and not folder.is_dir():
        raise OutputPathError(f"cannot write the report to {str(folder)!r}: it is a file")
    try:
        (folder / TABLES_DIR).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputPathError(f"cannot create {str(folder / TABLES_DIR)!r}: "
                              f"{err.strerror or err}") from None
    html = _write_text(folder / HTML_FILE, render_html(results))
    markdown = _write_text(folder / MARKDOWN_FILE, render_markdown(results))
    tables = tuple(_write_csv(folder / TABLES_DIR / name, header, rows)
                   for name, (header, rows) in _csv_tables(results).items())
    return StudyReport(html, markdown, tables, headline(results))
