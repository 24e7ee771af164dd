"""Reference policies that make every table readable (the floor and the ceilings)."""

from __future__ import annotations

import numpy as np


def sample_masked(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Uniform random action among the ``True`` entries of each row of ``mask`` (``(B, A)``).

    A row with no ``True`` entry yields action 0 (the env treats it as an illegal no-op).
    Returns ``(B,)`` int64.
    """
    return np.argmax(mask * rng.random(mask.shape, dtype=np.float32), axis=1)
