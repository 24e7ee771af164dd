"""The UPI-TRM configurations of the poster's public code (gopeshh/trm_bellman), as named presets
of :class:`agents.upi_trm.upi.UPIConfig` (``--agent-kwargs preset=poster-9x9``).

Facts read from the poster's config files (values carry over, nothing else):

* ``poster-9x9``: ``configs/sudoku9x9/upi_trm_9x9_50k.yaml``: contraction off, ``inner_unroll_n``
  1, ``K`` 1, ``mixture_alpha`` 0.1, latent ball radius 10, ``target_ema_tau`` 0.99 (the online
  net's weight 0.01), value lr 3e-4 (policy lr 1e-4), ``batch_size`` 64;
* ``poster-4x4``: ``configs/ablations/upi_trm_feasibility_persistent_z.yaml`` (contraction on,
  L_z 0.9) and its ``_no_contraction`` twins: ``inner_unroll_n`` 2, ``K`` 1, ``mixture_alpha``
  0.1, radius 10, the same lrs and EMA, ``batch_size`` 32.

What our UPI-TRM cannot express is left out, and said in the README: separate policy and value
learning rates (one Adam step size here: the poster's value lr), the entropy bonus 0.05, the
policy's epsilon-uniform mixing 0.1, advantage and value-target clipping, whole-episode rollouts
(``rollout_episodes_per_step`` episodes on one env per iteration; here ``num_envs`` parallel
episodes, ``rollout_steps`` transitions each), and the latent carried across the edits of an
episode (``episodic_latent: false``).
"""

from __future__ import annotations

import difflib
from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    "poster-9x9": {
        "contraction": None,
        "depth": 1,
        "bootstrap": 1,
        "alpha": 0.1,
        "radius": 10.0,
        "target_ema": 0.01,
        "learning_rate": 3e-4,
        "minibatch_size": 64,
    },
    "poster-4x4": {
        "contraction": 0.9,
        "depth": 2,
        "bootstrap": 1,
        "alpha": 0.1,
        "radius": 10.0,
        "target_ema": 0.01,
        "learning_rate": 3e-4,
        "minibatch_size": 32,
    },
}
"""Preset name -> UPIConfig fields (see the module docstring for their sources)."""


def resolve(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with its ``preset`` (if any) expanded: the preset's fields, then every other
    field of ``config`` on top (an explicit kwarg wins over the preset, e.g. ``preset=poster-4x4
    contraction=null`` is the poster's no-contraction ablation).

    :raises ValueError: an unknown preset name (with the closest one).
    """
    config = dict(config)
    name = config.pop("preset", None)
    if name is None:
        return config
    if name not in PRESETS:
        close = difflib.get_close_matches(str(name), list(PRESETS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"upi-trm has no preset {name!r}{hint} (presets: {', '.join(PRESETS)})")
    return PRESETS[name] | config
