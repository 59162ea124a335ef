"""Theory without training: Gaussian expectations, mean-field signal propagation, gains.

- `gaussian`: E[φ(u)], E[φ(u)²], E[φ′(u)²] for u ~ N(m, v), and for correlated pairs.
- `mean_field`: variance and correlation maps, q*, χ₁, depth scales, the critical line.
- `self_normalisation`: Klambauer et al.'s (μ, ν) moment map, its fixed point, stability.
- `initialisation`: the variance-preserving gain and a recommended initialisation.
- `phase_diagram`: χ₁ over (σ_w², σ_b²) with the order-to-chaos line.
- `propagation`: deep random networks simulated in torch, next to the iterated theory.
"""

from actlab.analysis.errors import (
    DivergentExpectationError,
    NotElementwiseError,
    QuadratureError,
    TheoryOptionError,
)
from actlab.analysis.gaussian import (
    correlated_moments,
    expected_derivative_square,
    expected_square,
    expected_value,
    gaussian_moments,
)
from actlab.analysis.initialisation import (
    recommended_init,
    torch_gain,
    variance_preserving_gain,
)
from actlab.analysis.mean_field import (
    chi_1,
    correlation_fixed_point,
    correlation_map,
    critical_sigma_w2,
    mean_field_point,
    ordered_edges,
    variance_fixed_point,
    variance_map,
)
from actlab.analysis.phase_diagram import PhaseDiagram, phase_diagram
from actlab.analysis.propagation import (
    NetworkInit,
    PropagationResult,
    PropagationSetup,
    network_init,
    propagate,
)
from actlab.analysis.scalar_activation import ScalarActivation, scalar_activation
from actlab.analysis.self_normalisation import moment_fixed_point, moment_map

__all__ = [
    "DivergentExpectationError", "NetworkInit", "NotElementwiseError", "PhaseDiagram",
    "PropagationResult", "PropagationSetup", "QuadratureError", "ScalarActivation",
    "TheoryOptionError", "chi_1", "correlated_moments", "correlation_fixed_point",
    "correlation_map", "critical_sigma_w2", "expected_derivative_square", "expected_square",
    "expected_value", "gaussian_moments", "mean_field_point", "moment_fixed_point",
    "moment_map", "network_init", "ordered_edges", "phase_diagram", "propagate",
    "recommended_init", "scalar_activation", "torch_gain",
    "variance_fixed_point", "variance_map", "variance_preserving_gain",
]
