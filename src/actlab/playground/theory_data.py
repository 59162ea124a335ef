"""What the theory view shows, as JSON-ready data: mean-field numbers, phase diagram, depth.

For one elementwise activation and an initialisation (σ_w², σ_b²): q*, χ₁, the depth
scales, the critical σ_w² and the recommended init (`actlab.analysis.mean_field`,
`initialisation`); χ₁ over the (σ_w², σ_b²) plane with the order-to-chaos line
(`phase_diagram`); and the signal q^l, the correlation c^l and the gradient norm through
depth, from the mean-field recursion and from simulated random networks (`propagation`).
"""

from __future__ import annotations

import functools
import math
from typing import Any

from actlab.analysis.initialisation import recommended_init
from actlab.analysis.mean_field import mean_field_point, ordered_edge
from actlab.analysis.phase_diagram import phase_diagram
from actlab.analysis.propagation import (
    INITS,
    PropagationSetup,
    network_init,
    propagate,
)
from actlab.analysis.scalar_activation import scalar_activation
from actlab.playground.function_data import finite, finite_list

#: Initialisations the view offers: the named ones, or σ_w² given directly.
THEORY_INITS = (*INITS, "custom")
#: Input pairs of the propagation simulation (2 × pairs samples per layer).
SIMULATION_PAIRS = 32


def _numbers(values: dict[str, Any]) -> dict[str, Any]:
    return {k: finite(v) if isinstance(v, float) else v for k, v in values.items()}


@functools.lru_cache(maxsize=32)
def _phase_diagram(text: str, sigma_w2_max: float, sigma_b2_max: float) -> dict[str, Any]:
    # A coarser grid than `actlab theory --phase-diagram` draws: it answers in seconds.
    diagram = phase_diagram(text, sigma_w2_max=sigma_w2_max, sigma_b2_max=sigma_b2_max,
                            columns=31, rows=16, edge_points=16)
    return {"sigma_w2": finite_list(diagram.sigma_w2), "sigma_b2": finite_list(diagram.sigma_b2),
            "chi_1": [finite_list(row) for row in diagram.chi_1],
            "edge_sigma_b2": finite_list(diagram.edge_sigma_b2),
            "edge_sigma_w2": finite_list(diagram.edge_sigma_w2),
            "edge_critical": [bool(v) for v in diagram.edge_critical]}


def _diagram_range(edge_sigma_w2: float, point: tuple[float, float]) -> tuple[float, float]:
    """σ_w² up to twice the edge (at least 4) and past the point; σ_b² past the point."""
    sw = max(4.0, 2.0 * edge_sigma_w2) if math.isfinite(edge_sigma_w2) else 4.0
    sw = max(sw, 1.25 * point[0])
    sb = max(0.5, 1.25 * point[1])
    # Rounded up so that nearby points share one cached diagram.
    return float(math.ceil(sw)), float(math.ceil(sb * 4) / 4)


def phase_view(text: str, sigma_w2: float, sigma_b2: float) -> dict[str, Any]:
    """χ₁ over a (σ_w², σ_b²) grid that shows the edge of order and the point (σ_w², σ_b²)."""
    act = scalar_activation(text)
    edge, _ = ordered_edge(act, 0.0)
    sw_max, sb_max = _diagram_range(edge, (sigma_w2, sigma_b2))
    return {"activation": act.label, **_phase_diagram(text, sw_max, sb_max)}


def theory_view(text: str, init: str, sigma_w2: float | None, sigma_b2: float, depth: int,
                width: int, seed: int) -> dict[str, Any]:
    """Mean-field numbers and signal propagation through `depth` layers."""
    act = scalar_activation(text)
    recommendation = recommended_init(act)
    if init == "custom":
        if sigma_w2 is None:
            sigma_w2 = recommendation.sigma_w2
        setup_init = network_init("lecun_normal", act, sigma_w2=sigma_w2, sigma_b2=sigma_b2)
    else:
        setup_init = network_init(init, act, sigma_b2=sigma_b2)
    sigma_w2 = setup_init.sigma_w2
    point = mean_field_point(act, sigma_w2, sigma_b2)
    setup = PropagationSetup(depth=depth, width=width, pairs=SIMULATION_PAIRS, seeds=(seed,))
    result = propagate(act, setup_init, setup)
    layers = list(range(1, depth + 1))
    profiles = {
        "layers": layers,
        "theory": {k: finite_list(getattr(result.theory, k))
                   for k in ("pre_second_moment", "correlation", "grad_norm")},
        "simulation": {k: finite_list(result.simulation_mean(k))
                       for k in ("pre_second_moment", "correlation", "grad_norm")},
        "verdict": {"forward": result.verdict.forward, "backward": result.verdict.backward,
                    "inputs": result.verdict.correlation},
    }
    return {
        "activation": act.label,
        "init": setup_init.name if init != "custom" else "custom",
        "sigma_w2": sigma_w2, "sigma_b2": sigma_b2,
        "mean_field": _numbers(point.as_dict()),
        "recommended": _numbers(recommendation.as_dict()),
        "propagation": profiles,
        "setup": {"depth": depth, "width": width, "seed": seed, "pairs": SIMULATION_PAIRS},
    }
