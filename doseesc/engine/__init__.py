"""Run designs: Monte Carlo batches, exact enumeration, paired comparisons."""

from .api import compare, exact, simulate

__all__ = ["simulate", "exact", "compare"]
