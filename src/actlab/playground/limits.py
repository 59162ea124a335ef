"""How much one request or training job may ask of the playground: every bound in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Sizes, counts and times the server enforces (a request beyond them gets a 4xx)."""

    max_query_chars: int = 4000
    """the whole query string of one request"""
    max_activations: int = 6
    """activations plotted together"""
    max_curve_points: int = 2001
    max_abs_x: float = 1000.0
    """the plotted x range lies in [-max_abs_x, max_abs_x]"""
    max_vector_length: int = 64
    max_vectors: int = 4
    max_abs_input: float = 1e6
    """entries of an editable vector"""
    max_depth: int = 64
    """layers in the signal-propagation view"""
    max_width: int = 512
    """units per layer in the signal-propagation simulation"""
    max_sigma_w2: float = 200.0
    max_sigma_b2: float = 5.0
    compute_timeout: float = 30.0
    """seconds one computation may take before its worker is stopped"""
    compute_workers: int = 2
    max_pending_computations: int = 12
    """queued and running computations; beyond this a request gets 429"""
    max_training_jobs: int = 2
    """training jobs running at once, over all clients"""
    max_training_activations: int = 3
    """activations trained side by side in one job"""
    max_hidden_layers: int = 6
    max_hidden_width: int = 32
    max_points: int = 1000
    """samples of a 2-D dataset (training and test together)"""
    max_steps: int = 20000
    max_batch_size: int = 1000
    job_seconds: float = 180.0
    """wall-clock seconds a training job may run"""
    max_message_bytes: int = 16384
    """one WebSocket message from a client"""
    boundary_grid: int = 41
    """the decision boundary is sampled on boundary_grid² points"""


DEFAULT_LIMITS = Limits()
