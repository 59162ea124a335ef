"""Benchmarks of the kernels: times, bandwidth, saved memory, in both allocator modes.

`run_benchmarks` is what `actlab bench` and `benchmarks/run.py` call; `run_suite`
measures in the current process.
"""

from kernel_suite.runner import run_benchmarks, write_results
from kernel_suite.suite import FULL_NUMEL, QUICK_NUMEL, SuiteSettings, run_suite

__all__ = ["FULL_NUMEL", "QUICK_NUMEL", "SuiteSettings", "run_benchmarks", "run_suite",
           "write_results"]
